"""``ocds-atlas status``: recent crawls, counts per publisher, notes by code, normalized counts per country; or,
with ``--format json``, one JSON document for monitoring."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from rich.console import Console, RenderableType

from aggregator.cli.output import fit_table
from aggregator.db import query

#: The close reason shown for a run whose process died, which a read-only role cannot close.
NOT_CLOSED = "heartbeat lost; not closed yet: a writing command closes it"


def presumed(rows: list[dict[str, Any]], ids: frozenset[int]) -> list[dict[str, Any]]:
    """The rows, those of runs whose process died (``ids``, left running by a role that cannot close them) shown
    as interrupted."""
    marked = {"status": "interrupted"}
    return [
        row | marked | ({"close_reason": NOT_CLOSED} if "close_reason" in row else {}) if row["id"] in ids else row
        for row in rows
    ]


def print_status(conn: psycopg.Connection, out: Console, crawls: int, dead: frozenset[int] = frozenset()) -> None:
    recent = presumed(conn.execute(query("cli/status", "select_crawls"), {"limit": crawls}).fetchall(), dead)
    out.print(
        fit_table([crawl_cells(row) for row in recent], CRAWL_COLUMNS, title="recent crawls and loads", width=out.width)
    )
    tables = [
        ("publishers", conn.execute(query("cli/status", "select_publisher_counts"), {"names": None})),
        ("notes (`ocds-atlas notes` shows each)", conn.execute(query("cli/status", "select_notes_by_code"))),
        ("normalized, per country", conn.execute(query("cli/status", "select_normalized_by_country"), {})),
    ]
    for title, cursor in tables:
        out.print(_table(title, cursor, out.width))


def status_json(conn: psycopg.Connection, crawls: int, dead: frozenset[int] = frozenset()) -> str:
    """Recent crawls, publishers (counts, notes by level, last crawl) and queue sizes, as one JSON document whose
    numbers are numbers and times ISO 8601. ``dead``: runs whose process died, not closed (shown interrupted)."""
    last = presumed(conn.execute(query("cli/status", "select_last_crawl_per_publisher")).fetchall(), dead)
    last_crawls = {row.pop("publisher"): row for row in last}
    publishers = conn.execute(query("cli/status", "select_publisher_counts"), {"names": None}).fetchall()
    for publisher in publishers:
        publisher["notes"] = {level: publisher.pop(level) for level in ("info", "warning", "error")}
        publisher["last_crawl"] = last_crawls.get(publisher["name"])
    document = {
        "generated_at": datetime.now(UTC),
        "crawls": presumed(
            conn.execute(query("cli/status", "select_crawls_for_monitoring"), {"limit": crawls}).fetchall(), dead
        ),
        "publishers": publishers,
        "queues": _queues(conn),
    }
    return json.dumps(document, default=_json_value, ensure_ascii=False, indent=2)


def _queues(conn: psycopg.Connection) -> dict[str, Any]:
    """The OCIDs waiting to be compiled, per publisher; and the task queue's jobs by queue and status, when the
    task queue is installed."""
    compile_queue = {
        row["publisher"]: row["ocids"] for row in conn.execute(query("cli/status", "select_compile_queue"))
    }
    queues: dict[str, Any] = {"compile": {"total": sum(compile_queue.values()), "by_publisher": compile_queue}}
    if conn.execute(query("cli/status", "select_task_queue_exists")).fetchone()["present"]:
        jobs = conn.execute(query("cli/status", "select_task_queue")).fetchall()
        queues["tasks"] = {"total": sum(row["jobs"] for row in jobs), "jobs": jobs}
    return queues


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


#: The crawls' columns in a table (``--format json`` has them all).
CRAWL_COLUMNS = (
    "id",
    "publisher",
    "kind",
    "status",
    "started",
    "took",
    "files",
    "releases",
    "records",
    "failed_requests",
    "not_accepted_because",
)


def crawl_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A crawl as the table shows it: its close reason beside its status when they differ, and how long it took."""
    status = (
        row["status"] if row["close_reason"] in (None, row["status"]) else f"{row['status']} ({row['close_reason']})"
    )
    took = row["ended_at"] - row["started_at"] if row["ended_at"] else None
    return {
        **row,
        "status": status,
        "started": row["started_at"],
        "took": _duration(took.total_seconds()) if took else "",
    }


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _table(title: str, cursor: psycopg.Cursor, width: int) -> RenderableType:
    rows = cursor.fetchall()
    columns = [column.name for column in cursor.description or []]
    return fit_table(rows, columns, title=title, width=width)
