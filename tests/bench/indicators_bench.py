"""The goal "a full indicators refresh of 1M processes within 60 s of wall time on 2 cores", measured.

``make bench-scale``'s data has about 3.7 releases per process: 1M processes would take 3.7M releases, hours of
load, compile and normalize on 2 cores. This bench builds them from a smaller database instead. It starts from a
database that the pipeline filled (``--home``: an ``OCDS_ATLAS_HOME`` whose embedded server holds, for example,
200,000 of the bench's releases loaded and compiled), and copies its processes, awards and contracts until there are
``--processes`` of them: copy *k* gets new ids, and its OCID, process key, buyer and suppliers the suffix ``~k``,
so that buyers, suppliers and the buyers' groups grow with the copies as they would with more data (each copy is
another set of buyers with the same habits). Only the rows that indicators read are copied, and the copies share
their original's compiled release: this database is for the bench alone (``prepare`` drops the one-process-per-
compiled-release constraint, and refuses a database that is not the bench's own).

Then ``refresh`` times ``indicators refresh --full --only indicators`` as the CLI runs it: wall seconds, CPU of the
command and of its backend, and each statement's wall time (``--statements``).

    python -m tests.bench.indicators_bench prepare --home DIR --processes 1000000
    python -m tests.bench.indicators_bench refresh --home DIR [--statements] [--change 0.01]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.bench.compile_bench import ROOT, server_cpu

#: Copies get ids above this multiple of their copy number (the originals' ids are far below it).
ID_STRIDE = 100_000_000
MARK = "indicators_bench"

PROCESS_COLUMNS = (
    "publisher_id, ocid_scope, is_primary, country, buyer_country, title, tender_status, procurement_method_raw, "
    "procurement_method_details_raw, procurement_method, procedure_type, procedure_type_source, "
    "main_procurement_category, number_of_tenderers, release_date, release_date_raw, tender_start, tender_start_raw, "
    "tender_end, tender_end_raw, amount_raw, currency_raw, amount, currency, reference_date, reference_date_source, "
    "amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source, amount_ppp, ppp_factor, ppp_year, "
    "award_count, contract_count, source_compiled_at, output_hash, normalized_at, compiled_release_id"
)
AWARD_COLUMNS = (
    "compiled_release_id, position, award_id, title, status, date, date_raw, amount_raw, currency_raw, amount, "
    "currency, reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, "
    "rate_source, amount_ppp, ppp_factor, ppp_year"
)
CONTRACT_COLUMNS = (
    "compiled_release_id, position, contract_id, award_id, title, status, date_signed, date_signed_raw, "
    "period_start, period_start_raw, period_end, period_end_raw, amount_raw, currency_raw, amount, currency, "
    "reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source, "
    "amount_ppp, ppp_factor, ppp_year"
)


def url_of(home: Path) -> str:
    os.environ["OCDS_ATLAS_HOME"] = str(home)
    from aggregator import db

    return db.embedded_server_url()


def prepare(home: Path, processes: int) -> None:
    with psycopg.connect(url_of(home), autocommit=True) as conn:
        originals = conn.execute("SELECT count(*) FROM process WHERE id < %s", (ID_STRIDE,)).fetchone()[0]
        if not originals:
            raise SystemExit("no processes: load and compile some releases into this home first")
        marked = conn.execute("SELECT obj_description('process'::regclass, 'pg_class')").fetchone()[0]
        if marked != MARK:
            if conn.execute("SELECT count(*) FROM publisher").fetchone()[0] != 1:
                raise SystemExit("not a bench database (one publisher, `bench`): refusing to copy its processes")
            conn.execute("ALTER TABLE process DROP CONSTRAINT process_compiled_release_id_key")
            conn.execute(f"COMMENT ON TABLE process IS '{MARK}'")
        copies = -(-processes // originals) - 1
        for k in range(1, copies + 1):
            if conn.execute("SELECT 1 FROM process WHERE id > %s LIMIT 1", (k * ID_STRIDE,)).fetchone():
                continue
            started = time.perf_counter()
            with conn.transaction():
                offset, suffix = k * ID_STRIDE, f"~{k}"
                conn.execute(
                    f"INSERT INTO process (id, ocid, process_key, buyer_org_key, {PROCESS_COLUMNS}) "
                    f"OVERRIDING SYSTEM VALUE SELECT id + %(offset)s, ocid || %(suffix)s, process_key || %(suffix)s, "
                    f"buyer_org_key || %(suffix)s, {PROCESS_COLUMNS} FROM process WHERE id < %(stride)s",
                    {"offset": offset, "suffix": suffix, "stride": ID_STRIDE},
                )
                conn.execute(
                    f"INSERT INTO award (id, process_id, supplier_org_keys, {AWARD_COLUMNS}) OVERRIDING SYSTEM VALUE "
                    f"SELECT id + %(offset)s, process_id + %(offset)s, "
                    f"ARRAY(SELECT s || %(suffix)s FROM unnest(supplier_org_keys) s), {AWARD_COLUMNS} "
                    f"FROM award WHERE process_id < %(stride)s",
                    {"offset": offset, "suffix": suffix, "stride": ID_STRIDE},
                )
                conn.execute(
                    f"INSERT INTO contract (id, process_id, {CONTRACT_COLUMNS}) OVERRIDING SYSTEM VALUE "
                    f"SELECT id + %(offset)s, process_id + %(offset)s, {CONTRACT_COLUMNS} "
                    f"FROM contract WHERE process_id < %(stride)s",
                    {"offset": offset, "stride": ID_STRIDE},
                )
            print(f"copy {k} of {copies}: {time.perf_counter() - started:.1f} s", flush=True)
        conn.execute("VACUUM ANALYZE process, award, contract")
        total = conn.execute("SELECT count(*) FROM process").fetchone()[0]
        print(f"{total:,} processes ({originals:,} loaded, the rest copies)")


def refresh(home: Path, statements: bool, change: float | None) -> None:
    """A full refresh, or with ``change`` one after that share of the processes changed (their number of tenderers
    one more, or one less again: every run changes them)."""
    url = url_of(home)
    env = {**os.environ, "OCDS_ATLAS_HOME": str(home)}
    if statements:
        env["OCDS_ATLAS_BENCH_STATEMENTS"] = "1"
    if change is not None:
        env["OCDS_ATLAS_BENCH_DELTA"] = "1"
    with psycopg.connect(url, autocommit=True) as conn:
        if change is not None:
            step = max(1, round(1 / change))
            changed = conn.execute(
                "UPDATE process SET number_of_tenderers = CASE WHEN number_of_tenderers %% 2 = 0"
                " THEN number_of_tenderers + 1 ELSE coalesce(number_of_tenderers, 1) - 1 END"
                " WHERE id %% %s = 0",
                (step,),
            ).rowcount
            print(f"{changed:,} processes changed")
        conn.execute("VACUUM ANALYZE")
        n = conn.execute("SELECT count(*) FROM process WHERE is_primary").fetchone()[0]
    server = int((home / "pgdata" / "postmaster.pid").read_text().split()[0])
    server_before = server_cpu(server)
    started = time.perf_counter()
    before = os.times()
    subprocess.run(
        [sys.executable, "-m", "tests.bench.indicators_bench", "_refresh", "--home", str(home)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    after = os.times()
    print(
        f"{n:,} primary processes: indicators refresh {'' if change is not None else '--full '}in "
        f"{time.perf_counter() - started:.1f} s wall, command "
        f"{after.children_user + after.children_system - before.children_user - before.children_system:.1f} CPU s,"
        f" server {server_cpu(server) - server_before:.1f} CPU s (its parallel workers and autovacuum included)"
    )


def _refresh_in_process(home: Path) -> None:
    from aggregator.cli.app import connect_migrated
    from aggregator.compare import refresh as compare

    timings: list[tuple[float, str]] = []
    with connect_migrated() as conn:
        if os.environ.get("OCDS_ATLAS_BENCH_STATEMENTS"):
            execute = conn.execute

            def timed(query: Any, params: Any = None, **kwargs: Any) -> Any:
                started = time.perf_counter()
                code = "\n".join(line for line in str(query).split("\n") if not line.lstrip().startswith("--"))
                parts = [part for part in code.split(";\n") if part.strip()]
                if len(parts) > 1 and not params:  # a block of statements: each timed alone
                    for part in parts:
                        result = timed(part)
                    return result
                try:
                    return execute(query, params, **kwargs)
                finally:
                    first = " ".join(line for line in str(query).split("\n") if not line.startswith("--"))[:90]
                    timings.append((time.perf_counter() - started, first))

            conn.execute = timed  # type: ignore[method-assign]
        backend = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        cpu = _cpu(backend)
        started = time.perf_counter()
        full = not os.environ.get("OCDS_ATLAS_BENCH_DELTA")
        summary = compare.refresh(conn, full=full, parts=("indicators",))
        wall = time.perf_counter() - started
        print(
            f"refresh: {wall:.1f} s wall, backend {_cpu(backend) - cpu:.1f} CPU s, "
            f"{summary.processes:,} facts, {summary.values:,} values"
        )
    for seconds, text in sorted(timings, reverse=True)[:25]:
        print(f"  {seconds:7.2f} s  {text}")


def _cpu(pid: int) -> float:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("prepare", "refresh", "_refresh"))
    parser.add_argument("--home", type=Path, required=True, help="OCDS_ATLAS_HOME of the bench's database")
    parser.add_argument("--processes", type=int, default=1_000_000)
    parser.add_argument("--statements", action="store_true", help="Time each statement of the refresh.")
    parser.add_argument("--change", type=float, help="Change this share of the processes, then refresh them only.")
    args = parser.parse_args()
    if args.action == "prepare":
        prepare(args.home, args.processes)
    elif args.action == "refresh":
        refresh(args.home, args.statements, args.change)
    else:
        _refresh_in_process(args.home)


if __name__ == "__main__":
    main()
