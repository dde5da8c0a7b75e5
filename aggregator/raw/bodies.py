"""JSON bodies stored once, keyed by the SHA-256 of their canonical serialisation.

Compiled releases and package metadata go to ``data`` and ``package_data`` as jsonb (queries read them with jsonb
operators). The bodies of releases and records as published go to ``raw_data``, compressed here with zstd
(:func:`pack`): they are only ever read back whole, by Python (:func:`unpack`), and jsonb stored them at 1.7 times
their text where zstd stores them at about 0.4 times (migration 0027).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import struct
import sys
import threading
from collections.abc import Sequence
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
#: The sequence of each table's ids (``raw_data`` takes those of ``data``: migration 0027).
SEQUENCES = {"data": "data_id_seq", "package_data": "package_data_id_seq", "raw_data": "data_id_seq"}
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


def load_many(stored: Sequence[bytes | memoryview | None]) -> list[Any]:
    """The JSON values of many ``raw_data`` bodies (None for None), as :func:`load` gives them one by one.

    ``zstd.decompress`` makes a decompression context for each frame, and making one (``ZSTD_createDCtx``) took 8 to
    13 of the 15 microseconds that unpacking a release of 1.4 KB took: compiling 204 MB spent 2 CPU s on it. Python's
    zstd module has no context that outlives a frame, so the frames are decompressed here in one call, with a
    context kept per thread, by the zstd library that the module itself carries (:func:`_native`): 6 microseconds a
    release, frame sizes included. Without that library (a module built without its symbols), each body is
    unpacked on its own."""
    native = _native()
    texts: list[bytes | memoryview | None] = list(stored)
    frames: list[int] = []
    sizes: list[int] = []
    for index, body in enumerate(texts):
        if native is None or body is None or body[:4] != ZSTD_MAGIC:
            texts[index] = None if body is None else unpack(body)
            continue
        size = zstd.get_frame_info(body).decompressed_size
        if size is None:  # a frame that does not say its size (pack's always do)
            texts[index] = unpack(body)
            continue
        frames.append(index)
        sizes.append(size)
    if frames:
        assert native is not None
        unpacked = memoryview(native.decompress(b"".join(texts[i] for i in frames), sum(sizes)))  # type: ignore[misc]
        start = 0
        for index, size in zip(frames, sizes, strict=True):
            texts[index] = unpacked[start : start + size]
            start += size
    return [None if text is None else orjson.loads(text) for text in texts]


class _Decompressor:
    """One-shot decompression of concatenated zstd frames with a reusable context (``ZSTD_decompressDCtx``), from
    the zstd library in the ``_zstd`` extension module (the backport links it in and exports its symbols; Python
    3.14's links the system's libzstd, which ``dlsym`` finds through it)."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.library = library
        self.context = library.ZSTD_createDCtx()
        if not self.context:
            raise MemoryError("ZSTD_createDCtx")

    def __del__(self) -> None:
        if getattr(self, "context", None):
            self.library.ZSTD_freeDCtx(self.context)

    def decompress(self, frames: bytes, size: int) -> bytes:
        """The concatenated content of ``frames``, which sum to ``size`` bytes."""
        out = ctypes.create_string_buffer(size)
        written = self.library.ZSTD_decompressDCtx(self.context, out, size, frames, len(frames))
        if self.library.ZSTD_isError(written):
            raise zstd.ZstdError(self.library.ZSTD_getErrorName(written).decode())
        if written != size:
            raise zstd.ZstdError(f"the frames gave {written} bytes where their headers said {size}")
        return out.raw


_decompressors = threading.local()


def _native() -> _Decompressor | None:
    """This thread's :class:`_Decompressor`; None when the zstd module does not expose its library."""
    decompressor = getattr(_decompressors, "decompressor", False)
    if decompressor is False:
        library = _library()
        decompressor = _decompressors.decompressor = None if library is None else _Decompressor(library)
    return decompressor


@functools.cache
def _library() -> ctypes.CDLL | None:
    """The zstd module's own shared library, with the decompression functions typed; None when it has none."""
    try:
        library = ctypes.CDLL(zstd._zstd.__file__)  # type: ignore[attr-defined]
    except (AttributeError, OSError):  # no file (a built-in module)
        return None
    try:
        library.ZSTD_createDCtx.restype = ctypes.c_void_p
        library.ZSTD_freeDCtx.argtypes = [ctypes.c_void_p]
        library.ZSTD_decompressDCtx.restype = ctypes.c_size_t
        library.ZSTD_decompressDCtx.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_size_t,
        ]
        library.ZSTD_isError.restype = ctypes.c_uint
        library.ZSTD_isError.argtypes = [ctypes.c_size_t]
        library.ZSTD_getErrorName.restype = ctypes.c_char_p
        library.ZSTD_getErrorName.argtypes = [ctypes.c_size_t]
    except AttributeError:  # no such symbols
        return None
    return library


def store(cursor: psycopg.Cursor, table: str, bodies: dict[bytes, bytes]) -> dict[bytes, int]:
    """Insert the bodies (canonical JSON texts by hash) not stored yet (COPY, compressed first for the tables in
    ``PACKED``: only those not stored are compressed); return the id of every hash."""
    return store_new(cursor, table, bodies)[0]


def store_new(cursor: psycopg.Cursor, table: str, bodies: dict[bytes, bytes]) -> tuple[dict[bytes, int], set[bytes]]:
    """:func:`store`, which also says which hashes it inserted: bodies that no row of any committed transaction
    had, nor any before in this one.

    When the bodies this process stored last in the table were all new (a first load, compiled releases), they are
    copied straight in, without being looked up first: the look-ups were 0.6 s of the 12.1 s that a first load's
    statements took on the server (204 MB, ``raw_data``'s and ``data``'s). A copy that meets a body stored already is
    rolled back (a savepoint), and the bodies are looked up, as they are from then on until a batch finds none stored.
    A process's first batch is looked up: a load run again after a crash finds what the crashed one stored, and
    copying it first would only take ids from the sequence for nothing (the ids, and so the compiled releases' input
    hashes, would then differ from those of a load that never stopped)."""
    if table not in TABLES:
        raise ValueError(table)
    if not bodies:
        return {}, set()
    hashes = list(bodies)
    cursor = cursor.connection.cursor(row_factory=tuple_row)
    packed = False  # the bodies as the table stores them: only the missing ones are packed, once known
    if _all_new.get(table, False):
        if table in PACKED:
            bodies, packed = {digest: pack(text) for digest, text in bodies.items()}, True
        copied = _copy_new(cursor, table, hashes, bodies)
        if copied is not None:
            return copied, set(hashes)
        _all_new[table] = False
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(sql.Identifier(table))
    ids = {bytes(row[0]): row[1] for row in cursor.execute(select, (hashes,), prepare=False).fetchall()}
    _all_new[table] = not ids
    missing = [h for h in hashes if h not in ids]
    if not missing:
        return ids, set()
    if table in PACKED and not packed:
        bodies = {digest: pack(bodies[digest]) for digest in missing}
    inserted, new = _insert(cursor, table, missing, bodies)
    ids.update(inserted)
    return ids, new


#: Per table: whether the bodies this process stored last were all new (see :func:`store_new`).
_all_new: dict[str, bool] = {}


def _copy_new(
    cursor: psycopg.Cursor, table: str, digests: list[bytes], bodies: dict[bytes, bytes]
) -> dict[bytes, int] | None:
    """Copy bodies (as the table stores them) straight into the table, in a savepoint, with ids taken from the
    table's sequence first (looking the hashes up again after the copy, to learn their ids, was a tenth of a load's
    statements' time); return their ids, or None when one was stored already (by this transaction, or another that
    committed meanwhile): nothing is then copied."""
    try:
        with cursor.connection.transaction():
            next_ids = sql.SQL("SELECT nextval({}) FROM generate_series(1, %s)").format(sql.Literal(SEQUENCES[table]))
            ids = [row[0] for row in cursor.execute(next_ids, (len(digests),)).fetchall()]
            _copy(cursor, sql.Identifier(table), table in PACKED, digests, bodies, ids)
    except psycopg.errors.UniqueViolation:
        return None
    return dict(zip(digests, ids, strict=True))


def _insert(
    cursor: psycopg.Cursor, table: str, missing: list[bytes], bodies: dict[bytes, bytes]
) -> tuple[dict[bytes, int], set[bytes]]:
    """Store bodies (as the table stores them) that were not stored when looked up; return their ids, and the hashes
    of those inserted here (not by another transaction meanwhile).

    They are copied straight into the table (:func:`_copy_new`). Another transaction may have stored one of them
    since (two load workers reading one release in two files): the copy then fails on the unique hash, and the bodies
    go through a staging table instead, from which only those still missing are inserted. The staging table costs a
    third more time than the straight copy, so it is only the fallback.
    """
    copied = _copy_new(cursor, table, missing, bodies)
    if copied is not None:
        return copied, set(missing)
    identifier = sql.Identifier(table)
    packed = table in PACKED
    select = sql.SQL("SELECT hash, id FROM {} WHERE hash = ANY(%b)").format(identifier)
    staging = sql.Identifier("packed_staging" if packed else "body_staging")
    create = "CREATE TEMP TABLE IF NOT EXISTS {} (hash bytea, body {}) ON COMMIT DROP"
    cursor.execute(sql.SQL(create).format(staging, sql.SQL("bytea" if packed else "text")))
    cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
    _copy(cursor, staging, packed, missing, bodies, None)
    insert = sql.SQL(
        "INSERT INTO {} (hash, body) SELECT hash, body{} FROM {} ON CONFLICT (hash) DO NOTHING RETURNING hash, id"
    ).format(identifier, sql.SQL("" if packed else "::jsonb"), staging)
    ids = {bytes(row[0]): row[1] for row in cursor.execute(insert).fetchall()}
    new = set(ids)
    # Bodies another transaction stored meanwhile are not returned by the insert.
    raced = [h for h in missing if h not in ids]
    if raced:
        ids.update({bytes(row[0]): row[1] for row in cursor.execute(select, (raced,), prepare=False).fetchall()})
    return ids, new


def _copy(
    cursor: psycopg.Cursor,
    table: sql.Identifier,
    packed: bool,
    digests: list[bytes],
    bodies: dict[bytes, bytes],
    ids: list[int] | None,
) -> None:
    columns = sql.SQL("hash, body" if ids is None else "id, hash, body")
    if packed:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(table, columns)
        copy_packed(cursor, statement, digests, bodies, ids)
    else:
        copy_rows(cursor, sql.SQL("COPY {} ({}) FROM STDIN").format(table, columns), digests, bodies, ids)


def copy_rows(
    cursor: psycopg.Cursor,
    statement: sql.Composed | sql.SQL,
    digests: list[bytes],
    bodies: dict[bytes, bytes],
    ids: list[int] | None = None,
) -> None:
    """COPY (hash, body) rows, written as COPY's text format (with ``ids``, (id, hash, body) rows): the texts stay the
    bytes that were hashed (no decoding and encoding again, which took a tenth of a load's own CPU time). Canonical
    JSON holds no tab, newline or carriage return (JSON escapes them inside strings), so only the backslash needs
    escaping. COPY writes the ids given into an identity column, as ``OVERRIDING SYSTEM VALUE`` would."""
    prefixes = [b""] * len(digests) if ids is None else [b"%d\t" % id_ for id_ in ids]
    rows = [
        b"%s\\\\x%s\t%s\n" % (prefix, digest.hex().encode(), bodies[digest].replace(b"\\", b"\\\\"))
        for prefix, digest in zip(prefixes, digests, strict=True)
    ]
    with cursor.copy(statement) as copy:
        copy.write(b"".join(rows))


#: COPY's binary format: its signature, flags and header extension; each row's field count; the end.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_BINARY_TRAILER = struct.pack("!h", -1)


def copy_packed(
    cursor: psycopg.Cursor,
    statement: sql.Composed | sql.SQL,
    digests: list[bytes],
    bodies: dict[bytes, bytes],
    ids: list[int] | None = None,
) -> None:
    """COPY (hash, body) rows of two bytea values in COPY's binary format, which takes the bytes as they are (the
    text format would want each byte of a compressed body written as two hexadecimal digits); with ``ids``,
    (id, hash, body) rows, the id a bigint."""
    # Each row: its number of fields, then each field's length and bytes (the id, when given, an 8-byte bigint).
    prefixes = [struct.pack("!h", 2)] * len(digests) if ids is None else [struct.pack("!hiq", 3, 8, i) for i in ids]
    rows = [
        prefix + struct.pack("!i", len(digest)) + digest + struct.pack("!i", len(bodies[digest])) + bodies[digest]
        for prefix, digest in zip(prefixes, digests, strict=True)
    ]
    with cursor.copy(statement) as copy:
        copy.write(_BINARY_HEADER + b"".join(rows) + _BINARY_TRAILER)
