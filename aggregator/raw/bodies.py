"""JSON bodies stored once, keyed by the SHA-256 of their canonical serialisation."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

TABLES = ("data", "package_data")
NUL_ESCAPE = b"\\u0000"


def canonical(value: Any) -> tuple[bytes, bytes, bool]:
    """The hash and the text (UTF-8) of a JSON value, with sorted keys so that equal values hash equally.

    PostgreSQL's jsonb cannot hold the character U+0000, so it is removed; the third value says whether it was,
    so that the caller can say so in a note.
    """
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    removed = NUL_ESCAPE in text
    if removed:
        text = text.replace(NUL_ESCAPE, b"")
    return hashlib.sha256(text).digest(), text, removed


def store(cursor: psycopg.Cursor, table: str, bodies: dict[bytes, bytes]) -> dict[bytes, int]:
    """Insert the bodies not stored yet (COPY); return the id of every hash."""
    if table not in TABLES:
        raise ValueError(table)
    if not bodies:
        return {}
    identifier = sql.Identifier(table)
    hashes = list(bodies)
    cursor = cursor.connection.cursor(row_factory=tuple_row)
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(identifier)
    ids = {bytes(row[0]): row[1] for row in cursor.execute(select, (hashes,), prepare=False).fetchall()}
    missing = [h for h in hashes if h not in ids]
    if missing:
        ids.update(_insert(cursor, identifier, missing, bodies))
    return ids


def _insert(
    cursor: psycopg.Cursor, identifier: sql.Identifier, missing: list[bytes], bodies: dict[bytes, bytes]
) -> dict[bytes, int]:
    """Store bodies that were not stored when looked up; return their ids.

    They are copied straight into the table, in a savepoint. Another transaction may have stored one of them since
    (two load workers reading one release in two files): the copy then fails on the unique hash, and the bodies go
    through a staging table instead, from which only those still missing are inserted. The staging table costs a
    third more time than the straight copy, so it is only the fallback.
    """
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(identifier)
    try:
        with cursor.connection.transaction():
            copy_rows(cursor, sql.SQL("COPY {} (hash, body) FROM STDIN").format(identifier), missing, bodies)
    except psycopg.errors.UniqueViolation:
        pass
    else:
        return {bytes(row[0]): row[1] for row in cursor.execute(select, (missing,), prepare=False).fetchall()}
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS body_staging (hash bytea, body text) ON COMMIT DROP")
    cursor.execute("TRUNCATE body_staging")
    copy_rows(cursor, sql.SQL("COPY body_staging (hash, body) FROM STDIN"), missing, bodies)
    insert = sql.SQL(
        "INSERT INTO {} (hash, body) SELECT hash, body::jsonb FROM body_staging ON CONFLICT (hash) DO NOTHING"
        " RETURNING hash, id"
    ).format(identifier)
    ids = {bytes(row[0]): row[1] for row in cursor.execute(insert).fetchall()}
    # Bodies another transaction stored meanwhile are not returned by the insert.
    raced = [h for h in missing if h not in ids]
    if raced:
        ids.update({bytes(row[0]): row[1] for row in cursor.execute(select, (raced,), prepare=False).fetchall()})
    return ids


def copy_rows(
    cursor: psycopg.Cursor, statement: sql.Composed | sql.SQL, digests: list[bytes], bodies: dict[bytes, bytes]
) -> None:
    """COPY (hash, body) rows, written as COPY's text format: the texts stay the bytes that were hashed (no decoding
    and encoding again, which took a tenth of a load's own CPU time). Canonical JSON holds no tab, newline or
    carriage return (JSON escapes them inside strings), so only the backslash needs escaping."""
    rows = [b"\\\\x%s\t%s\n" % (digest.hex().encode(), bodies[digest].replace(b"\\", b"\\\\")) for digest in digests]
    with cursor.copy(statement) as copy:
        copy.write(b"".join(rows))
