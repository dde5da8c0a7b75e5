"""``make bench-scale``: every stage of the pipeline timed on its own at national scale, then after a 1 % change.

Generates ``--releases`` releases (default 200,000; the sandbox generator's shape, as ``compile_bench``), written
package by package so that the generator's memory does not grow with N, into a fresh embedded server. Then runs each
stage alone, in its own process (load, compile, normalize, indicators, red flags, quality, export, report), and
measures: wall seconds, CPU seconds of the command (with its workers) and of the server, peak RSS of the command,
and the database's size. Then a 1 % change: new releases (a later amendment) for 1 % of the OCIDs, and 1 % of the
files loaded again unchanged; every stage runs again. It prints, per stage, CPU per 1,000 releases, the 1 % run as a
percentage of the full one, and the goals beside them. ``--json PATH`` writes the figures, to compare sizes (the
goal: CPU per 1,000 releases flat within 15 % from 50k to 1M). ``--runs N`` measures it all N times, each in a
fresh database, and prints each figure's median too: at 50k a run is seconds, and two runs an hour apart gave CPU
per 1,000 releases 30 % apart.

Each stage is charged with what it leaves the server to do: after it, the bench vacuums and analyses the tables
whose changes passed autovacuum's default thresholds (what autovacuum would do after the stage, done once, rather
than whenever autovacuum wakes while the tables grow: waking it every second made it analyse the tables normalize
fills many times over, and charged normalize half as much server CPU again), then waits until the server is idle,
and adds both to the stage's CPU ("background"), instead of to whichever stage ran next. The startup's client CPU
is taken off each stage's, the full run's from the full run's and the 1 % run's from the 1 % run's. The compare
stages' first run takes every process (the whole road, as a refresh after a large load does); each is then run
once more as ``indicators refresh --full``, and the 1 % run is given as a share of that too.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import generate_releases
from tests.bench.compile_bench import (
    ROOT,
    Step,
    run,
    server_cpu,
    start_embedded_server,
    stop_embedded_server,
    vary_releases_per_ocid,
)

#: "startup" only starts Python, imports and connects: its CPU is taken off the other stages' CPU per 1k releases.
STAGES = ("startup", "load", "compile", "normalize", "indicators", "red_flags", "quality", "export", "report")
PACKAGE_SIZE = 1000
GOALS = {
    "flat": "CPU per 1k releases flat within 15 % from 50k to 1M",
    "rss": "peak RSS < 300 MB at 1M",
    "change": "1 % change <= 5 % of the full run",
    "indicators": "full indicators refresh of 1M processes <= 60 s wall on 2 cores",
}


def generate(directory: Path, releases_wanted: int, seed: int = 7) -> int:
    """Write release packages of 1,000 releases to ``directory``, 5,000 processes at a time; return the releases."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    pending: list[dict[str, Any]] = []
    written = number = round_ = 0
    base = SANDBOX_PUBLISHERS["xa"]
    while written + len(pending) < releases_wanted:
        publisher = dataclasses.replace(
            base, processes=5000, ocid_prefix=f"ocds-bn{round_:04d}", faults=type(base.faults)()
        )
        pending.extend(vary_releases_per_ocid(generate_releases(publisher, seed=seed + round_), rng))
        round_ += 1
        while len(pending) >= PACKAGE_SIZE or (pending and written + len(pending) >= releases_wanted):
            chunk, pending = pending[:PACKAGE_SIZE], pending[PACKAGE_SIZE:]
            write_package(directory / f"package-{number:05d}.json", chunk, number)
            written += len(chunk)
            number += 1
            if written >= releases_wanted:
                break
    return written


def write_package(path: Path, releases: list[dict[str, Any]], number: int) -> None:
    package = {
        "uri": f"https://bench.example/{number}",
        "publishedDate": "2024-01-01T00:00:00Z",
        "version": "1.1",
        "releases": releases,
    }
    path.write_bytes(orjson.dumps(package))


def make_change(data: Path, change: Path, share: float, seed: int = 11) -> int:
    """A ``share`` of the OCIDs get a new release (a later amendment of their last release: more tenderers, a higher
    tender value), and a ``share`` of the files are copied unchanged (loaded again); return the new releases.

    An OCID is chosen or not as a whole (an OCID has several releases: drawing each release with the odds ``share``
    changed 3.5 % of the OCIDs for a 1 % change)."""
    rng = random.Random(seed)
    change.mkdir(parents=True, exist_ok=True)
    files = sorted(data.glob("*.json"))
    for path in rng.sample(files, max(1, round(len(files) * share))):
        shutil.copy(path, change / f"again-{path.name}")
    latest: dict[str, dict[str, Any]] = {}
    for path in files:
        for release in orjson.loads(path.read_bytes())["releases"]:
            if "ocid" in release and chosen(release["ocid"], share, seed):
                latest[release["ocid"]] = release
    amended = [amend(release) for release in latest.values()]
    for number, start in enumerate(range(0, len(amended), PACKAGE_SIZE)):
        write_package(change / f"amended-{number:05d}.json", amended[start : start + PACKAGE_SIZE], 90000 + number)
    return len(amended)


def chosen(ocid: str, share: float, seed: int) -> bool:
    """Whether the change draws this OCID: the same answer for each of its releases."""
    digest = hashlib.blake2b(f"{seed}:{ocid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2**64


def amend(release: dict[str, Any]) -> dict[str, Any]:
    tender = dict(release.get("tender") or {})
    tender["numberOfTenderers"] = (tender.get("numberOfTenderers") or 0) + 1
    value = tender.get("value")
    if isinstance(value, dict) and isinstance(value.get("amount"), int | float):
        tender["value"] = {**value, "amount": round(value["amount"] * 1.1, 2)}
    date = str(release.get("date") or "2024-01-01T00:00:00Z")
    return {**release, "id": f"{release.get('id')}-bench-amendment", "date": date[:4] + "-12-31T23:59:59Z"} | {
        "tender": tender
    }


CLI = [sys.executable, "-c", "from aggregator.cli.main import main; main()"]


def stage_command(stage: str, data: Path, out: Path) -> list[str]:
    if stage == "load":  # compiling left to compile, timed on its own (a load compiles as it goes otherwise)
        return [*CLI, "load", str(data), "--publisher", "bench", "--country", "XA", "--queue-only"]
    if stage == "report":
        return [*CLI, "report", str(out / "report")]
    return [sys.executable, "-m", "tests.bench.scale_bench", "--stage", stage, "--out", str(out)]


def run_stage(stage: str, out: Path) -> None:
    """One stage alone, as the CLI runs it (each also has a CLI switch; see the README)."""
    from aggregator import settings
    from aggregator.cli.app import connect_migrated
    from aggregator.operate import pipeline
    from aggregator.operate.stage_jobs import normalize_in_workers

    with connect_migrated() as conn:
        if stage == "compile":
            pipeline.compile_with_progress(conn, None, full=False, normalize_after=False)
        elif stage == "normalize":
            from aggregator.normalize import refresh

            refresh.normalize(conn, None, False, workers=settings.cores(), parallel=normalize_in_workers)
        elif stage in ("indicators", "red_flags", "quality"):
            from aggregator.compare import refresh as compare

            backend = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
            before = time.process_time(), backend_cpu(backend)
            if hasattr(compare, "PARTS"):
                compare.refresh(conn, full=bool(os.environ.get("OCDS_ATLAS_BENCH_FULL")), parts=(stage,))
            elif stage == "indicators":  # before the stages could run apart: all three together
                compare.refresh(conn)
            (out / f"work-{stage}.json").write_text(
                json.dumps({"client": time.process_time() - before[0], "backend": backend_cpu(backend) - before[1]})
            )
        elif stage == "startup":
            conn.execute("SELECT 1")
        elif stage == "export":
            # Into the full run's export: the 1 % run rewrites only what changed, as a scheduled export would.
            pipeline.export_with_progress(conn, out / "export")


def backend_cpu(pid: int) -> float:
    """CPU seconds used so far by one process (the embedded server's backend of a connection: same machine)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def database_size() -> int:
    from aggregator.cli.app import connect_migrated

    with connect_migrated() as conn:
        return conn.execute("SELECT pg_database_size(current_database()) AS size").fetchone()["size"]


#: Seconds the server's CPU must stay still (less than IDLE_CPU) for the server to count as idle, and at most how
#: long to wait for it.
IDLE_SECONDS = 3.0
IDLE_CPU = 0.02
IDLE_LIMIT = 180.0


def settle(server: int, idle_rate: float = 0.0) -> float:
    """Wait until the server is idle (see the module's docstring); return the CPU seconds it used meanwhile, less
    what an idle server uses in that time (``idle_rate`` CPU seconds a second: autovacuum's launcher, waking every
    second, starts a worker in each database each time)."""
    started = time.perf_counter()
    first = last = server_cpu(server)
    still_since = time.perf_counter()
    while time.perf_counter() - started < IDLE_LIMIT:
        time.sleep(0.5)
        now = server_cpu(server)
        if now - last >= IDLE_CPU + idle_rate * (time.perf_counter() - still_since):
            last, still_since = now, time.perf_counter()
        elif time.perf_counter() - still_since >= IDLE_SECONDS:
            break
    return max(server_cpu(server) - first - idle_rate * (time.perf_counter() - started), 0.0)


#: The tables that autovacuum, with its default thresholds, would vacuum or analyse now.
DUE = """
SELECT format('%I.%I', s.schemaname, s.relname) AS name,
       n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
           OR n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0) AS vacuum,
       n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS analyze
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
"""


def vacuum(server: int) -> float:
    """What autovacuum would do after a stage, done at once: ``VACUUM`` and ``ANALYZE`` of the tables whose changes
    passed autovacuum's default thresholds; return the server's CPU seconds meanwhile."""
    import psycopg

    from aggregator import db

    before = server_cpu(server)
    time.sleep(1.0)  # the stage's statistics reach the server's counters within a second of its end
    with psycopg.connect(db.embedded_server_url(), autocommit=True) as conn:
        for name, do_vacuum, do_analyze in conn.execute(DUE).fetchall():
            if do_vacuum:
                conn.execute(f"VACUUM {'(ANALYZE) ' if do_analyze else ''}{name}")
            elif do_analyze:
                conn.execute(f"ANALYZE {name}")
    return server_cpu(server) - before


def idle_rate(server: int, seconds: float = 5.0) -> float:
    """CPU seconds a second that the server uses when no command runs."""
    before = server_cpu(server)
    time.sleep(seconds)
    return (server_cpu(server) - before) / seconds


#: Per run (its data) and compare stage: the CPU seconds of the refresh itself (client and its backend, from
#: inside the stage's process), and of what the server did after it.
WORK: dict[Path, dict[str, float]] = {}


def measure(stages: tuple[str, ...], data: Path, work: Path, env: dict[str, str], server: int) -> dict[str, Step]:
    steps = {}
    settle(server)
    rate = idle_rate(server)
    print(f"  (an idle server uses {rate:.3f} CPU s a second: taken off the time waited after each stage)")
    for stage in stages:
        quiet = {"env": env, "server": server, "stdout": subprocess.DEVNULL, "cwd": ROOT}
        (work / f"work-{stage}.json").unlink(missing_ok=True)
        step = run(stage_command(stage, data, work), **quiet)
        background = vacuum(server) + settle(server, rate)
        step = dataclasses.replace(step, server_cpu=(step.server_cpu or 0) + background)
        steps[stage] = step
        print(
            f"  {stage:11} {step.seconds:8.1f} s wall {step.cpu:8.1f} CPU s {step.server_cpu:8.1f} server CPU s"
            f" (of which {background:.1f} after it) {step.rss / 1e6:6.0f} MB",
            flush=True,
        )
        if (found := work / f"work-{stage}.json").exists():
            own = json.loads(found.read_text())
            WORK.setdefault(data, {})[stage] = own["client"] + own["backend"] + background
            print(f"  {'':11} the refresh itself: {own['client']:.3f} client, {own['backend']:.3f} backend CPU s")
    return steps


def total_cpu(step: Step) -> float:
    return step.cpu + (step.server_cpu or 0)


def print_table(
    releases: int, full: dict[str, Step], change: dict[str, Step], work: dict[str, tuple[float, float]]
) -> None:
    print(f"\n{releases:,} releases; goals: " + "; ".join(GOALS.values()))
    print("CPU s/1k: client and server CPU per 1,000 releases; it and 'of full' less the startup's client CPU")
    startup = full["startup"].cpu if "startup" in full else 0.0
    change_startup = change["startup"].cpu if "startup" in change else startup
    header = f"{'stage':11}{'CPU s/1k':>10}{'client':>9}{'server':>9}{'wall s':>9}{'RSS MB':>8}{'1 % run':>9}"
    print(header + f"{'of full':>9}")
    for stage, step in full.items():
        per_k = max(total_cpu(step) - startup, 0) / releases * 1000
        small = change.get(stage)
        net = total_cpu(step) - startup
        share = f"{(total_cpu(small) - change_startup) / net:8.1%}" if small and net > 0 else "       -"
        small_cpu = f"{total_cpu(small):9.1f}" if small else "        -"
        print(
            f"{stage:11}{per_k:10.3f}{step.cpu:9.1f}{step.server_cpu or 0:9.1f}{step.seconds:9.1f}"
            f"{step.rss / 1e6:8.0f}{small_cpu} {share}"
        )
    if work:
        print("The compare stages' refreshes alone (client and backend CPU inside the stage's process, and the")
        print("server's after it; without starting Python, importing and connecting, which every command pays alike):")
        for stage, (whole, small) in work.items():
            print(f"{stage:11} full {whole:7.3f} CPU s, 1 % run {small:7.3f} CPU s: {small / whole:6.1%} of full")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=200_000)
    parser.add_argument("--change", type=float, default=0.01, help="The share of OCIDs changed (default 1 %%).")
    parser.add_argument("--stages", default=",".join(STAGES), help="Comma-separated stages to time.")
    parser.add_argument("--data", type=Path, help="Packages written by an earlier run (--keep), not generated.")
    parser.add_argument("--keep", type=Path, help="Keep the generated packages in this directory.")
    parser.add_argument("--json", type=Path, help="Write the figures to this file.")
    parser.add_argument(
        "--runs", type=int, default=1, help="Measure this many times, each in a fresh database; print the medians too."
    )
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        run_stage(args.stage, args.out)
        return
    stages = tuple(s for s in args.stages.split(",") if s)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise SystemExit(f"unknown stages: {', '.join(sorted(unknown))}; use {', '.join(STAGES)}")
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    work = Path(tempfile.mkdtemp(prefix="atlas-scale-"))
    try:
        data = args.data or args.keep or work / "data"
        if args.data is None:
            started = time.perf_counter()
            releases = generate(data, args.releases)
            print(f"generated {releases:,} releases in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            releases = sum(len(orjson.loads(f.read_bytes())["releases"]) for f in sorted(data.glob("*.json")))
        changed = make_change(data, work / "change", args.change)
        print(f"change: {changed:,} new releases and {args.change:.0%} of the files again", flush=True)
        runs = []
        for number in range(1, args.runs + 1):
            if args.runs > 1:
                print(f"run {number} of {args.runs}:", flush=True)
            runs.append(one_run(stages, releases, data, work / f"run-{number}", work / "change"))
        if args.runs > 1:
            print(f"\nthe median of {args.runs} runs, stage by stage and figure by figure:")
            figures = median_run(runs)
            print_figures(releases, figures)
        else:
            figures = runs[0]
        if args.json:
            args.json.write_text(
                json.dumps({"releases": releases, **figures.as_json(), "runs": [r.as_json() for r in runs]}, indent=1)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclasses.dataclass
class Figures:
    """One run's figures: each stage's full and 1 % runs, the compare stages' refreshes alone (full, 1 %) and
    their ``--full`` refreshes, and the database's size after the full run."""

    full: dict[str, Step]
    change: dict[str, Step]
    work: dict[str, tuple[float, float]]
    refreshed: dict[str, float]
    database_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "database_bytes": self.database_bytes,
            "full": {k: dataclasses.asdict(v) for k, v in self.full.items()},
            "change": {k: dataclasses.asdict(v) for k, v in self.change.items()},
            "refresh_cpu": self.work,
            "refresh_full_cpu": self.refreshed,
        }


def one_run(stages: tuple[str, ...], releases: int, data: Path, work: Path, change: Path) -> Figures:
    """The full run, the 1 % change and the compare stages' ``--full`` refreshes, in a fresh home and server of
    their own (``work``); print its table."""
    from aggregator import db

    work.mkdir(parents=True)
    WORK.clear()
    db.resolve_url.cache_clear()  # this process's URL is the run's own server's
    env = {**os.environ, "OCDS_ATLAS_HOME": str(work / "home"), "OCDS_ATLAS_OFFLINE": "1"}
    env.setdefault("OCDS_ATLAS_STANDARD_URL", str(ROOT.parent / "shared" / "data" / "ocds"))
    server = start_embedded_server(work / "home")
    try:
        print("full run:")
        full = measure(stages, data, work, env, server)
        os.environ.update(env)
        size = database_size()
        print(f"database: {size / 1e6:,.0f} MB", flush=True)
        print("1 % change:")
        changed = measure(stages, change, work, env, server)
        compare_stages = tuple(stage for stage in stages if stage in ("indicators", "red_flags", "quality"))
        if compare_stages:
            print("each compare stage again as `indicators refresh --full --only STAGE` (everything, nothing changed):")
            measure(compare_stages, work / "refresh-full", work, env | {"OCDS_ATLAS_BENCH_FULL": "1"}, server)
    finally:
        stop_embedded_server(server)
    data_full, data_change = WORK.get(data, {}), WORK.get(change, {})
    work_figures = {k: (v, data_change[k]) for k, v in data_full.items() if k in data_change and v > 0}
    figures = Figures(full, changed, work_figures, dict(WORK.get(work / "refresh-full", {})), size)
    print_figures(releases, figures)
    return figures


def print_figures(releases: int, figures: Figures) -> None:
    print_table(releases, figures.full, figures.change, figures.work)
    for stage, (_, small) in figures.work.items():
        if figures.refreshed.get(stage):
            whole = figures.refreshed[stage]
            print(f"{stage:11} --full {whole:7.3f} CPU s, 1 % run {small:7.3f} CPU s: {small / whole:6.1%} of it")


def median_run(runs: list[Figures]) -> Figures:
    """Each figure's median over the runs, stage by stage (a busy moment of the machine moves one run's figures by
    up to a third: the median of three is what a size's column should quote)."""

    def steps(which: str) -> dict[str, Step]:
        found: dict[str, Step] = {}
        for stage in getattr(runs[0], which):
            taken = [getattr(r, which)[stage] for r in runs if stage in getattr(r, which)]
            fields = {
                f.name: statistics.median(getattr(t, f.name) or 0 for t in taken) for f in dataclasses.fields(Step)
            }
            found[stage] = Step(**fields | {"rss": int(fields["rss"])})
        return found

    work = {
        stage: (
            statistics.median(r.work[stage][0] for r in runs if stage in r.work),
            statistics.median(r.work[stage][1] for r in runs if stage in r.work),
        )
        for stage in runs[0].work
    }
    refreshed = {
        stage: statistics.median(r.refreshed[stage] for r in runs if stage in r.refreshed)
        for stage in runs[0].refreshed
    }
    size = int(statistics.median(r.database_bytes for r in runs))
    return Figures(steps("full"), steps("change"), work, refreshed, size)


if __name__ == "__main__":
    main()
