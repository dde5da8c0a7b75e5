"""The task queue: compile and normalize batches as procrastinate jobs, run by ``ocds-atlas worker`` processes on any
machine that reaches the database.

A job runs in one transaction that also stores its summary, keyed by the job's id: a worker killed mid-job leaves
nothing (PostgreSQL rolls its transaction back) and its job is run again by another worker once the dead one's
heartbeat is stale; a job that had committed before its worker died is found done and not run twice. The command
that queued the jobs sums their summaries.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import procrastinate
import psycopg
from psycopg.types.json import Jsonb

from aggregator import db
from aggregator.db import query
from aggregator.errors import describe
from aggregator.notes import Note
from aggregator.operate.task_schema import SCHEMA
from aggregator.raw.shapes import Problem

if TYPE_CHECKING:  # not imported at run time: needed by none of the functions a worker starts with
    from aggregator.compile.store import CompileSummary
    from aggregator.normalize.process import Context
    from aggregator.normalize.refresh import NormalizeSummary

logger = logging.getLogger(__name__)

QUEUE = "atlas"
COMPILE_TASK = "compile_batch"
NORMALIZE_TASK = "normalize_batch"
#: Retried: what another attempt can cure (a deadlock between two batches, a dropped connection). A bug is not.
RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=1, retry_exceptions={psycopg.OperationalError})


def make_app(url: str) -> procrastinate.App:
    """An app on the database at ``url``: procrastinate's connections see its schema first."""
    connector = procrastinate.PsycopgConnector(
        conninfo=url, kwargs={"options": f"-c search_path={SCHEMA}"}, min_size=1, max_size=3
    )
    app = procrastinate.App(connector=connector)
    app.task(name=COMPILE_TASK, queue=QUEUE, pass_context=True, retry=RETRY)(compile_task)
    app.task(name=NORMALIZE_TASK, queue=QUEUE, pass_context=True, retry=RETRY)(normalize_task)
    return app


def compile_task(
    context: procrastinate.JobContext,
    publisher_id: int,
    ocids: list[str],
    versioned: bool,
    started: str,
    full: bool = False,
) -> None:
    from aggregator.compile.run import compile_batch

    def work(conn: psycopg.Connection) -> dict[str, Any]:
        summary = compile_batch(conn, publisher_id, ocids, versioned, datetime.fromisoformat(started), full)
        return compile_summary_to_json(summary)

    _run_once(_job_id(context), work, repeatable=True)


def normalize_task(context: procrastinate.JobContext, ids: list[int], today: str, full: bool = False) -> None:
    from aggregator.normalize.refresh import NormalizeSummary, normalize_batch

    def work(conn: psycopg.Connection) -> dict[str, Any]:
        summary = NormalizeSummary()
        ctx, problems = normalize_context(date.fromisoformat(today))
        summary.run_problems.extend(problems)
        normalize_batch(conn, ids, ctx, summary, full)
        return normalize_summary_to_json(summary)

    _run_once(_job_id(context), work)


def _job_id(context: procrastinate.JobContext) -> int:
    assert context.job.id is not None  # a job being run was stored, so it has an id
    return context.job.id


def _run_once(job_id: int, work: Callable[[psycopg.Connection], dict[str, Any]], *, repeatable: bool = False) -> None:
    """Do a job's work and store its summary in one transaction, unless a run before this one committed. With
    ``repeatable``, the transaction sees one snapshot and is run again when it met another's write
    (:func:`aggregator.db.in_snapshot`; compile's jobs: see :func:`aggregator.compile.run.compile_batch`); the job's
    lock is then the session's, taken before the snapshot, so that the snapshot sees the summary of a run that held
    the lock before."""
    conn = task_connection()

    def once() -> dict[str, Any] | None:
        if conn.execute(query("operate/tasks", "select_summary"), {"job_id": job_id}).fetchone():
            logger.info("job %s: done already, by a worker that died before it could say so", job_id)
            return None
        summary = work(conn)
        params = {"job_id": job_id, "summary": Jsonb(summary), "worker": worker_name()}
        conn.execute(query("operate/tasks", "insert_summary"), params)
        return summary

    try:
        if repeatable:
            conn.execute(query("operate/tasks", "lock_job_session"), {"job_id": job_id})
            try:
                summary = db.in_snapshot(conn, once)
            finally:
                if not conn.broken:
                    conn.execute(query("operate/tasks", "unlock_job_session"), {"job_id": job_id})
        else:
            with conn.transaction():
                conn.execute(query("operate/tasks", "lock_job"), {"job_id": job_id})
                summary = once()
        if summary is not None:
            logger.info("job %s: %s", job_id, ", ".join(f"{k} {v}" for k, v in summary.items() if isinstance(v, int)))
    except Exception as error:
        # Kept for the command that waits on the job: procrastinate keeps only the job's state, not why it failed.
        if not conn.broken:
            params = {"job_id": job_id, "error": describe(error), "worker": worker_name()}
            conn.execute(query("operate/tasks", "record_error"), params)
        raise


_connection: psycopg.Connection | None = None


def task_connection() -> psycopg.Connection:
    """This process's connection for tasks (a worker runs one job at a time), opened again if it broke."""
    global _connection  # one per worker process, like procrastinate's own pool
    if _connection is None or _connection.broken or _connection.closed:
        _connection = db.connect(db.resolve_url(), autocommit=True, application_name=worker_name())
    return _connection


def worker_name() -> str:
    """Who ran a job: the process and the machine, as stored with the job's summary and shown in pg_stat_activity
    (which keeps 63 characters: the process id comes first)."""
    return f"ocds-atlas worker {os.getpid()}@{socket.gethostname()}"


@functools.lru_cache(maxsize=1)
def normalize_context(today: date) -> tuple[Context, tuple[Note, ...]]:
    """The register, schemes, mappings and rates, loaded once per process and day (they are large: a worker that
    runs for days keeps only the current day's)."""
    from aggregator.normalize.refresh import NormalizeSummary, make_context

    summary = NormalizeSummary()
    ctx = make_context(summary, today)
    return ctx, tuple(summary.run_problems)


# Summaries as JSON, the way they travel from a worker to the command that queued the job.


def compile_summary_to_json(summary: CompileSummary) -> dict[str, Any]:
    return {
        "ocids": summary.ocids,
        "written": summary.written,
        "unchanged": summary.unchanged,
        "failed": summary.failed,
        "removed": summary.removed,
        "methods": dict(summary.methods),
        "warnings": [[publisher_id, key, count] for (publisher_id, key), count in summary.warnings.items()],
        "rule_problems": [
            [publisher_id, asdict(problem), count]
            for (publisher_id, _), (problem, count) in summary.rule_problems.items()
        ],
    }


def compile_summary_from_json(value: dict[str, Any]) -> CompileSummary:
    from aggregator.compile.store import CompileSummary

    summary = CompileSummary(value["ocids"], value["written"], value["unchanged"], value["failed"])
    summary.removed = value.get("removed", 0)  # a job queued by a version without it
    summary.methods.update(value["methods"])
    summary.warnings.update({(publisher_id, key): count for publisher_id, key, count in value["warnings"]})
    for publisher_id, problem, count in value["rule_problems"]:
        summary.note_rule_problem(publisher_id, Problem(**problem), count)
    return summary


def normalize_summary_to_json(summary: NormalizeSummary) -> dict[str, Any]:
    return {
        "compiled_releases": summary.compiled_releases,
        "written": summary.written,
        "unchanged": summary.unchanged,
        "problems": [
            [publisher_id, code, {**entry, "values": list(entry["values"].items())}]
            for (publisher_id, code), entry in summary.problems.items()
        ],
        "run_problems": [asdict(note) for note in summary.run_problems],
    }


def add_normalize_summary(summary: NormalizeSummary, value: dict[str, Any]) -> None:
    """Add one job's summary (as JSON) to a run's, as if the run had done the job's batch itself."""
    summary.compiled_releases += value["compiled_releases"]
    summary.written += value["written"]
    summary.unchanged += value["unchanged"]
    for publisher_id, code, entry in value["problems"]:
        total = summary.problems.setdefault(
            (publisher_id, code),
            {"level": entry["level"], "message": entry["message"], "count": 0, "values": Counter(), "ocids": []},
        )
        total["count"] += entry["count"]
        for problem_value, count in entry["values"]:
            total["values"][problem_value] += count
        total["ocids"].extend(ocid for ocid in entry["ocids"] if ocid not in total["ocids"])
        del total["ocids"][5:]
    for note in map(lambda fields: Note(**fields), value["run_problems"]):
        if note not in summary.run_problems:  # every job meets an unavailable register; the run notes it once
            summary.run_problems.append(note)


# procrastinate's schema, installed from the package's own SQL (aggregator/migrate.py calls this).
