"""Workers: processes that run the queued compile and normalize jobs (:mod:`aggregator.operate.tasks`) on any
machine that reaches the database, and the side of a command that queues its batches, starts local workers and waits.

Each worker sends a heartbeat; a worker silent for ``STALLED_AFTER`` heartbeats is presumed dead, and any live
worker puts its running jobs back in the queue. A job's work and summary commit together, so a job run again
either finds its summary (and does nothing) or finds nothing of the dead run (and does it all).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import procrastinate
import psycopg
from procrastinate import exceptions
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT

from aggregator import db
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.operate.tasks import (
    QUEUE,
    make_app,
    worker_name,
)
from aggregator.raw.processes import die_with_parents, fork_server, without_main_module

logger = logging.getLogger(__name__)

#: Seconds between a worker's heartbeats.
HEARTBEAT = 10.0
#: Heartbeats a worker may miss before it is presumed dead and its jobs are run again.
STALLED_AFTER = 3
#: Seconds between two looks at the state of a command's jobs.
POLL = 0.2
#: Seconds a local worker has to finish the job it is running when the command no longer needs it.
STOP_TIMEOUT = 60.0
_FINAL = ("failed", "cancelled", "aborted")


@dataclass(frozen=True)
class WorkerOptions:
    heartbeat: float = HEARTBEAT
    #: Stop once nothing is waiting or running in the whole queue (else run until SIGINT or SIGTERM).
    until_empty: bool = False
    #: Log each job to stderr (``ocds-atlas worker``; a command's own workers keep quiet under its progress bar).
    verbose: bool = False

    @property
    def stalled_after(self) -> float:
        return self.heartbeat * STALLED_AFTER


@dataclass(frozen=True)
class Batch:
    task: str
    kwargs: dict[str, Any]
    #: No two jobs with one key wait in the queue, nor run at once.
    key: str
    size: int


# The worker side.


def serve_here(url: str, concurrency: int, options: WorkerOptions) -> None:
    """``ocds-atlas worker``: ``concurrency`` workers on this machine, each in its own process; SIGINT or SIGTERM
    stops them once their running jobs are done."""
    if concurrency == 1:
        serve(url, options)
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=serve, args=(url, options, os.getpid()), name=f"worker-{n}") for n in range(concurrency)
    ]
    with without_main_module():
        for process in processes:
            process.start()
    # Ctrl-C reaches every process of the terminal's group, and each worker stops by itself; SIGTERM is passed on.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, functools.partial(_forward, processes)),
    }
    try:
        for process in processes:
            process.join()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    # A worker stopped by the signal before it could install its own handler (still starting) ended well too.
    codes = [process.exitcode for process in processes if process.exitcode not in (0, -signal.SIGTERM)]
    if codes:
        raise AtlasError(f"{len(codes)} of {concurrency} workers ended with an error (exit codes {codes})")


def _forward(processes: list[multiprocessing.process.BaseProcess], number: int, frame: object) -> None:
    for process in processes:
        if process.is_alive():
            os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]


def serve(url: str, options: WorkerOptions, parent: int | None = None) -> None:
    """Run one worker in this process (one job at a time: the work is CPU-bound, so parallelism is processes); a
    worker started by another process (``parent``) dies with it."""
    if parent is not None:  # spawned by it, or forked from its fork server: die_with_parents covers both
        die_with_parents(parent)
    if options.verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(message)s")
        logging.getLogger("procrastinate").setLevel(logging.WARNING)  # it logs every job's arguments: 500 OCIDs
    asyncio.run(_serve(make_app(url), options))


async def _serve(app: procrastinate.App, options: WorkerOptions) -> None:
    async with app.open_async():
        stop = asyncio.Event()
        recovery = asyncio.create_task(_recover_until(stop, app, options))
        try:
            if options.until_empty:
                await _work_until_empty(app, options)
            else:
                await app.run_worker_async(**_worker_options(options, wait=True))
        finally:
            stop.set()
            await recovery


def _worker_options(options: WorkerOptions, wait: bool) -> dict[str, Any]:
    return {
        "queues": [QUEUE],
        "wait": wait,
        "concurrency": 1,
        "name": worker_name(),
        "update_heartbeat_interval": options.heartbeat,
        "stalled_worker_timeout": options.stalled_after,
        "fetch_job_polling_interval": min(5.0, options.heartbeat),
    }


async def _work_until_empty(app: procrastinate.App, options: WorkerOptions) -> None:
    """Take jobs until none waits; then, while others still run jobs, wait for them to finish or be presumed dead
    (their jobs come back to the queue), so that the backlog is done when every such worker has stopped."""
    while True:
        await app.run_worker_async(**_worker_options(options, wait=False))
        await recover_stalled_jobs(app, options)
        select = query("operate/tasks", "select_backlog")
        backlog = await app.connector.execute_query_one_async(query=select, queue=QUEUE)  # type: ignore[arg-type]
        if not backlog["todo"] and not backlog["doing"]:
            return
        await asyncio.sleep(min(options.heartbeat, 1.0))


async def _recover_until(stop: asyncio.Event, app: procrastinate.App, options: WorkerOptions) -> None:
    """Look for stalled jobs every heartbeat until ``stop`` is set.

    Stopped by the event, never by cancelling the task: a cancel that landed while a look was under way was lost (the
    look ran to its end, the task still marked as cancelling, and the loop went on), so the worker never stopped and
    its command killed it after ``STOP_TIMEOUT``: seen in 5 of 48 runs of a test whose commands stop four workers,
    with a heartbeat of 0.5 s. Most likely psycopg_pool's wait for a connection, an ``asyncio.wait_for``, which on
    Python 3.11 returns what it waited for rather than raise a cancel that comes as it ends. Now a stop waits for at
    most the look under way."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), options.heartbeat)
            return
        try:
            await recover_stalled_jobs(app, options)
        except exceptions.ConnectorException as error:  # the database is away: the worker's loop will say so
            logger.warning("could not look for stalled jobs: %s", error)


async def recover_stalled_jobs(app: procrastinate.App, options: WorkerOptions) -> int:
    """Put back in the queue the running jobs of workers whose heartbeat is older than ``stalled_after``."""
    recovered = 0
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=options.stalled_after):
        try:
            await app.job_manager.retry_job(job)
        except exceptions.UniqueViolation:
            await _supersede(app, job)
            continue
        except exceptions.ConnectorException:  # another worker put it back first
            continue
        logger.warning("job %s (%s) of a worker presumed dead goes back in the queue", job.id, job.task_name)
        recovered += 1
    return recovered


async def _supersede(app: procrastinate.App, job: procrastinate.jobs.Job) -> None:
    """A dead worker's job whose batch waits in the queue as another job (queued beside it before
    :func:`queue_batch` waited for running jobs) cannot go back in the queue: it ends, failed, and frees the batch's
    lock for the other."""
    try:
        await app.job_manager.finish_job(job, status=procrastinate.jobs.Status.FAILED, delete_job=False)
    except exceptions.ConnectorException:  # another worker ended it first
        return
    error = f"its worker died, and its batch was queued again as another job ({job.queueing_lock})"
    record = query("operate/tasks", "record_error")
    await app.connector.execute_query_async(query=record, job_id=job.id, error=error, worker=worker_name())  # type: ignore[arg-type]
    logger.warning("job %s (%s) of a worker presumed dead is superseded by another job", job.id, job.task_name)


# The command side.


def run_batches(
    conn: psycopg.Connection,
    batches: Iterable[Batch],
    workers: int,
    on_batch: Callable[[int], None] | None = None,
    options: WorkerOptions | None = None,
) -> list[dict[str, Any]]:
    """Queue the batches, run local workers until every one is done, and return the jobs' summaries."""
    jobs = queue_batches(conn, batches)
    with LocalWorkers(db.resolve_url(), workers, options or WorkerOptions(HEARTBEAT)) as local:
        wait_for_jobs(conn, jobs, local.revive, on_batch)
    return summaries(conn, jobs)


def queue_batches(conn: psycopg.Connection, batches: Iterable[Batch]) -> dict[int, int]:
    """Queue the batches as jobs (after pruning jobs read long ago); return the size of each by job id (only: the
    batches are read one by one, and what they hold is kept by the queue, not here)."""
    conn.execute(query("operate/tasks", "prune_finished_jobs"))
    with make_app(db.resolve_url()).open() as app:
        return {queue_batch(conn, app, batch): batch.size for batch in batches}


def summaries(conn: psycopg.Connection, jobs: dict[int, int]) -> list[dict[str, Any]]:
    rows = conn.execute(query("operate/tasks", "select_summaries"), {"ids": list(jobs)}).fetchall()
    return [row["summary"] for row in rows]


def queue_batch(conn: psycopg.Connection, app: procrastinate.App, batch: Batch) -> int:
    """The id of the batch's job: the one that waits or runs already for the same batch, else a new one.

    A job that runs already may be a dead worker's (its command was killed): it goes back in the queue once the
    worker is presumed dead, and runs again. A second job queued beside it would wait for the batch's lock, which the
    dead job holds, and the dead job could not go back in the queue beside the second (one job per batch waits):
    the command would wait for ever."""
    for _ in range(2):
        row = conn.execute(query("operate/tasks", "select_live_job"), {"lock": batch.key}).fetchone()
        if row is not None:
            return row["id"]
        try:
            return _defer(app, batch)
        except exceptions.AlreadyEnqueued:  # queued meanwhile by another command: wait for that one
            continue
    raise AtlasError(f"could not queue the batch {batch.key}: its job keeps changing state")


def _defer(app: procrastinate.App, batch: Batch) -> int:
    """What ``app.configure_task(batch.task, lock=batch.key, queueing_lock=batch.key).defer(**batch.kwargs)`` does,
    with the job's fields bound one by one (see the ``defer_job`` query)."""
    params = {
        "queue": app.tasks[batch.task].queue,
        "task": batch.task,
        "priority": procrastinate.jobs.DEFAULT_PRIORITY,
        "lock": batch.key,
        "queueing_lock": batch.key,
        "args": batch.kwargs,  # procrastinate's connector sends a dict as jsonb
    }
    connector = app.job_manager.connector.get_sync_connector()
    try:
        return connector.execute_query_one(query=query("operate/tasks", "defer_job"), **params)["id"]
    except exceptions.UniqueViolation as error:
        if error.constraint_name == QUEUEING_LOCK_CONSTRAINT:
            raise exceptions.AlreadyEnqueued(f"a job with the queueing lock {batch.key} waits already") from error
        raise


def wait_for_jobs(
    conn: psycopg.Connection,
    jobs: dict[int, int],
    between: Callable[[], None],
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Wait until every job has left its summary or failed for good; raise if any failed."""
    pending = dict(jobs)
    failed: dict[int, str] = {}
    while pending:
        states = {
            row["id"]: row for row in conn.execute(query("operate/tasks", "select_job_states"), {"ids": list(pending)})
        }
        for job_id in list(pending):
            outcome = _outcome(states.get(job_id))
            if outcome is None:
                continue
            size = pending.pop(job_id)
            if outcome:
                failed[job_id] = outcome
            elif on_batch:
                on_batch(size)
        if pending:
            between()
            time.sleep(POLL)
    if failed:
        job_id, error = next(iter(failed.items()))
        raise AtlasError(f"{len(failed)} of {len(jobs)} jobs failed; job {job_id}: {error}")


def _outcome(state: dict[str, Any] | None) -> str | None:
    """None while a job is to do; "" once its summary is stored; else why it will never be done."""
    if state is None:
        return "the job is gone from the queue"
    if state["summarized"]:
        return ""
    if state["status"] in _FINAL or state["status"] == "succeeded":
        return state["error"] or f"the job is {state['status']}"
    return None


class LocalWorkers:
    """``count`` worker processes on this machine, forked from a fork server (:func:`fork_server`: a worker spawned
    cost about 0.24 CPU s more), replaced when one dies while the command still waits."""

    def __init__(self, url: str, count: int, options: WorkerOptions) -> None:
        self.url = url
        self.count = count
        self.options = options
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.restarts = 0
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> LocalWorkers:
        self.context = self.stack.enter_context(fork_server([__name__]))
        try:
            for _ in range(self.count):
                self.processes.append(self._start())
        except BaseException:  # those started, and the fork server, end here: ``with`` calls no __exit__ now
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process in self.processes:
            process.terminate()  # SIGTERM: procrastinate lets the running job finish, then stops
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()  # its job goes back to the queue once its heartbeat is stale
                process.join()
        self.stack.close()

    def revive(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive():
                continue
            if self.restarts >= 3 * self.count:
                raise AtlasError(f"local workers keep dying (the last with exit code {process.exitcode})")
            logger.warning("local worker %s died (exit code %s); starting another", process.pid, process.exitcode)
            self.restarts += 1
            self.processes[index] = self._start()

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self.context.Process(target=serve, args=(self.url, self.options, os.getpid()))
        with without_main_module():
            process.start()
        return process
