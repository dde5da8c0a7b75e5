"""Forward-only migrations: ``sql/migrations/NNNN_verb_object.sql``, applied in order and recorded with a checksum.

An applied file whose content changed is refused: write a new migration instead. Commands that write migrate
(:func:`migrate`); commands that only read check that nothing is pending (:func:`check_current`) and change
nothing, so that a role that may only read can run them.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from aggregator.db import SQL_DIR
from aggregator.errors import AtlasError

MIGRATIONS_DIR = SQL_DIR / "migrations"
_FILENAME = re.compile(r"^\d{4}_[a-z0-9]+(?:_[a-z0-9]+)+\.sql$")
# Any fixed number: it serialises migrations run by several processes at once.
_LOCK_ID = 0x0CD5A71A5

#: Schemas a library owns, installed from the library's own SQL (never copied into sql/) by a function that runs
#: after the migration making room for them, and on every later run, so the schema follows the installed version.
LIBRARY_SCHEMAS = {"0007_create_task_queue": "aggregator.operate.task_schema:install_schema"}

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migration (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        if not _FILENAME.match(path.name):
            raise AtlasError(f"migration file {path.name} is not named NNNN_verb_object.sql")
        migrations.append(Migration(path.stem, path.read_text(encoding="utf-8")))
    return migrations


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not yet applied; return their names. Refuse if an applied file changed. With nothing to
    apply, nothing is written (a role without CREATE may run it)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        if not _recorded(conn):  # CREATE TABLE IF NOT EXISTS would need CREATE on the schema even when it exists
            conn.execute(_CREATE_TABLE)
        applied = _applied(conn)
        done = []
        for migration in available(directory):
            if migration.name in applied:
                _check_unchanged(migration, applied[migration.name])
                continue
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO schema_migration (name, checksum) VALUES (%s, %s)",
                (migration.name, migration.checksum),
            )
            done.append(migration.name)
        for name, target in LIBRARY_SCHEMAS.items():
            if name in applied or name in done:
                _function(target)(conn)
    return done


def pending(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """The migrations not applied yet, in order, read without writing or locking. Refuse if an applied file
    changed."""
    applied = _applied(conn) if _recorded(conn) else {}
    names = []
    for migration in available(directory):
        if migration.name in applied:
            _check_unchanged(migration, applied[migration.name])
        else:
            names.append(migration.name)
    return names


def check_current(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> None:
    """Raise :class:`AtlasError`, in one line saying what to run, unless every migration is applied."""
    names = pending(conn, directory)
    if not names:
        return
    if len(names) == len(available(directory)):
        state = "the database is not initialised (no migration applied)"
    else:
        state = f"the database is {len(names)} migration(s) behind this ocds-atlas (next: {names[0]})"
    raise AtlasError(f"{state}: run `ocds-atlas migrate` as the database's owner; reading commands do not migrate")


def _recorded(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT to_regclass('schema_migration') IS NOT NULL AS present").fetchone()
    return bool(_value(row, "present", 0))


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT name, checksum FROM schema_migration").fetchall()
    return {_value(row, "name", 0): _value(row, "checksum", 1) for row in rows}


def _check_unchanged(migration: Migration, checksum: str) -> None:
    if checksum != migration.checksum:
        raise AtlasError(
            f"migration {migration.name} was changed after it was applied; "
            "migrations are forward-only: restore the file and add a new migration"
        )


def _function(target: str) -> Callable[[psycopg.Connection], None]:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _value(row: object, key: str, index: int) -> str:
    return row[key] if isinstance(row, dict) else row[index]  # type: ignore[index]
