"""Notes: every handled problem, stored with where it happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from aggregator.db import query

LEVELS = ("info", "warning", "error")


@dataclass(frozen=True)
class Note:
    stage: str
    level: str
    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    publisher_id: int | None = None
    crawl_id: int | None = None
    crawl_file_id: int | None = None
    ocid: str | None = None
    count: int = 1


def add_notes(conn: psycopg.Connection, notes: list[Note]) -> None:
    if not notes:
        return
    rows = [
        {
            "publisher_id": note.publisher_id,
            "crawl_id": note.crawl_id,
            "crawl_file_id": note.crawl_file_id,
            "ocid": note.ocid,
            "stage": note.stage,
            "level": note.level,
            "code": note.code,
            "message": note.message,
            "data": orjson.dumps(note.data, default=str).decode(),
            "count": note.count,
        }
        for note in notes
    ]
    with conn.cursor() as cursor:
        cursor.executemany(query("base/notes", "insert_note"), rows)
