"""Red flags in the database, per publisher, by compiled release: each compiled release is corrected by
Cardinal's ``prepare`` with the publisher's settings and folded alone into what it gives Cardinal's indicators
(``red_flag_fact``: :mod:`aggregator.compare.flag_facts`); the publisher's indicators are made from these, every
flag written to ``red_flag`` and the run (its n) to ``red_flag_run``.

A publisher is refreshed when its compiled releases changed since (a later compilation, or fewer), or its settings
file did, or with ``full``. Only the compiled releases with a new body are read, prepared and folded, and the
flags each release raises alone (R003, R018, R028, R030, R035, R036) are written again for them only. The flags
that compare a release with the publisher's others (R024, R025, R038, R048, R058: Cardinal computes their fences
over one file), and the parties' flags (a tenderer's processes), are made again from the stored contributions of
all the publisher's releases, without reading a body: they legitimately need the whole publisher, and are
recomputed only when it changed. A new settings file, or a change of the main currency (Cardinal's first
currency compared), folds every release again. What ``prepare`` reports and cannot correct becomes notes (stage
``compare``, code ``red_flag_prepare``), one per path and issue, counted over the stored facts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from aggregator import settings as atlas_settings
from aggregator.compare import flag_facts
from aggregator.compare.changes import analyze_when_grown
from aggregator.compare.flag_facts import Counts
from aggregator.compare.redflags.catalogue import CATALOGUE
from aggregator.compare.redflags.delta import FENCE_CODES, OWN_CODES
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
    Call inside a transaction: the server-side cursors live in it."""
    summary = FlagSummary()
    for row in conn.execute(query("compare/red_flags", "select_publishers")).fetchall():
        found = _settings(row["name"])
        new = row["computed_at"] is None or row["settings_hash"] != found.digest
        if full or new or row["changed"]:
            before = None if full or new else Counts(row["flagged_releases"], row["flagged_processes"])
            summary.flags += refresh_publisher(conn, row["id"], row["name"], found, before)
            summary.publishers.append(row["name"])
    orphans = [r["publisher"] for r in conn.execute(query("compare/red_flags", "select_orphans")).fetchall()]
    if orphans:
        conn.execute(query("compare/red_flags", "delete_orphans"), {"publishers": orphans})
    return summary


def _settings(publisher: str) -> PublisherSettings:
    try:
        return publisher_settings(publisher, atlas_settings.red_flag_settings_dir())
    except SettingsError as error:
        raise AtlasError(f"red flag settings of {publisher}: {error}") from None


def refresh_publisher(
    conn: psycopg.Connection, publisher_id: int, name: str, found: PublisherSettings, before: Counts | None = None
) -> int:
    """Bring one publisher's facts and red flags up to date: its changed compiled releases folded, ``before``
    being its facts counted at its last refresh; without it (or when the main currency changed), every compiled
    release folded again. Return how many flags it has."""
    runner = Runner(found.settings)
    conn.execute(query("compare/red_flags", "create_changed_releases"))
    whole, counts, issues_changed = True, Counts(), True
    if before is not None:
        changed = flag_facts.fold_changed(conn, runner, found, name, publisher_id)
        whole = not changed.same_currency
        counts = before.changed_by(changed.old, changed.new)
        issues_changed = bool(changed.old.issues or changed.new.issues)
    if whole:
        counts = flag_facts.fold_all(conn, runner, found, name, publisher_id)
        issues_changed = True
    result = flag_facts.indicators(conn, runner, name, whole, counts)
    rows = list(flag_rows(name, result))
    params = {"publisher": name, "publisher_id": publisher_id}
    if whole:
        conn.execute(query("compare/red_flags", "delete_red_flags"), params)
    else:
        codes = {"own_codes": list(OWN_CODES), "fence_codes": list(FENCE_CODES)}
        conn.execute(query("compare/red_flags", "delete_changed_flags"), params | codes)
    with conn.cursor() as cursor, cursor.copy(query("compare/red_flags", "copy_red_flags")) as copy:
        for flag in rows:
            copy.write_row(flag)
    run = {
        "settings_file": found.path.name,
        "settings_hash": found.digest,
        "compiled_releases": counts.releases,
        "processes": result.processes,
        "parties": orjson.dumps(result.parties).decode(),
        "meta": orjson.dumps(finite(result.meta)).decode(),
    }
    conn.execute(query("compare/red_flags", "upsert_run"), params | run)
    if issues_changed:  # the notes count the facts' issues: else none of the changed releases had or has any
        conn.execute(query("compare/red_flags", "delete_notes"), params)
        add_notes(conn, issue_notes(publisher_id, found.path.name, stored_issues(conn, name)))
    n = counts.releases if whole else conn.execute(query("compare/red_flags", "count_changed_releases")).fetchone()["n"]
    conn.execute(query("compare/red_flags", "drop_changed_releases"))
    analyze_when_grown(conn, n, "red_flag_fact", query("compare/red_flags", "analyze_grown"))
    return conn.execute(query("compare/red_flags", "count_flags"), params).fetchone()["n"]


def stored_issues(conn: psycopg.Connection, name: str) -> list[dict[str, Any]]:
    """Per path and issue that ``prepare`` reported over the publisher's facts: how many, and the first examples."""
    params = {"publisher": name, "examples": EXAMPLES}
    return conn.execute(query("compare/red_flags", "select_issues"), params).fetchall()


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
            yield preparer(orjson.loads(row["body"]), line, in_place=True)


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


def issue_notes(publisher_id: int, settings_file: str, issues: list[dict[str, Any]]) -> list[Note]:
    """One warning per path and issue that ``prepare`` reports, with examples and the settings to change."""
    notes = []
    for issue in sorted(issues, key=lambda found: (found["path"], found["description"])):
        path, description, count = issue["path"], issue["description"], issue["n"]
        message = f"red flags: {path} {description} in {count} places (Cardinal's prepare; see {settings_file})"
        data = {"path": path, "issue": description, "settings_file": settings_file, "examples": issue["examples"]}
        notes.append(Note("compare", "warning", "red_flag_prepare", message, data, publisher_id, count=count))
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
