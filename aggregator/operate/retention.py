"""Retention of the files store: the files of old crawls are deleted, their rows kept.

A publisher keeps the files of its ``keep`` latest successful crawls, and of every crawl since the oldest of them.
Older crawls lose their files, except a crawl whose releases or records are still the newest of some OCID (no
later crawl stored that OCID: its files are the latest source of what was compiled), a crawl that can still be
resumed, and any crawl whose files are not in this machine's files store. Running crawls and loads (whose files
are the user's own) are never touched. Each deletion is recorded on the crawl (``files_pruned_at``) and in a note.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from aggregator import settings
from aggregator.db import query
from aggregator.notes import Note, add_notes


@dataclass(frozen=True)
class Decision:
    crawl_id: int
    publisher: str
    path: Path
    #: None: the files are deleted (or would be, in a dry run); else why they are kept.
    kept_because: str | None
    files: int = 0
    bytes: int = 0

    @property
    def deleted(self) -> bool:
        return self.kept_because is None


def decide(candidate: dict[str, Any], store: Path, resumable: set[int]) -> str | None:
    """Why a candidate crawl's files must be kept, or None if they may go."""
    if candidate["still_newest"]:
        return "its releases or records are still the newest of some OCIDs"
    if candidate["id"] in resumable:
        return "it can be resumed (ocds-atlas crawl --resume)"
    if not Path(candidate["files_path"]).resolve().is_relative_to(store.resolve()):
        return f"its files are not in the files store ({store})"
    return None


def plan(conn: psycopg.Connection, keep: int, publishers: list[str] | None = None) -> list[Decision]:
    """What pruning would do, crawl by crawl (nothing is changed)."""
    params = {"keep": keep, "publishers": publishers or None}
    candidates = conn.execute(query("operate/retention", "select_prunable_crawls"), params).fetchall()
    resumable = resumable_crawls(row["spider"] for row in candidates if row["spider"])
    store = settings.files_store()
    decisions = []
    for row in candidates:
        path = Path(row["files_path"])
        reason = decide(row, store, resumable)
        files, size = measure(path) if reason is None else (0, 0)
        decisions.append(Decision(row["id"], row["publisher"], path, reason, files, size))
    return decisions


def prune(
    conn: psycopg.Connection, keep: int, publishers: list[str] | None = None, *, dry_run: bool = False
) -> list[Decision]:
    """Delete the files that :func:`plan` lets go (unless ``dry_run``); return every decision."""
    decisions = plan(conn, keep, publishers)
    if not dry_run:
        for decision in decisions:
            if decision.deleted:
                _delete(conn, decision, keep)
    return decisions


def _delete(conn: psycopg.Connection, decision: Decision, keep: int) -> None:
    """Record the deletion and delete, in one transaction: if the files cannot all be deleted, nothing is recorded
    and the next run tries again."""
    with conn.transaction():
        row = conn.execute(query("operate/retention", "mark_crawl_files_pruned"), {"id": decision.crawl_id}).fetchone()
        if row is None:  # pruned by another run meanwhile
            return
        message = (
            f"the files of crawl {decision.crawl_id} were deleted ({decision.files} files, {decision.bytes} bytes): "
            f"older than the {keep} latest successful crawls of {decision.publisher}"
        )
        data = {"path": str(decision.path), "files": decision.files, "bytes": decision.bytes, "keep": keep}
        note = Note("crawl", "info", "crawl_files_pruned", message, data, row["publisher_id"], decision.crawl_id)
        add_notes(conn, [note])
        if decision.path.exists():
            shutil.rmtree(decision.path)


def measure(path: Path) -> tuple[int, int]:
    """The number of files under ``path`` and their total size (0, 0 when it is gone)."""
    files = [entry for entry in path.rglob("*") if entry.is_file()] if path.is_dir() else []
    return len(files), sum(entry.stat().st_size for entry in files)


def resumable_crawls(spiders: Iterable[str]) -> set[int]:
    """The crawls that an interrupted crawl's job directory names (``$OCDS_ATLAS_HOME/jobs/<spider>``)."""
    from aggregator.operate.crawl_runner import job_directory

    crawl_ids = set()
    for spider in set(spiders):
        state, written = job_directory(spider) / "spider.state", job_directory(spider) / "crawl_id"
        crawl_id = None
        if state.is_file():
            with state.open("rb") as f:
                crawl_id = pickle.load(f).get("crawl_id")  # a dict of plain values, written by our own pipeline
        elif written.is_file():  # a crawl killed before it closed (interrupted) names itself only there
            crawl_id = int(written.read_text(encoding="utf-8"))
        if crawl_id is not None:
            crawl_ids.add(crawl_id)
    return crawl_ids
