"""The pipeline's stages as the CLI runs them: with progress bars and a printed summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from aggregator import settings
from aggregator.db import query
from aggregator.operate.consoles import console
from aggregator.raw.crawls import publisher_by_name
from aggregator.raw.locks import one_at_a_time

# The stages' modules are imported by the functions that run them: a command imports only what it runs (compile's
# imports, ocdsmerge's among them, were a third of starting ``ocds-atlas indicators refresh``).
if TYPE_CHECKING:
    from aggregator.compile.store import CompileSummary
    from aggregator.normalize.refresh import NormalizeSummary
    from aggregator.publish.export import ExportedFile
    from aggregator.raw.load import FileOutcome


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def load_with_progress(
    conn: psycopg.Connection,
    paths: list[Path],
    publisher: str,
    country: str,
    title: str | None,
    encoding: str | None,
    ocds_version: str | None,
    workers: int | None = None,
    *,
    compiled: bool = False,
    queue_only: bool = False,
) -> tuple[int, list[FileOutcome]]:
    """Load files as one crawl of kind ``load`` (``compiled``: files of compiled releases), compiling as it goes
    what each file holds whole (not with ``queue_only``), with a progress bar and a summary; return the crawl's id
    and each file's outcome."""
    from aggregator.compile.held import compile_held
    from aggregator.compile.store import finish_run
    from aggregator.raw.bulk import expand_paths, load_paths
    from aggregator.raw.crawls import PublisherInfo

    data_type = "compiled_release" if compiled else None
    info = PublisherInfo(publisher, title or publisher, country, ocds_version=ocds_version, data_type=data_type)
    total = len(expand_paths(paths))
    with progress() as bar:
        task = bar.add_task(f"loading {publisher}", total=total)

        def advance(path: Path, outcome: FileOutcome) -> None:
            bar.advance(task)

        crawl_id, outcomes = load_paths(
            conn,
            info,
            paths,
            encoding,
            advance,
            workers or settings.cores(),
            compiled=compiled,
            on_wait=_say,
            compile_held=None if queue_only else compile_held,
        )
    compiled_now = sum(o.compiled for o in outcomes)
    if compiled_now:
        finish_run(conn)  # the merge warnings of what the files' transactions compiled, as compile's notes
    notes = sum((o.notes for o in outcomes), start=type(outcomes[0].notes)()) if outcomes else {}
    console.print(
        f"load {crawl_id} of {publisher}: {len(outcomes)} files, {sum(o.releases for o in outcomes)} releases, "
        f"{sum(o.records for o in outcomes)} records, "
        f"{conn.execute(query('raw/load', 'count_crawl_ocids'), {'crawl_id': crawl_id}).fetchone()['ocids']} OCIDs "
        f"({compiled_now} compiled as they were loaded); notes: {_levels(notes)}",
        highlight=False,
    )
    return crawl_id, outcomes


def compile_with_progress(
    conn: psycopg.Connection,
    publishers: list[str] | None,
    full: bool,
    *,
    versioned: bool = False,
    workers: int | None = None,
    normalize_after: bool = True,
) -> CompileSummary:
    """Compile, then normalize what compiling changed (see :func:`normalize_with_progress`)."""
    from aggregator.compile.run import compile_ocids, count_pending
    from aggregator.operate.stage_jobs import compile_in_workers

    ids = [publisher_by_name(conn, name)["id"] for name in publishers] if publishers else None
    workers = workers or settings.cores()
    with one_at_a_time(conn, "compile", "compile", on_wait=_say), progress() as bar:
        total = count_pending(conn, ids, full, versioned)
        task = bar.add_task(f"compiling ({workers} workers)" if workers > 1 else "compiling", total=total)
        summary = compile_ocids(
            conn,
            ids,
            full,
            lambda n: bar.advance(task, n),
            versioned=versioned,
            workers=workers,
            pending=total,
            parallel=compile_in_workers,
        )
    console.print(
        f"compiled {summary.ocids} OCIDs: {summary.written} written, {summary.unchanged} unchanged, "
        f"{summary.failed} not compilable"
        + (f", {summary.removed} removed (nothing left to compile from)" if summary.removed else "")
        + f"; methods: {dict(summary.methods)}; "
        f"merge warnings: {sum(summary.warnings.values())}",
        highlight=False,
    )
    if normalize_after:
        normalize_with_progress(conn, publishers, full=False, workers=workers)
    return summary


def normalize_with_progress(
    conn: psycopg.Connection, publishers: list[str] | None, full: bool, *, workers: int = 1
) -> NormalizeSummary:
    """Normalize the compiled releases compiled since they were last normalized (all of them, with ``full``)."""
    from aggregator.normalize import refresh
    from aggregator.operate.stage_jobs import normalize_in_workers

    ids = [publisher_by_name(conn, name)["id"] for name in publishers] if publishers else None
    with one_at_a_time(conn, "normalize", "normalize", on_wait=_say), progress() as bar:
        todo = refresh.pending(conn, ids, full)
        task = bar.add_task("normalizing", total=len(todo))
        advance = lambda n: bar.advance(task, n)  # noqa: E731
        summary = refresh.normalize(
            conn, ids, full, advance, workers=workers, parallel=normalize_in_workers, pending_ids=todo
        )
    console.print(
        f"normalized {summary.compiled_releases} compiled releases: {summary.written} written, "
        f"{summary.unchanged} unchanged; notes: {sum(e['count'] for e in summary.problems.values())}",
        highlight=False,
    )
    indicators_with_progress(conn, full=full)
    return summary


def indicators_with_progress(
    conn: psycopg.Connection, full: bool, parts: tuple[str, ...] = ("indicators", "red_flags", "quality")
) -> None:
    """Recompute the indicators, red flags and quality checks of the processes that changed (``parts`` of them)."""
    from aggregator.compare.refresh import refresh

    waiting = one_at_a_time(conn, "indicators", "refresh of the indicators", on_wait=_say)
    with waiting, console.status("computing indicators…"):
        summary = refresh(conn, full=full, parts=parts)
    groups = "all groups" if summary.full else f"{len(summary.groups)} country-year groups"
    console.print(
        f"indicators: {summary.processes} changed processes, {groups}, {summary.values} values updated, "
        f"quality of {len(summary.publishers)} publishers; "
        f"red flags of {len(summary.flag_publishers)} publishers: {summary.flags}",
        highlight=False,
    )


def export_with_progress(conn: psycopg.Connection, directory: Path) -> list[ExportedFile]:
    """Write the downloads (see :mod:`aggregator.publish.export`), printing each file as it is written."""
    from aggregator.publish.export import export

    units = {"compiled": "compiled releases", "compiled_part": "compiled releases", "csv": "rows", "parquet": "rows"}
    with console.status(Text(f"exporting to {directory}…")) as status:  # a status's text is markup, unless Text

        def written(file: ExportedFile) -> None:
            size = file.path.stat().st_size
            unchanged = "" if file.written else " (unchanged, not rewritten)"
            console.print(f"{file.path}: {file.lines} {units[file.kind]}, {size:,} bytes{unchanged}", highlight=False)
            status.update(Text(f"exporting to {directory}… ({file.path.name} written)"))

        files = export(conn, directory, written)
    console.print(f"{directory / 'datapackage.json'}, {directory / 'SHA256SUMS'}: {len(files)} files", highlight=False)
    return files


def _say(line: str) -> None:
    console.print(line, highlight=False)


def _levels(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(level, 0)} {level}" for level in ("error", "warning", "info"))
