"""Writing a normalize batch's rows: by COPY into staging tables, then set-based statements sent together.

A batch of 200 processes used to take an INSERT per row (about 1,900 statements, each parsed, bound and executed,
and each process's firing the statement triggers of ``process``); now it takes one statement that prepares the
staging tables, one COPY per table and about ten statements sent together, whatever its size. The rows are the
same, with the same ids in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import psycopg

from aggregator.db import query

QUERIES = "normalize/normalize"
#: A process's rows of each kind, with the blocks that stage them and move them into place.
CHILDREN = {
    "awards": ("copy_awards", "insert_awards"),
    "contracts": ("copy_contracts", "insert_contracts"),
    "parties": ("copy_parties", "insert_parties"),
    "identifiers": ("copy_identifiers", "insert_identifiers"),
}
#: Once the rows are staged, in this order: the processes, then their old children out and the new ones in.
REPLACE = ("upsert_processes", "delete_awards", "delete_contracts", "replace_parties")


@dataclass
class Batch:
    """What a batch writes: the rows of the processes whose output changed, and the processes left as they were
    whose compiled release was compiled again (process id, compiled_at)."""

    processes: list[dict[str, Any]] = field(default_factory=list)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {name: [] for name in CHILDREN})
    touched: list[tuple[int, datetime]] = field(default_factory=list)

    def add(self, compiled_release_id: int, process: dict[str, Any], children: dict[str, list[dict[str, Any]]]) -> None:
        self.processes.append(process)
        for name, rows in children.items():
            self.children[name].extend({**row, "compiled_release_id": compiled_release_id} for row in rows)


@cache
def copy_columns(name: str) -> tuple[str, ...]:
    """The columns of a ``copy_*`` block, in its order: the order in which its rows' values are sent."""
    statement = query(QUERIES, name)
    match = re.search(r"\(([^)]*)\)\s*FROM STDIN", statement)
    if match is None:
        raise LookupError(f"{QUERIES}.sql: {name} lists no columns")
    return tuple(column.strip() for column in match.group(1).split(","))


@cache
def statement(name: str) -> str:
    """A block of normalize.sql; ``upsert_processes`` with copy_processes' columns where it says
    ``{process_columns}``, and their updates where it says ``{process_updates}`` (the one list of 42 columns)."""
    text = query(QUERIES, name)
    if "{process_columns}" in text:
        columns = copy_columns("copy_processes")
        updates = ",\n        ".join(f"{c} = excluded.{c}" for c in columns if c != "compiled_release_id")
        text = text.replace("{process_columns}", ", ".join(columns)).replace("{process_updates}", updates)
    return text


def write_batch(conn: psycopg.Connection, batch: Batch) -> None:
    """Write ``batch`` in the caller's transaction: stage its rows, then move them into place."""
    if not batch.processes and not batch.touched:
        return
    with conn.cursor() as cursor:
        cursor.execute(query(QUERIES, "prepare_batch"))
        if batch.processes:
            _copy(cursor, "copy_processes", batch.processes)
            for name, (block, _) in CHILDREN.items():
                _copy(cursor, block, batch.children[name])
    # Planned at every batch, never prepared: a plan kept for the connection is made for the tables' sizes at the
    # time, and one made while award was nearly empty read all of it for every later batch (measured: a full
    # normalize of 200k releases spent 4 times as long deleting in its last batches as in its first).
    with conn.pipeline(), conn.cursor() as cursor:
        if batch.touched:
            ids, moments = zip(*batch.touched, strict=True)
            params = {"ids": list(ids), "source_compiled_at": list(moments)}
            cursor.execute(query(QUERIES, "touch_processes"), params, prepare=False)
        if batch.processes:
            for name in REPLACE:
                cursor.execute(statement(name), prepare=False)
            for name, (_, insert) in CHILDREN.items():
                if batch.children[name]:
                    cursor.execute(query(QUERIES, insert), prepare=False)


def _copy(cursor: psycopg.Cursor[Any], block: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = copy_columns(block)
    with cursor.copy(query(QUERIES, block)) as copy:
        for row in _values(rows, columns):
            copy.write_row(row)


def _values(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterable[tuple[Any, ...]]:
    for row in rows:
        yield tuple(row[column] for column in columns)
