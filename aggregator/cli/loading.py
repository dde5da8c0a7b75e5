"""``ocds-atlas load``'s verdict: each file that could not be stored (or not wholly) on a line saying why, a
non-zero exit when any could not be stored, and no empty publisher left by a load that stored nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from aggregator.cli.app import console
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.operate.pipeline import load_with_progress
from aggregator.raw.load import FileOutcome


@dataclass
class FileVerdict:
    path: str
    stored: int
    reasons: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.stored == 0

    def line(self) -> str:
        what = "not stored" if self.failed else f"partly stored ({self.stored:,} releases or records)"
        return f"{self.path}: {what}: {'; '.join(self.reasons)}"


def load_and_report(
    conn: psycopg.Connection,
    paths: list[Path],
    publisher: str,
    country: str,
    title: str | None,
    encoding: str | None,
    ocds_version: str | None,
    workers: int | None,
    *,
    compiled: bool = False,
    queue_only: bool = False,
) -> None:
    existed = conn.execute(query("cli/loading", "select_publisher_exists"), {"name": publisher}).fetchone()["present"]
    crawl_id, outcomes = load_with_progress(
        conn,
        paths,
        publisher,
        country,
        title,
        encoding,
        ocds_version,
        workers,
        compiled=compiled,
        queue_only=queue_only,
    )
    verdicts = file_verdicts(conn, crawl_id, outcomes)
    for verdict in verdicts:
        console.print(verdict.line(), highlight=False, markup=False, soft_wrap=True)
    failed = [verdict for verdict in verdicts if verdict.failed]
    holds = conn.execute(query("cli/loading", "select_publisher_holds_data"), {"name": publisher}).fetchone()
    if not existed and not holds["present"]:  # a load beside it (which this one waited for) may have stored data
        from aggregator.operate.removal import remove_publisher  # rarely: it imports the stages' refreshes

        remove_publisher(conn, publisher)
        console.print(f"publisher {publisher} not kept: the load stored nothing", highlight=False)
    if failed:
        raise AtlasError(f"{len(failed)} of {len(outcomes)} files could not be stored (each is said above)")


def file_verdicts(conn: psycopg.Connection, crawl_id: int, outcomes: list[FileOutcome]) -> list[FileVerdict]:
    """The files with error notes, with what they stored and why the rest was not."""
    stored = {outcome.crawl_file_id: outcome.items for outcome in outcomes}
    verdicts: dict[int, FileVerdict] = {}
    for row in conn.execute(query("cli/loading", "select_file_errors"), {"crawl_id": crawl_id}):
        verdict = verdicts.setdefault(
            row["crawl_file_id"], FileVerdict(row["path"], stored.get(row["crawl_file_id"], 0))
        )
        times = f" ({row['count']:,} times)" if row["count"] > 1 else ""
        verdict.reasons.append(f"{row['message']} [{row['code']}]{times}")
    return list(verdicts.values())
