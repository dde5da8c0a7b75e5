"""``ocds-atlas notes``: every handled problem with its message, file, URL, OCID and data, filtered."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from aggregator.cli.app import command, connect_reading, console, out
from aggregator.cli.checks import check_publisher_name
from aggregator.cli.output import FORMATS, emit
from aggregator.db import query
from aggregator.errors import AtlasError

LEVELS = ("info", "warning", "error")
COLUMNS = ("id", "publisher", "crawl", "stage", "level", "code", "count", "message", "file", "url", "ocid", "data")
#: In a table, where the note comes from is one column (its file, else its URL), and data is left to JSON.
TABLE_COLUMNS = ("id", "publisher", "crawl", "level", "code", "count", "message", "where", "ocid")


@command()
def notes(
    publisher: Annotated[str | None, typer.Option(help="Only this publisher's notes.")] = None,
    crawl: Annotated[int | None, typer.Option(min=1, help="Only this crawl's (or load's) notes.")] = None,
    code: Annotated[str | None, typer.Option(help="Only notes with this code (e.g. invalid_json).")] = None,
    level: Annotated[str | None, typer.Option(help="Only info, warning or error notes.")] = None,
    ocid: Annotated[str | None, typer.Option(help="Only notes about this OCID (also among a note's examples).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many notes, newest first.")] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv (one document).")] = "table",
) -> None:
    """The notes (every handled problem), newest first, with their message, file, URL, OCID and data."""
    if fmt not in FORMATS:
        raise AtlasError(f"--format must be table, json or csv, not {fmt!r}")
    if level is not None and level not in LEVELS:
        raise AtlasError(f"--level must be info, warning or error, not {level!r}")
    if publisher is not None:
        check_publisher_name(publisher)
    params = {"publisher": publisher, "crawl": crawl, "code": code, "level": level, "ocid": ocid}
    with connect_reading() as conn:
        rows = conn.execute(query("cli/notes", "select_notes"), params | {"limit": limit}).fetchall()
        total = conn.execute(query("cli/notes", "count_notes"), params).fetchone()["n"]
    if fmt != "table":
        emit(out, fmt, rows, COLUMNS)
    else:
        emit(out, fmt, [table_row(row) for row in rows], TABLE_COLUMNS, title=f"notes: {len(rows):,} of {total:,}")
        if total > len(rows):
            console.print(f"{total - len(rows):,} older notes not shown: --limit {total} shows them", highlight=False)
        if rows:
            console.print("each note's data: --format json", highlight=False)


def table_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "where": row["file"] or row["url"] or ""}
