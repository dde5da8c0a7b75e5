"""Removing a publisher with every row it has: crawls, files, releases, records, notes, compiled releases, the
normalized rows, its indicator values, red flags and quality rows; the country-year indicators that counted its
processes are recomputed without them, and its crawls' folders in the files store are deleted.

Bodies (``data``, ``package_data``) stay: they are shared by hash with other publishers and never deleted. Files
that were loaded from disk are the user's own, and stay too.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from aggregator import settings
from aggregator.compare.refresh import refresh
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.normalize.refresh import refresh_organizations

#: Every table with a column naming a publisher (``publisher_id``, or ``publisher`` by name) that removal empties;
#: a test fails when a migration adds one that is not here.
TABLES = (
    "publisher",
    "crawl",
    "note",
    "note_part",
    "release",
    "record",
    "compile_queue",
    "compiled_release",
    "process",
    "indicator_value",
    "indicator_fact",
    "indicator_buyer_publisher",
    "quality_fact",
    "red_flag",
    "red_flag_run",
    "red_flag_fact",
    "red_flag_party",
    "red_flag_tally",
    "red_flag_dirty",
    "normalize_dirty",
    "field_coverage",
    "quality_check",
)


@dataclass(frozen=True)
class Footprint:
    """What a publisher holds, counted."""

    name: str
    title: str
    country: str
    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(f"{count:,} {what.replace('_', ' ')}" for what, count in self.counts.items())


def footprint(conn: psycopg.Connection, name: str) -> Footprint:
    row = conn.execute(query("operate/removal", "select_footprint"), {"name": name}).fetchone()
    if row is None:
        raise AtlasError(f"no publisher named {name!r}: see `ocds-atlas status`")
    counts = {key: row[key] for key in ("crawls", "files", "releases", "records", "compiled_releases", "notes")}
    counts["processes"] = row["processes"]
    return Footprint(row["name"], row["title"], row["country"], counts)


def remove_publisher(conn: psycopg.Connection, name: str) -> Footprint:
    """Delete the publisher and everything it has, in one transaction; return what it had."""
    held = footprint(conn, name)
    with conn.transaction():
        row = conn.execute(query("raw/crawls", "select_publisher"), {"name": name}).fetchone()
        params = {"id": row["id"], "name": name}
        conn.execute(query("operate/removal", "lock_publisher"), params)  # compile batches under way end first
        directories = [
            r["files_path"] for r in conn.execute(query("operate/removal", "select_crawl_directories"), params)
        ]
        had_processes = held.counts.get("processes", 0) > 0
        shared = conn.execute(query("operate/removal", "select_shared_keys"), params).fetchone()
        conn.execute(query("operate/removal", "delete_derived"), params)
        conn.execute(query("operate/removal", "delete_processes"), params)
        _mend_shared(conn, shared)
        conn.execute(query("operate/removal", "delete_crawls"), params)  # waits for the files being stored
        conn.execute(query("operate/removal", "delete_raw"), params)  # what they stored too
        conn.execute(query("operate/removal", "delete_publisher"), params)
    if had_processes:
        refresh(conn)  # the country's values without the publisher's processes (their facts subtracted)
    _delete_directories(directories)
    return held


def _mend_shared(conn: psycopg.Connection, shared: dict[str, Any]) -> None:
    """Organizations no process names any more go; a process key another route publishes gets its primary row."""
    if shared["org_keys"]:
        conn.execute(query("normalize/normalize", "mark_organizations"), {"keys": shared["org_keys"]})
        refresh_organizations(conn)  # those no process names any more go
    if shared["process_keys"]:
        conn.execute(query("normalize/normalize", "update_primary"), {"keys": shared["process_keys"]})


def _delete_directories(directories: list[str]) -> None:
    store = settings.files_store().resolve()
    for directory in directories:
        path = Path(directory).resolve()
        if path.is_relative_to(store) and path != store:
            shutil.rmtree(path, ignore_errors=True)
