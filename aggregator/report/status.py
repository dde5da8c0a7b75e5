"""``ocds-atlas status``: recent crawls, counts per publisher, notes by code, normalized counts per country."""

from __future__ import annotations

from datetime import datetime

import psycopg
from rich.console import Console
from rich.table import Table

from aggregator.db import query


def print_status(conn: psycopg.Connection, out: Console, crawls: int) -> None:
    out.print(_table("recent crawls and loads", conn.execute(query("status", "select_crawls"), {"limit": crawls})))
    out.print(_table("publishers", conn.execute(query("status", "select_publisher_counts"), {"names": None})))
    out.print(_table("notes", conn.execute(query("status", "select_notes_by_code"))))
    out.print(_table("normalized, per country", conn.execute(query("status", "select_normalized_by_country"), {})))


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
