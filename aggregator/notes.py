"""Notes: every handled problem, stored with where it happened.

compile and normalize sum their problems up as one note per publisher and code, with a count. Those notes commit
with the rows they speak of: each batch stores its OCIDs' shares (:class:`NotePart`) in its own transaction, and the
run that finishes takes the shares it finds (:func:`take_parts`) and folds them into notes in one transaction. A
run that died leaves its shares to the next run of its stage; an OCID done again replaces its share.

A full run (``--full``) counts every OCID, and its fold replaces the summing notes of its publishers. Its shares are
folded only by a full run: after a full run that died, a run over what changed adds only its own, and the same full
command again counts every OCID once more, each in place of its share.
"""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True)
class NotePart:
    """One OCID's share of a note that sums a stage's problems up per publisher and code."""

    publisher_id: int
    ocid: str
    code: str
    level: str
    message: str
    #: What is counted per value (the offending value, the merge warning), if anything.
    value: str | None = None
    count: int = 1
    data: dict[str, Any] = field(default_factory=dict)


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


def replace_parts(
    conn: psycopg.Connection,
    stage: str,
    counted: Iterable[tuple[int, str]],
    parts: list[NotePart],
    full: bool = False,
) -> None:
    """Store ``parts``, the shares of the (publisher id, OCID) pairs ``counted`` (by a ``full`` run or not), in
    place of any share those OCIDs have still waiting (a batch done again replaces its share, never adds to it).
    Call it in the transaction that writes the OCIDs' rows."""
    pairs = sorted(set(counted))
    if not pairs:
        return
    params = {"stage": stage, "publisher_ids": [p[0] for p in pairs], "ocids": [p[1] for p in pairs]}
    conn.execute(query("base/notes", "delete_parts"), params)
    if not parts:
        return
    with conn.cursor() as cursor, cursor.copy(query("base/notes", "copy_parts")) as copy:
        for part in parts:
            data = orjson.dumps(part.data, default=str).decode()
            fields = (part.publisher_id, part.ocid, part.code, part.level, part.message, part.value, data, part.count)
            copy.write_row((stage, *fields, full))


def take_parts(
    conn: psycopg.Connection, stage: str, full: bool = False, publisher_ids: list[int] | None = None
) -> None:
    """Take the waiting shares of the stage's notes (this run's, and those of runs that died; a full run's only by
    a ``full`` run over ``publisher_ids``, None for all) into the temporary table ``taken_part``, dropped at the end
    of the transaction, which must fold them into notes. For a ``full`` run, the stage's summing notes of those
    publishers are deleted: the fold writes them again, from every OCID."""
    params = {"stage": stage, "full": full, "publisher_ids": publisher_ids}
    if full:
        conn.execute(query("base/notes", "delete_summaries"), params)
    conn.execute(query("base/notes", "take_parts"), params)
