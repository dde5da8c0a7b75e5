"""Red flags in the database: per publisher, its compiled releases streamed from a server-side cursor, corrected
by Cardinal's ``prepare`` with the publisher's settings, folded into Cardinal's indicators (only the numbers the
fences need are kept), then every flag written to ``red_flag`` and the run (its n) to ``red_flag_run``.

A publisher's red flags are computed again when any of its compiled releases changed since, or its settings file
did, or with ``full``; the fences are the publisher's own (Cardinal computes them over one file). What ``prepare``
reports and cannot correct becomes notes (stage ``compare``, code ``red_flag_prepare``), one per path and issue.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from aggregator import settings as atlas_settings
from aggregator.compare.redflags.catalogue import CATALOGUE
from aggregator.compare.redflags.files import PublisherSettings, publisher_settings
from aggregator.compare.redflags.prepare import Issue, Preparer
from aggregator.compare.redflags.run import GROUPS, ROLES, Result, Runner
from aggregator.compare.redflags.settings import SettingsError
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.notes import Note, add_notes

#: Compiled releases fetched from the server at a time.
BATCH = 500
#: Examples kept in a note of ``prepare``'s issues.
EXAMPLES = 10


@dataclass
class FlagSummary:
    publishers: list[str] = field(default_factory=list)
    flags: int = 0


def refresh_red_flags(conn: psycopg.Connection, full: bool = False) -> FlagSummary:
    """Compute the red flags of each publisher whose compiled releases or settings changed (all, with ``full``).
    Call inside a transaction: the server-side cursor lives in it."""
    summary = FlagSummary()
    for row in conn.execute(query("compare/red_flags", "select_publishers")).fetchall():
        found = _settings(row["name"])
        changed = row["computed_at"] is None or row["last_compiled"] > row["computed_at"]
        if full or changed or row["settings_hash"] != found.digest:
            summary.flags += refresh_publisher(conn, row["id"], row["name"], found)
            summary.publishers.append(row["name"])
    conn.execute(query("compare/red_flags", "delete_orphans"))
    return summary


def _settings(publisher: str) -> PublisherSettings:
    try:
        return publisher_settings(publisher, atlas_settings.red_flag_settings_dir())
    except SettingsError as error:
        raise AtlasError(f"red flag settings of {publisher}: {error}") from None


def refresh_publisher(conn: psycopg.Connection, publisher_id: int, name: str, found: PublisherSettings) -> int:
    """Compute and store one publisher's red flags; return how many."""
    runner = Runner(found.settings)
    issues: dict[tuple[str, str], list[Issue]] = {}
    compiled = 0
    for prepared, found_issues in prepared_releases(conn, publisher_id, found):
        compiled += 1
        for issue in found_issues:
            issues.setdefault((issue.path, issue.description), []).append(issue)
        runner.feed(prepared)
    result = runner.finish()
    rows = list(flag_rows(name, result))
    params = {"publisher": name, "publisher_id": publisher_id}
    conn.execute(query("compare/red_flags", "delete_red_flags"), params)
    with conn.cursor() as cursor, cursor.copy(query("compare/red_flags", "copy_red_flags")) as copy:
        for flag in rows:
            copy.write_row(flag)
    run = {
        "settings_file": found.path.name,
        "settings_hash": found.digest,
        "compiled_releases": compiled,
        "processes": result.processes,
        "parties": orjson.dumps(result.parties).decode(),
        "meta": orjson.dumps(finite(result.meta)).decode(),
    }
    conn.execute(query("compare/red_flags", "upsert_run"), params | run)
    conn.execute(query("compare/red_flags", "delete_notes"), params)
    add_notes(conn, issue_notes(publisher_id, found.path.name, issues))
    return len(rows)


def prepared_releases(
    conn: psycopg.Connection, publisher_id: int, found: PublisherSettings
) -> Iterator[tuple[dict[str, Any], list[Issue]]]:
    """The publisher's compiled releases in OCID order, each corrected by Cardinal's ``prepare`` with the
    publisher's settings, with the issues found (lines numbered from 1 in that order). Read from a server-side
    cursor, ``BATCH`` at a time: call inside a transaction."""
    preparer = Preparer(found.settings)
    with conn.cursor(f"red_flag_bodies_{publisher_id}") as cursor:
        cursor.itersize = BATCH
        cursor.execute(query("compare/red_flags", "select_compiled_bodies"), {"publisher_id": publisher_id})
        for line, row in enumerate(cursor, 1):
            yield preparer(orjson.loads(row["body"]), line)


def settings_of(publisher: str) -> PublisherSettings:
    """The publisher's red flag settings (see :mod:`aggregator.compare.redflags.files`)."""
    return _settings(publisher)


def flag_rows(publisher: str, result: Result) -> Iterator[tuple[Any, ...]]:
    """Rows of ``red_flag`` in the order of ``copy_red_flags``: a process's flag has its ocid, a party's its role
    and id. ``details`` holds what raised it, with a party's processes (``ocids``) where Cardinal flags a party
    from a process."""
    for group in GROUPS:
        role = ROLES[group]
        for key, codes in result.results.get(group, {}).items():
            for code, value in codes.items():
                details = finite(result.details.get((group, key, code), {}))
                ocid, party_id = (key, None) if role is None else (None, key)
                flagged = value if math.isfinite(value) else None
                yield publisher, ocid, code, role, party_id, flagged, orjson.dumps(details).decode()


def finite(value: Any) -> Any:
    """JSON without NaN or infinity (a fence over no values is NaN): those become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def issue_notes(publisher_id: int, settings_file: str, issues: dict[tuple[str, str], list[Issue]]) -> list[Note]:
    """One warning per path and issue that ``prepare`` reports, with examples and the settings to change."""
    notes = []
    for (path, description), found in sorted(issues.items()):
        examples = [{"ocid": i.ocid, "indexes": i.indexes, "value": i.value} for i in found[:EXAMPLES]]
        message = f"red flags: {path} {description} in {len(found)} places (Cardinal's prepare; see {settings_file})"
        data = {"path": path, "issue": description, "settings_file": settings_file, "examples": examples}
        notes.append(Note("compare", "warning", "red_flag_prepare", message, data, publisher_id, count=len(found)))
    return notes


def catalogue_params() -> dict[str, list[str]]:
    """The codes, names and levels, one row per code and level, as ``select_counts`` takes them."""
    rows = [(flag.code, flag.name, level) for flag in CATALOGUE for level in flag.levels]
    return {"codes": [r[0] for r in rows], "names": [r[1] for r in rows], "levels": [r[2] for r in rows]}


def counts(
    conn: psycopg.Connection, country: str | None, publisher: str | None = None, by_publisher: bool = False
) -> list[dict[str, Any]]:
    """Per country (and publisher) and code and level: flagged, n and rate, every code even where none is flagged."""
    params = {"country": country, "publisher": publisher, "by_publisher": by_publisher} | catalogue_params()
    return conn.execute(query("compare/red_flags", "select_counts"), params).fetchall()


def flag_list(
    conn: psycopg.Connection, country: str | None, publisher: str | None, code: str | None
) -> list[dict[str, Any]]:
    """One row per flag."""
    params = {"country": country, "publisher": publisher, "code": code}
    return conn.execute(query("compare/red_flags", "select_list"), params).fetchall()
