"""The task queue's schema: procrastinate's tables in ``task_queue``, installed from the installed procrastinate's own
SQL and brought up to its version. Every command that migrates runs :func:`install_schema` (see
:data:`aggregator.migrate.LIBRARY_SCHEMAS`), so this module does not import procrastinate, which took 0.3 CPU s to
import; it reads the package's version from its metadata, and its SQL files only when the schema must change."""

from __future__ import annotations

import re
from importlib import metadata, resources
from typing import Any

import psycopg
from psycopg import sql

from aggregator.db import query

SCHEMA = "task_queue"
_MIGRATION = re.compile(r"^(\d+)\.(\d+)\.(\d+)_\d+_\w+\.sql$")


def install_schema(conn: psycopg.Connection) -> None:
    """Install procrastinate's schema in ``task_queue``, or bring it up to the installed procrastinate's version by
    applying procrastinate's own migrations since the recorded one; record the version as the schema's comment."""
    installed = _scalar(conn.execute(query("operate/task_schema", "select_schema_version")).fetchone())
    current = metadata.version("procrastinate")
    if installed == current:
        return
    scripts = [_read_sql("schema.sql")] if installed is None else migrations_between(installed, current)
    # procrastinate's SQL names its objects without a schema: for this transaction only, ours comes first.
    previous = _scalar(conn.execute(query("operate/task_schema", "select_search_path")).fetchone())
    conn.execute(query("operate/task_schema", "set_search_path"), {"path": f"{SCHEMA}, {previous}"})
    for script in scripts:
        conn.execute(script)  # type: ignore[arg-type]  # procrastinate's SQL, run as the package ships it
    conn.execute(query("operate/task_schema", "set_search_path"), {"path": previous})
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(SCHEMA), sql.Literal(current)))


def migrations_between(installed: str, current: str) -> list[str]:
    """procrastinate's migration scripts newer than ``installed`` and not newer than ``current``, in order."""
    low, high = _version(installed), _version(current)
    scripts = []
    for entry in sorted(resources.files("procrastinate.sql.migrations").iterdir(), key=lambda e: e.name):
        match = _MIGRATION.match(entry.name)
        if match and low < tuple(int(part) for part in match.groups()) <= high:
            scripts.append(entry.read_text(encoding="utf-8"))
    return scripts


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _scalar(row: Any) -> Any:
    """The one value of a row, whichever row factory the caller's connection has (migrate() accepts any)."""
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def _read_sql(name: str) -> str:
    return (resources.files("procrastinate.sql") / name).read_text(encoding="utf-8")
