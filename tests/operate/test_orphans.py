"""No process outlives its command: killed with SIGKILL, ``compile``, ``normalize``, ``load`` and ``worker`` take
their worker processes with them (a worker left behind kept its connections and the command's output, and went on
taking jobs from the queue), and the same command run again finishes the batches the killed workers were running.
(A killed ``crawl`` and its Scrapy child: tests/crawl/test_incomplete.py.)

Each command is killed at a known point, not after a guessed delay: the test holds a lock on a table its workers
write, and kills the command once its workers are seen waiting on that lock (half-way through their batches)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.compile.run import compile_ocids
from aggregator.operate import tasks, workers
from tests.conftest import PUBLISHERS
from tests.crawling import ROOT
from tests.procfs import alive, descendants

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

runner = CliRunner()
#: Run as ``ocds-atlas``, with workers however little there is to do, and a heartbeat short enough that the
#: jobs of workers killed with their command go back to the queue within seconds.
PRELUDE = (
    "from aggregator.compile import run; run.PARALLEL_MIN_OCIDS = 0\n"
    "from aggregator.normalize import refresh; refresh.PARALLEL_MIN_RELEASES = 0\n"
    "from aggregator.raw import bulk; bulk.PARALLEL_MIN_BYTES = 0\n"
    "from aggregator.operate import workers; workers.HEARTBEAT = 0.5\n"
    "from aggregator.cli.main import main; main()\n"
)


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class Command:
    """``ocds-atlas ARGS`` in a child process, its output in a file: a pipe would wait for every process that
    inherited it, and a worker left behind keeps it open."""

    def __init__(self, output: Path, *args: str) -> None:
        self.output = output
        with output.open("wb") as f:  # the child has its own copy
            command = [sys.executable, "-c", PRELUDE, *args]
            self.process = subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=f, stderr=subprocess.STDOUT)

    def said(self) -> str:
        return self.output.read_text(errors="replace")

    def kill(self) -> list[int]:
        """SIGKILL, to the command only; return the processes it had started."""
        family = descendants(self.process.pid)
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait() == -signal.SIGKILL, self.said()
        return family


def gone(family: list[int]) -> bool:
    """Whether the processes have ended within 10 seconds; those left are killed, not to outlive the test."""
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in family if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return not left


def waiting_on_a_lock(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return row["n"]


def kill_when_waiting(conn: psycopg.Connection, url: str, table: str, workers: int, output: Path, *args: str) -> None:
    """Start the command, kill it once ``workers`` of its processes wait on ``table``, and check that the processes it
    had started are gone within seconds, although the lock is still held."""
    with psycopg.connect(url) as locker:
        locker.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        command = Command(output, *args)
        wait_until(lambda: waiting_on_a_lock(conn) >= workers or command.process.poll() is not None)
        family = command.kill()
        assert len(family) > workers  # the workers, and multiprocessing's resource tracker
        assert gone(family), "processes outlived their command"
        locker.rollback()


def job_states(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status::text, count(*) AS n FROM task_queue.procrastinate_jobs GROUP BY 1").fetchall()
    return {row["status"]: row["n"] for row in rows}


def load_armenia() -> None:
    args = ["load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM", "--workers", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("stage", "table"), [("compile", "compile_queue"), ("normalize", "process")])
def test_a_killed_command_takes_its_workers_with_it_and_its_batches_are_done_by_the_next(
    atlas_env, conn, database_url, tmp_path, stage, table
):
    load_armenia()  # 900 OCIDs: two compile batches, five normalize batches
    if stage == "normalize":
        compile_ocids(conn, None, full=True, workers=1)  # only compiled: normalize has every process to write
    kill_when_waiting(conn, database_url, table, 2, tmp_path / "killed.log", stage, "--full", "--workers", "2")
    assert job_states(conn).get("doing") == 2  # the killed workers' batches, half done and rolled back

    rerun = Command(tmp_path / "rerun.log", stage, "--full", "--workers", "2")
    try:
        rerun.process.wait(120)
    except subprocess.TimeoutExpired:
        gone(rerun.kill())
        pytest.fail(f"{stage} run again waits for ever on the batches of the killed workers")
    assert rerun.process.returncode == 0, rerun.said()
    assert set(job_states(conn)) == {"succeeded"}
    counted = conn.execute("SELECT count(*) AS n FROM compiled_release").fetchone()["n"]
    normalized = conn.execute("SELECT count(*) AS n FROM process").fetchone()["n"]
    assert (counted, normalized) == (900, 900)


def test_a_killed_load_takes_its_workers_with_it(atlas_env, conn, database_url, tmp_path):
    args = ["load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM", "--workers", "2"]
    kill_when_waiting(conn, database_url, "release", 2, tmp_path / "load.log", *args)


def test_a_killed_worker_command_takes_its_workers_with_it(atlas_env, conn, tmp_path):
    command = Command(tmp_path / "worker.log", "worker", "--concurrency", "2", "--heartbeat", "0.5")
    registered = "SELECT count(*) AS n FROM task_queue.procrastinate_workers"
    wait_until(lambda: conn.execute(registered).fetchone()["n"] >= 2 or command.process.poll() is not None)
    family = command.kill()
    assert len(family) > 2, command.said()
    assert gone(family), "processes outlived their command"


def test_a_dead_workers_job_gives_way_to_the_same_batch_waiting_beside_it(atlas_env, conn):
    """A queue left by an earlier version: the batch of a killed command's job was queued again beside it. The dead
    job could never go back in the queue (one job per batch waits) and held the batch's lock: the other waited for
    ever. Recovery now ends the dead one, and a command waits for the one that waits."""
    batch = workers.Batch(tasks.COMPILE_TASK, {"publisher_id": 1, "ocids": ["x"], "versioned": False}, "k", 1)
    (dead,) = workers.queue_batches(conn, [batch])
    with psycopg.connect(db.resolve_url(), options="-c search_path=task_queue") as queue:  # as its triggers expect
        queue.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", (dead,))  # and no worker
    with tasks.make_app(db.resolve_url()).open() as app:
        waiting = app.configure_task(batch.task, lock=batch.key, queueing_lock=batch.key).defer(**batch.kwargs)
        assert workers.queue_batch(conn, app, batch) == waiting

    async def recover() -> int:
        app = tasks.make_app(db.resolve_url())
        async with app.open_async():
            return await workers.recover_stalled_jobs(app, workers.WorkerOptions(heartbeat=0.1))

    asyncio.run(recover())
    rows = conn.execute(
        "SELECT j.id, j.status::text AS status, s.error FROM task_queue.procrastinate_jobs j "
        "LEFT JOIN task_queue.job_summary s ON s.job_id = j.id ORDER BY j.id"
    ).fetchall()
    assert [(row["id"], row["status"]) for row in rows] == [(dead, "failed"), (waiting, "todo")]
    assert rows[0]["error"] == "its worker died, and its batch was queued again as another job (k)"
