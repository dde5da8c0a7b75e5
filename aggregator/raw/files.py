"""The files of a crawl or load: their rows, and whether the publisher already has a file's content.

A file stored whole gets a ``content_key``: the SHA-256 of its publisher, its own SHA-256 and how it was read (the
options that change what is stored). A later file with the same key, in a crawl or load that did not die, is not
stored again: its row points to the file that holds its rows (``stored_as``), with an info note.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from aggregator.db import query


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def register_file(
    conn: psycopg.Connection,
    crawl_id: int,
    path: Path | None,
    url: str | None = None,
    http_status: int | None = None,
    error: str | None = None,
) -> int:
    """Record a file of a crawl (``path`` None for a request that stored nothing); return its id."""
    size, sha256 = file_digest(path) if path is not None and path.is_file() else (None, None)
    params = {
        "crawl_id": crawl_id,
        "url": url,
        "path": None if path is None else str(path),
        "size": size,
        "sha256": sha256,
        "http_status": http_status,
        "error": error,
    }
    return conn.execute(query("raw/load", "insert_crawl_file"), params).fetchone()["id"]


def register_files(
    conn: psycopg.Connection, crawl_id: int, files: list[tuple[Path, str | None, int | None]]
) -> list[int]:
    """Record stored files of a crawl (path, URL, HTTP status), in this order and in one transaction; return their
    ids. Their SHA-256 is left to whoever stores them (:func:`aggregator.raw.load.store_file`): a crawl registers its
    files as it fetches, and reading each back to hash it was a tenth of its process's CPU time."""
    params = []
    for path, url, http_status in files:
        size, sha256 = path.stat().st_size, None
        params.append({"crawl_id": crawl_id, "url": url, "path": str(path), "size": size, "sha256": sha256})
        params[-1] |= {"http_status": http_status, "error": None}
    ids = []
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(query("raw/load", "insert_crawl_file"), params, returning=True)
        while True:
            ids.append(cursor.fetchone()["id"])
            if not cursor.nextset():
                break
    return ids


def content_key(publisher_id: int, sha256: str | None, reading: dict[str, Any] | None) -> bytes | None:
    """The key under which a file's content is known to be stored whole, or None when it cannot be known: no
    content (a failed request), or a partial reading (``reading`` None: a sample's limit)."""
    if sha256 is None or reading is None:
        return None
    text = orjson.dumps([publisher_id, sha256, reading], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(text).digest()


@dataclass(frozen=True)
class StoredBefore:
    """The earlier file that holds a file's content: its id, crawl, and the releases and records found in it."""

    crawl_file_id: int
    crawl_id: int
    releases: int
    records: int


def stored_before(conn: psycopg.Connection, file_id: int, key: bytes | None) -> StoredBefore | None:
    """The file, other than ``file_id``, that stored this content whole, in a crawl or load that did not die."""
    if key is None:
        return None
    row = conn.execute(query("raw/load", "select_stored_before"), {"key": key, "id": file_id}).fetchone()
    return None if row is None else StoredBefore(row["id"], row["crawl_id"], row["releases"], row["records"])
