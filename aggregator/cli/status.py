"""``ocds-atlas status``: recent crawls, counts per publisher, notes by code, normalized counts per country; or,
with ``--format json``, one JSON document for monitoring."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table

from aggregator.db import query


def print_status(conn: psycopg.Connection, out: Console, crawls: int) -> None:
    out.print(_table("recent crawls and loads", conn.execute(query("cli/status", "select_crawls"), {"limit": crawls})))
    out.print(_table("publishers", conn.execute(query("cli/status", "select_publisher_counts"), {"names": None})))
    out.print(_table("notes", conn.execute(query("cli/status", "select_notes_by_code"))))
    out.print(_table("normalized, per country", conn.execute(query("cli/status", "select_normalized_by_country"), {})))


def status_json(conn: psycopg.Connection, crawls: int) -> str:
    """Recent crawls, publishers (counts, notes by level, last crawl) and queue sizes, as one JSON document whose
    numbers are numbers and times ISO 8601."""
    last = conn.execute(query("cli/status", "select_last_crawl_per_publisher")).fetchall()
    last_crawls = {row.pop("publisher"): row for row in last}
    publishers = conn.execute(query("cli/status", "select_publisher_counts"), {"names": None}).fetchall()
    for publisher in publishers:
        publisher["notes"] = {level: publisher.pop(level) for level in ("info", "warning", "error")}
        publisher["last_crawl"] = last_crawls.get(publisher["name"])
    document = {
        "generated_at": datetime.now(UTC),
        "crawls": conn.execute(query("cli/status", "select_crawls_for_monitoring"), {"limit": crawls}).fetchall(),
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


def _table(title: str, cursor: psycopg.Cursor) -> Table:
    rows = cursor.fetchall()
    table = Table(title=title)
    columns = [column.name for column in cursor.description or []]
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*(_text(row[c]) for c in columns))
    return table


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
