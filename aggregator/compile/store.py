"""Writing what a compile batch merged: compiled releases by one COPY, the OCIDs' own notes in place of those they
had, and their shares of the notes that sum a run up, folded into notes when the run ends (:func:`finish_run`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
import psycopg

from aggregator.compile.merge import Compiled
from aggregator.compile.rules import Rules, rules_for
from aggregator.db import query
from aggregator.notes import Note, NotePart, add_notes, replace_parts, take_parts
from aggregator.raw import bodies
from aggregator.raw.shapes import Problem


@dataclass
class CompileSummary:
    ocids: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    #: Compiled releases deleted: their OCID has no release or record left but those of loads and crawls that died.
    removed: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    #: Merge warnings, counted per (publisher id, warning and path).
    warnings: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: Problems with the rules (an extension that could not be had), per publisher, with the OCIDs they touched.
    rule_problems: dict[tuple[int, str], tuple[Problem, int]] = field(default_factory=dict)

    def add(self, other: CompileSummary) -> None:
        self.ocids += other.ocids
        self.written += other.written
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.removed += other.removed
        self.methods.update(other.methods)
        self.warnings.update(other.warnings)
        for key, (problem, count) in other.rule_problems.items():
            self.note_rule_problem(key[0], problem, count)

    def note_rule_problem(self, publisher_id: int, problem: Problem, count: int = 1) -> None:
        key = (publisher_id, problem.message)
        self.rule_problems[key] = (problem, self.rule_problems.get(key, (problem, 0))[1] + count)


@dataclass
class Batch:
    """What merging a batch gave: the compiled releases, the OCIDs' own notes and their shares of the run's notes."""

    results: dict[str, Compiled] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    parts: list[NotePart] = field(default_factory=list)
    #: With ``fast_only``, the OCIDs left to a compile from the stored bodies (see
    #: :func:`aggregator.compile.held.compile_held`).
    left: list[str] = field(default_factory=list)


def store_batch(
    conn: psycopg.Connection,
    publisher_id: int,
    batch: Batch,
    compiled: list[str],
    counted: list[str],
    versions: dict[str, str],
    extensions: dict[str, tuple[str, ...]],
    summary: CompileSummary,
    full: bool = False,
) -> None:
    """Write the batch's compiled releases and the notes of the OCIDs ``compiled`` (in place of their notes before),
    and the shares of the run's notes of the OCIDs ``counted``."""
    _write(conn, publisher_id, batch.results, versions, rules_label(versions, extensions), summary)
    conn.execute(query("compile/compile", "delete_ocid_notes"), {"publisher_id": publisher_id, "ocids": compiled})
    add_notes(conn, batch.notes)
    replace_parts(conn, "compile", [(publisher_id, ocid) for ocid in counted], batch.parts, full)


def rules_of(versions: dict[str, str], extensions: dict[str, tuple[str, ...]]) -> Callable[[str], Rules]:
    return lambda ocid: rules_for(versions.get(ocid, "1.1"), extensions.get(ocid, ()))


def rules_label(versions: dict[str, str], extensions: dict[str, tuple[str, ...]]) -> Callable[[str], str]:
    return lambda ocid: rules_of(versions, extensions)(ocid).label


def notes_of(publisher_id: int, ocid: str, problems: list[Problem]) -> list[Note]:
    return [Note("compile", p.level, p.code, p.message, p.data, publisher_id=publisher_id, ocid=ocid) for p in problems]


#: The parameters of the ``upsert_compiled_releases`` query, in the order of :func:`_write`'s rows.
_COLUMNS = (
    "ocids",
    "data_ids",
    "versioned_data_ids",
    "methods",
    "release_counts",
    "first_dates",
    "last_dates",
    "ocds_versions",
    "rules",
    "warnings",
    "input_hashes",
)


def _write(
    conn: psycopg.Connection,
    publisher_id: int,
    results: dict[str, Compiled],
    versions: dict[str, str],
    label: Callable[[str], str],
    summary: CompileSummary,
) -> None:
    texts: dict[bytes, bytes] = {}
    hashes: dict[str, tuple[bytes, bytes | None]] = {}
    for ocid, result in results.items():
        digest, text, _ = bodies.canonical(result.body)
        texts[digest] = text
        versioned_digest = None
        if result.versioned is not None:
            versioned_digest, versioned_text, _ = bodies.canonical(result.versioned)
            texts[versioned_digest] = versioned_text
        hashes[ocid] = (digest, versioned_digest)
    with conn.cursor() as cursor:
        ids = bodies.store(cursor, "data", texts)
    rows = []
    for ocid, result in results.items():
        digest, versioned_digest = hashes[ocid]
        rows.append(
            (
                ocid,
                ids[digest],
                ids[versioned_digest] if versioned_digest else None,
                result.method,
                result.release_count,
                result.first_date,
                result.last_date,
                # The version of the inputs; the body is 1.1 either way (1.0 is upgraded after merging).
                versions.get(ocid, "1.1"),
                label(ocid),
                orjson.dumps(result.warnings).decode(),
                result.input_hash,
            )
        )
    if rows:
        columns = dict(zip(_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        conn.execute(query("compile/compile", "upsert_compiled_releases"), {"publisher_id": publisher_id, **columns})
    summary.written += len(rows)
    summary.methods.update(result.method for result in results.values() if result.method)


def parts_of(
    publisher_id: int, ocid: str, rule_problems: Iterable[Problem], warnings: dict[str, int]
) -> list[NotePart]:
    """An OCID's shares of the notes that sum the run up: its merge warnings, and the rules it could not have."""
    parts = [
        NotePart(publisher_id, ocid, "merge_warning", "warning", "ocdsmerge warned", key, count)
        for key, count in sorted(warnings.items())
    ]
    parts += [NotePart(publisher_id, ocid, p.code, p.level, p.message, data=p.data) for p in rule_problems]
    return parts


def finish_run(conn: psycopg.Connection, full: bool = False, publisher_ids: list[int] | None = None) -> None:
    """Fold the shares of the run's notes (and those left by runs that died) into notes, in one transaction: merge
    warnings and rule problems as one note per publisher and kind, with a count (not one per occurrence)."""
    with conn.transaction():
        take_parts(conn, "compile", full, publisher_ids)
        notes = [
            Note(
                "compile",
                "warning",
                "merge_warning",
                f"ocdsmerge warned {row['count']} times: {row['warning']}",
                {"warning": row["warning"]},
                publisher_id=row["publisher_id"],
                count=row["count"],
            )
            for row in conn.execute(query("compile/compile", "select_folded_warnings"))
        ]
        notes += [
            Note(
                "compile",
                row["level"],
                row["code"],
                row["message"],
                {**row["data"], "ocids": row["ocids"]},
                publisher_id=row["publisher_id"],
            )
            for row in conn.execute(query("compile/compile", "select_folded_rule_problems"))
        ]
        add_notes(conn, notes)
