"""The compile and normalize stages as jobs of the task queue: their batches as :class:`Batch` jobs, run by
:func:`aggregator.operate.workers.run_batches`, and the summaries the jobs return added up. What the stages take as
their ``parallel`` runner.

The task queue (procrastinate, 0.3 CPU s to import) and the worker processes are imported by the functions that run
batches in them: a compile or normalize small enough to run alone imports neither."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from aggregator.compile.store import CompileSummary
    from aggregator.normalize.refresh import NormalizeSummary
    from aggregator.operate.workers import Batch


def compile_in_workers(
    conn: psycopg.Connection,
    batches: Iterable[tuple[int, list[str]]],
    versioned: bool,
    started: datetime,
    workers: int,
    on_batch: Callable[[int], None] | None = None,
    full: bool = False,
) -> CompileSummary:
    """Compile the batches in ``workers`` local worker processes (and any others serving the queue)."""
    from aggregator.operate.workers import run_batches

    summaries = run_batches(conn, compile_jobs(batches, versioned, started, full), workers, on_batch)
    return compile_summary(summaries)


def compile_jobs(
    batches: Iterable[tuple[int, list[str]]], versioned: bool, started: datetime, full: bool = False
) -> Iterator[Batch]:
    from aggregator.operate.tasks import COMPILE_TASK
    from aggregator.operate.workers import Batch

    return (
        Batch(
            COMPILE_TASK,
            {
                "publisher_id": publisher_id,
                "ocids": ocids,
                "versioned": versioned,
                "started": started.isoformat(),
                "full": full,
            },
            # A full run's job also counts the OCIDs it leaves as they were (in the run's notes): not the same job.
            f"compile:{publisher_id}:{int(versioned)}:{int(full)}:{digest(ocids)}",
            len(ocids),
        )
        for publisher_id, ocids in batches
    )


def compile_summary(summaries: list[dict[str, Any]]) -> CompileSummary:
    from aggregator.compile.store import CompileSummary
    from aggregator.operate.tasks import compile_summary_from_json

    summary = CompileSummary()
    for value in summaries:
        summary.add(compile_summary_from_json(value))
    return summary


def normalize_in_workers(
    conn: psycopg.Connection,
    batches: list[list[int]],
    today: date,
    workers: int,
    on_batch: Callable[[int], None] | None = None,
    full: bool = False,
) -> NormalizeSummary:
    """Normalize the batches of compiled release ids in ``workers`` local worker processes (and any others)."""
    from aggregator.operate.workers import run_batches

    return normalize_summary(run_batches(conn, normalize_jobs(batches, today, full), workers, on_batch))


def normalize_jobs(batches: Iterable[list[int]], today: date, full: bool = False) -> Iterator[Batch]:
    from aggregator.operate.tasks import NORMALIZE_TASK
    from aggregator.operate.workers import Batch

    return (
        Batch(
            NORMALIZE_TASK,
            {"ids": ids, "today": today.isoformat(), "full": full},
            f"normalize:{int(full)}:{digest(ids)}",
            len(ids),
        )
        for ids in batches
    )


def normalize_summary(summaries: list[dict[str, Any]]) -> NormalizeSummary:
    from aggregator.normalize.refresh import NormalizeSummary
    from aggregator.operate.tasks import add_normalize_summary

    summary = NormalizeSummary()
    for value in summaries:
        add_normalize_summary(summary, value)
    return summary


def digest(values: list[Any]) -> str:
    return hashlib.sha256("\n".join(map(str, values)).encode()).hexdigest()[:32]
