"""JSON bodies stored once, keyed by the SHA-256 of their canonical serialisation.

Compiled releases and package metadata go to ``data`` and ``package_data`` as jsonb (queries read them with jsonb
operators). The bodies of releases and records as published go to ``raw_data``, compressed here with zstd
(:func:`pack`): they are only ever read back whole, by Python (:func:`unpack`), and jsonb stored them at 1.7 times
their text where zstd stores them at about 0.4 times (migration 0027).
"""

from __future__ import annotations

import hashlib
import struct
import sys
import threading
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # the same module, backported (a dependency of Scrapy too)
    from backports import zstd

TABLES = ("data", "package_data", "raw_data")
#: The tables whose bodies are compressed bytes (bytea) rather than jsonb.
PACKED = ("raw_data",)
NUL_ESCAPE = b"\\u0000"
#: zstd's level: 3 (its default) compressed the bench's releases to 0.42 of their text at 12 ms per MB; level 1 gave
#: 0.43 at the same speed, and zlib 0.41 (level 1) to 0.40 (level 6) at 15 to 19 ms per MB.
LEVEL = 3
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_compressors = threading.local()


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


def pack(text: bytes) -> bytes:
    """A canonical JSON text as ``raw_data`` stores it: one zstd frame (the bytes ``zstd.compress(text, LEVEL)``
    gives, from a compressor kept per thread: making one for each body, as ``zstd.compress`` does, took two thirds of
    the time, 27 against 9 microseconds for a release of 1.4 KB)."""
    compressor = getattr(_compressors, "compressor", None)
    if compressor is None:
        compressor = _compressors.compressor = zstd.ZstdCompressor(LEVEL)
    return compressor.compress(text, zstd.ZstdCompressor.FLUSH_FRAME)


def unpack(stored: bytes) -> bytes:
    """The JSON text of a ``raw_data`` body: a zstd frame, or (for bodies that migration 0027 moved from ``data``) the
    JSON text itself, which never starts with zstd's magic number."""
    return zstd.decompress(stored) if stored[:4] == ZSTD_MAGIC else bytes(stored)


def load(stored: bytes) -> Any:
    """The JSON value of a ``raw_data`` body."""
    return orjson.loads(unpack(stored))


def store(cursor: psycopg.Cursor, table: str, bodies: dict[bytes, bytes]) -> dict[bytes, int]:
    """Insert the bodies (canonical JSON texts by hash) not stored yet (COPY, compressed first for the tables in
    ``PACKED``: only those not stored are compressed); return the id of every hash."""
    if table not in TABLES:
        raise ValueError(table)
    if not bodies:
        return {}
    hashes = list(bodies)
    cursor = cursor.connection.cursor(row_factory=tuple_row)
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(sql.Identifier(table))
    ids = {bytes(row[0]): row[1] for row in cursor.execute(select, (hashes,), prepare=False).fetchall()}
    missing = [h for h in hashes if h not in ids]
    if missing:
        if table in PACKED:
            bodies = {digest: pack(bodies[digest]) for digest in missing}
        ids.update(_insert(cursor, table, missing, bodies))
    return ids


def _insert(cursor: psycopg.Cursor, table: str, missing: list[bytes], bodies: dict[bytes, bytes]) -> dict[bytes, int]:
    """Store bodies (as the table stores them) that were not stored when looked up; return their ids.

    They are copied straight into the table, in a savepoint. Another transaction may have stored one of them since
    (two load workers reading one release in two files): the copy then fails on the unique hash, and the bodies go
    through a staging table instead, from which only those still missing are inserted. The staging table costs a
    third more time than the straight copy, so it is only the fallback.
    """
    identifier = sql.Identifier(table)
    packed = table in PACKED
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(identifier)
    try:
        with cursor.connection.transaction():
            _copy(cursor, identifier, packed, missing, bodies)
    except psycopg.errors.UniqueViolation:
        pass
    else:
        return {bytes(row[0]): row[1] for row in cursor.execute(select, (missing,), prepare=False).fetchall()}
    staging = sql.Identifier("packed_staging" if packed else "body_staging")
    create = "CREATE TEMP TABLE IF NOT EXISTS {} (hash bytea, body {}) ON COMMIT DROP"
    cursor.execute(sql.SQL(create).format(staging, sql.SQL("bytea" if packed else "text")))
    cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
    _copy(cursor, staging, packed, missing, bodies)
    insert = sql.SQL(
        "INSERT INTO {} (hash, body) SELECT hash, body{} FROM {} ON CONFLICT (hash) DO NOTHING RETURNING hash, id"
    ).format(identifier, sql.SQL("" if packed else "::jsonb"), staging)
    ids = {bytes(row[0]): row[1] for row in cursor.execute(insert).fetchall()}
    # Bodies another transaction stored meanwhile are not returned by the insert.
    raced = [h for h in missing if h not in ids]
    if raced:
        ids.update({bytes(row[0]): row[1] for row in cursor.execute(select, (raced,), prepare=False).fetchall()})
    return ids


def _copy(
    cursor: psycopg.Cursor, table: sql.Identifier, packed: bool, digests: list[bytes], bodies: dict[bytes, bytes]
) -> None:
    if packed:
        copy_packed(cursor, sql.SQL("COPY {} (hash, body) FROM STDIN (FORMAT binary)").format(table), digests, bodies)
    else:
        copy_rows(cursor, sql.SQL("COPY {} (hash, body) FROM STDIN").format(table), digests, bodies)


def copy_rows(
    cursor: psycopg.Cursor, statement: sql.Composed | sql.SQL, digests: list[bytes], bodies: dict[bytes, bytes]
) -> None:
    """COPY (hash, body) rows, written as COPY's text format: the texts stay the bytes that were hashed (no decoding
    and encoding again, which took a tenth of a load's own CPU time). Canonical JSON holds no tab, newline or
    carriage return (JSON escapes them inside strings), so only the backslash needs escaping."""
    rows = [b"\\\\x%s\t%s\n" % (digest.hex().encode(), bodies[digest].replace(b"\\", b"\\\\")) for digest in digests]
    with cursor.copy(statement) as copy:
        copy.write(b"".join(rows))


#: COPY's binary format: its signature, flags and header extension; each row's field count; the end.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_BINARY_TRAILER = struct.pack("!h", -1)


def copy_packed(
    cursor: psycopg.Cursor, statement: sql.Composed | sql.SQL, digests: list[bytes], bodies: dict[bytes, bytes]
) -> None:
    """COPY (hash, body) rows of two bytea values in COPY's binary format, which takes the bytes as they are (the
    text format would want each byte of a compressed body written as two hexadecimal digits)."""
    rows = [
        struct.pack("!hi", 2, len(digest)) + digest + struct.pack("!i", len(bodies[digest])) + bodies[digest]
        for digest in digests
    ]
    with cursor.copy(statement) as copy:
        copy.write(_BINARY_HEADER + b"".join(rows) + _BINARY_TRAILER)
