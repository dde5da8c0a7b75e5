"""Parallel workers on the task queue: a worker killed mid-job loses nothing, and the result equals one process's.

A worker is killed at a known point, not after a guessed delay: the test holds a lock on a table the job writes,
waits until the worker's connection is seen waiting on that lock (its job is then half done, inside its
transaction), and only then sends SIGKILL.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.compile import run as compile_module
from aggregator.errors import AtlasError
from aggregator.normalize import refresh
from aggregator.operate import stage_jobs, task_schema, tasks
from aggregator.operate import workers as worker
from aggregator.operate.stage_jobs import compile_jobs, compile_summary, normalize_jobs, normalize_summary
from aggregator.operate.workers import queue_batches
from tests.conftest import ORGID, PUBLISHERS, RATES, STANDARD, _create, _drop
from tests.procfs import parent_of

HEARTBEAT = "0.5"
#: The advisory lock a job holds while it runs (sql/queries/tasks.sql, lock_job): it tells which job a worker runs.
JOB_LOCK = 1952541541
#: Columns that differ between two runs whatever they do: identities (and the hash of a process, which covers its
#: compiled release's id), timestamps, and the first compiled release an organization was seen in.
VOLATILE = ["id", "process_id", "compiled_release_id", "data_id", "versioned_data_id", "publisher_id", "output_hash"]
VOLATILE += ["compiled_at", "normalized_at", "source_compiled_at", "created_at"]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def loaded_template(server_url, template_database, tmp_path_factory) -> Iterator[str]:
    """The migrated template with two real publishers loaded (1192 OCIDs queued for compile): loaded once, cloned
    for each test."""
    name = f"atlas_loaded_{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", _create(server_url, name, template_database))
        patch.setenv("OCDS_ATLAS_HOME", str(tmp_path_factory.mktemp("home")))
        for variable, value in (("STANDARD_URL", STANDARD), ("ORGID_URL", ORGID), ("RATES_DIR", RATES)):
            patch.setenv(f"OCDS_ATLAS_{variable}", str(value))
        db.resolve_url.cache_clear()
        for directory, publisher, country in (("mexico_gacm", "gacm", "MX"), ("armenia_armeps", "armenia", "AM")):
            options = ["--publisher", publisher, "--country", country, "--workers", "1", "--queue-only"]
            invoke("load", str(PUBLISHERS / directory), *options)
    db.resolve_url.cache_clear()
    yield name
    _drop(server_url, name)


@pytest.fixture
def database_url(server_url, loaded_template) -> Iterator[str]:
    """In this module, a test's own database starts with the loaded publishers."""
    name = f"atlas_test_{uuid.uuid4().hex[:12]}"
    yield _create(server_url, name, loaded_template)
    _drop(server_url, name)


@pytest.fixture
def loaded(atlas_env, conn):
    return conn


def snapshot(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Every compiled and normalized row, by OCID, without the columns that differ between any two runs."""
    tables = {
        "compiled_release": "SELECT c.ocid, d.hash AS body, v.hash AS versioned, to_jsonb(c) AS row "
        "FROM compiled_release c JOIN data d ON d.id = c.data_id LEFT JOIN data v ON v.id = c.versioned_data_id",
        "organization": "SELECT NULL AS ocid, to_jsonb(o) AS row FROM organization o",
        "note": "SELECT ocid, to_jsonb(n) AS row FROM note n WHERE stage IN ('compile', 'normalize')",
    }
    for table in ("process", "award", "contract", "process_party", "organization_identifier"):
        tables[table] = (
            f"SELECT c.ocid, to_jsonb(t) AS row FROM {table} t JOIN compiled_release c ON c.id = t.compiled_release_id"
        )
    result = {}
    for table, select in tables.items():
        rows = []
        for row in conn.execute(select).fetchall():
            values = {key: value for key, value in row["row"].items() if key not in VOLATILE}
            if table == "note":
                values["data"] = without_examples(values["data"])
            extra = {
                key: value.hex() if isinstance(value, bytes) else value for key, value in row.items() if key != "row"
            }
            rows.append(json.dumps({**extra, **values}, sort_keys=True, default=str))
        result[table] = sorted(rows)
    return result


def without_examples(value: dict) -> dict:
    """Without the example OCIDs of normalize's notes: the first met in compiled release id order, and compiled
    releases get their ids in the order compile batches commit, which differs between any two parallel runs."""
    if isinstance(value.get("ocids"), list):
        return {key: item for key, item in value.items() if key != "ocids"}
    return {key: without_examples(item) if isinstance(item, dict) else item for key, item in value.items()}


def forget(conn: psycopg.Connection) -> None:
    """Back to before compiling: the raw layer only."""
    conn.execute("DELETE FROM compiled_release")
    conn.execute("DELETE FROM organization")
    conn.execute("DELETE FROM note WHERE stage IN ('compile', 'normalize')")


def single_process(
    conn: psycopg.Connection, publisher_ids: list[int] | None = None
) -> tuple[compile_module.CompileSummary, refresh.NormalizeSummary, dict]:
    compiled = compile_module.compile_ocids(conn, publisher_ids, full=True, workers=1)
    normalized = refresh.normalize(conn, publisher_ids, full=True, workers=1)
    return compiled, normalized, snapshot(conn)


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    """``ocds-atlas worker`` as its own process, with a home of its own as if on another machine."""
    command = [str(Path(sys.executable).parent / "ocds-atlas"), "worker", "--until-empty", "--heartbeat", HEARTBEAT]
    env = {**os.environ, "OCDS_ATLAS_HOME": str(tmp_path / f"home-{name}")}
    with (tmp_path / f"worker-{name}.log").open("w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def waiting_on_lock(conn: psycopg.Connection, pid: int) -> bool:
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE %s AND wait_event_type = 'Lock'",
        (f"ocds-atlas worker {pid}@%",),
    ).fetchone()
    return row["n"] > 0


def running_job(conn: psycopg.Connection, pid: int) -> int:
    row = conn.execute(
        "SELECT l.objid::bigint AS job_id FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.classid = %s AND a.application_name LIKE %s",
        (JOB_LOCK, f"ocds-atlas worker {pid}@%"),
    ).fetchone()
    return row["job_id"]


def wait_until(condition: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def job_states(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status::text, count(*) AS n FROM task_queue.procrastinate_jobs GROUP BY 1").fetchall()
    return {row["status"]: row["n"] for row in rows}


def kill_one_mid_job(conn: psycopg.Connection, url: str, table: str, tmp_path: Path, stage: str) -> tuple[int, int]:
    """Run two workers; kill one while its job waits on ``table``; start another; return the killed one's job and
    process id."""
    with psycopg.connect(url) as locker:
        locker.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        first, second = start_worker(tmp_path, f"{stage}-1"), start_worker(tmp_path, f"{stage}-2")
        wait_until(lambda: waiting_on_lock(conn, first.pid) and waiting_on_lock(conn, second.pid))
        job_id = running_job(conn, first.pid)
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        locker.rollback()
    third = start_worker(tmp_path, f"{stage}-3")
    assert second.wait(120) == 0
    assert third.wait(120) == 0
    return job_id, first.pid


def assert_retried_elsewhere(conn: psycopg.Connection, job_id: int, killed_pid: int) -> None:
    events = [
        row["type"]
        for row in conn.execute(
            "SELECT type::text FROM task_queue.procrastinate_events WHERE job_id = %s ORDER BY id", (job_id,)
        )
    ]
    assert "deferred_for_retry" in events
    assert events[-1] == "succeeded"
    row = conn.execute("SELECT worker FROM task_queue.job_summary WHERE job_id = %s", (job_id,)).fetchone()
    assert not row["worker"].startswith(f"ocds-atlas worker {killed_pid}@")


def test_a_killed_worker_loses_nothing(loaded, database_url, tmp_path, monkeypatch):
    conn = loaded
    monkeypatch.setattr(compile_module, "BATCH_SIZE", 100)
    compiled, normalized, expected = single_process(conn)
    assert compiled.written == 1192 and normalized.written == 1192
    forget(conn)

    batches = compile_module.pending_batches(conn, None, True)
    jobs = queue_batches(conn, compile_jobs(batches, False, datetime.now(UTC)))
    assert len(jobs) == 12  # 292 and 900 OCIDs, by 100
    assert_retried_elsewhere(conn, *kill_one_mid_job(conn, database_url, "compile_queue", tmp_path, "compile"))
    summary = compile_summary(worker.summaries(conn, jobs))
    assert (summary.ocids, summary.written, summary.unchanged, summary.failed) == (1192, 1192, 0, 0)
    assert summary.methods == compiled.methods and summary.warnings == compiled.warnings
    compile_module.finish_run(conn)  # what compile_ocids does once its batches are done

    ids = refresh.pending(conn, None, False)
    batches = [ids[start : start + 100] for start in range(0, len(ids), 100)]
    jobs = queue_batches(conn, normalize_jobs(batches, date.today()))
    assert_retried_elsewhere(conn, *kill_one_mid_job(conn, database_url, "process", tmp_path, "normalize"))
    summary = normalize_summary(worker.summaries(conn, jobs))
    refresh.finish_run(conn, summary.run_problems)  # what the normalize command does once its jobs are done
    assert (summary.compiled_releases, summary.written, summary.unchanged) == (1192, 1192, 0)
    assert without_examples(summary.problems) == without_examples(normalized.problems)

    assert job_states(conn) == {"succeeded": len(jobs) + 12}
    assert snapshot(conn) == expected


def test_two_machines_share_one_backlog(loaded, database_url, tmp_path):
    conn = loaded
    batches = compile_module.pending_batches(conn, None, True)
    jobs = queue_batches(conn, compile_jobs(batches, False, datetime.now(UTC)))
    with psycopg.connect(database_url) as locker:  # each worker takes a job before either can finish one
        locker.execute("LOCK TABLE compile_queue IN EXCLUSIVE MODE")
        machines = [start_worker(tmp_path, "one"), start_worker(tmp_path, "two")]
        wait_until(lambda: all(waiting_on_lock(conn, process.pid) for process in machines))
        locker.rollback()
    assert [process.wait(120) for process in machines] == [0, 0]
    rows = conn.execute("SELECT DISTINCT worker FROM task_queue.job_summary WHERE job_id = ANY(%s)", (list(jobs),))
    assert {row["worker"].split("@")[0] for row in rows} == {f"ocds-atlas worker {p.pid}" for p in machines}
    assert compile_summary(worker.summaries(conn, jobs)).written == 1192
    assert job_states(conn) == {"succeeded": len(jobs)}


def test_commands_with_workers_replace_a_killed_local_worker(loaded, database_url, monkeypatch):
    """``compile --workers 2`` and ``normalize --workers 2``: the same summary, rows and notes as one process. Only
    Armenia's 900 OCIDs: two batches, one for each local worker."""
    conn = loaded
    monkeypatch.setattr(compile_module, "PARALLEL_MIN_OCIDS", 0)
    monkeypatch.setattr(refresh, "PARALLEL_MIN_RELEASES", 0)
    monkeypatch.setattr(worker, "HEARTBEAT", float(HEARTBEAT))
    armenia = [conn.execute("SELECT id FROM publisher WHERE name = 'armenia'").fetchone()["id"]]
    compiled, normalized, expected = single_process(conn, armenia)
    forget(conn)

    done: dict[str, object] = {}

    def compile_in_background() -> None:
        with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as own:
            done["summary"] = compile_module.compile_ocids(
                own, armenia, full=True, workers=2, parallel=stage_jobs.compile_in_workers
            )

    thread = threading.Thread(target=compile_in_background)
    with psycopg.connect(database_url) as locker:
        locker.execute("LOCK TABLE compile_queue IN EXCLUSIVE MODE")
        thread.start()
        wait_until(lambda: len(local_worker_pids(conn)) == 2)
        # Forked from a fork server that this process started, not spawned by this process.
        assert {forked_by(pid) for pid in local_worker_pids(conn)} == {"forkserver"}
        victim = local_worker_pids(conn)[0]
        os.kill(victim, signal.SIGKILL)  # one of the two processes compile_ocids started, mid-job
        locker.rollback()
    thread.join(120)
    assert not thread.is_alive()
    summary = done["summary"]
    assert (summary.ocids, summary.written, summary.failed) == (compiled.ocids, compiled.written, compiled.failed)
    assert summary.methods == compiled.methods and summary.warnings == compiled.warnings
    parallel = refresh.normalize(conn, armenia, full=True, workers=2, parallel=stage_jobs.normalize_in_workers)
    assert (parallel.compiled_releases, parallel.written) == (normalized.compiled_releases, normalized.written)
    assert snapshot(conn) == expected


def forked_by(pid: int) -> str:
    """``forkserver`` when ``pid``'s parent is a multiprocessing fork server that this process started."""
    parent = parent_of(pid)
    command = Path(f"/proc/{parent}/cmdline").read_bytes()
    ours = b"multiprocessing.forkserver" in command and parent_of(parent) == os.getpid()
    return "forkserver" if ours else str(parent)


def local_worker_pids(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute(
        "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE %s AND wait_event_type = 'Lock' ORDER BY application_name",
        ("ocds-atlas worker %",),
    ).fetchall()
    return [int(row["application_name"].split()[2].split("@")[0]) for row in rows]


def test_a_failing_job_stops_the_command_with_its_error(loaded):
    batch = worker.Batch(
        tasks.COMPILE_TASK,
        {"publisher_id": 1, "ocids": ["x"], "versioned": False, "started": "not a date"},
        "compile:bad",
        1,
    )
    with pytest.raises(AtlasError, match=r"1 of 1 jobs failed; job \d+: ValueError: Invalid isoformat string"):
        worker.run_batches(loaded, [batch], workers=1, options=worker.WorkerOptions(heartbeat=float(HEARTBEAT)))
    assert job_states(loaded) == {"failed": 1}


def test_procrastinate_schema_is_installed_in_its_own_schema(conn):
    version = conn.execute("SELECT obj_description('task_queue'::regnamespace) AS v").fetchone()["v"]
    assert version == metadata.version("procrastinate")
    rows = conn.execute("SELECT schemaname, tablename FROM pg_tables WHERE tablename LIKE 'procrastinate%'").fetchall()
    assert {row["schemaname"] for row in rows} == {"task_queue"}
    assert {"procrastinate_jobs", "procrastinate_workers"} <= {row["tablename"] for row in rows}
    assert conn.execute("SHOW search_path").fetchone()["search_path"] == '"$user", public'


def test_an_upgrade_applies_procrastinates_migrations_since_the_recorded_version():
    scripts = task_schema.migrations_between("3.3.0", "3.10.0")
    assert len(scripts) == 2 and "procrastinate_retry_job_v2" in scripts[0] + scripts[1]
    assert task_schema.migrations_between("3.10.0", "3.10.0") == []


def test_the_default_number_of_workers_is_the_cores_the_process_may_use():
    """A command run under ``taskset`` (or in a container's cpuset) starts as many workers as it may use cores,
    not as many as the machine has."""
    code = "from aggregator import settings; print(settings.cores())"
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], capture_output=True, text=True)
    assert pinned.stdout.strip() == "1", pinned.stderr
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert int(free.stdout) == len(os.sched_getaffinity(0))


def test_a_batch_is_queued_as_procrastinate_queues_it_and_once(conn, database_url):
    """queue_batch binds the job's fields one by one rather than through procrastinate's defer: the same row, and a
    second job with the batch's queueing lock is refused as procrastinate refuses it."""
    batch = worker.Batch(tasks.COMPILE_TASK, {"ocids": ['a "quoted" \\ ocid', "é"], "full": False}, "compile:x", 2)
    with tasks.make_app(database_url).open() as app:
        ours = worker._defer(app, batch)
        with pytest.raises(worker.exceptions.AlreadyEnqueued):
            worker._defer(app, batch)
        theirs = app.configure_task(batch.task, lock="compile:y", queueing_lock="compile:y").defer(**batch.kwargs)
    columns = "queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at, status::text, attempts"
    rows = {
        row["id"]: row
        for row in conn.execute(
            f"SELECT id, {columns} FROM task_queue.procrastinate_jobs WHERE id IN (%s, %s)", (ours, theirs)
        )
    }
    assert rows[ours]["args"] == batch.kwargs
    assert {**rows[ours], "id": 0, "lock": "", "queueing_lock": ""} == {
        **rows[theirs],
        "id": 0,
        "lock": "",
        "queueing_lock": "",
    }
    assert (rows[ours]["lock"], rows[ours]["queueing_lock"]) == ("compile:x", "compile:x")
