"""The commands of the data flow, in its order: migrate, crawl, load, compile, normalize, worker, export."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from aggregator import db, settings
from aggregator.cli.app import DateOption, command, connect_migrated, connect_reading, console, out, run_migrations
from aggregator.cli.checks import check_country, check_ocds_version, check_publisher_name, check_spider
from aggregator.cli.progress import CrawlProgress, read_counts
from aggregator.errors import AtlasError


@command("migrate")
def migrate_command() -> None:
    """Apply the database migrations not applied yet."""
    with db.connect(autocommit=True) as conn:
        applied = run_migrations(conn)
    out.print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))


@command()
def crawl(
    spider: Annotated[str, typer.Argument(help="The spider's name (see spiders/).")],
    sample: Annotated[int | None, typer.Option(min=1, help="Stop after this many releases or records.")] = None,
    from_date: DateOption = None,
    until_date: DateOption = None,
    incremental: Annotated[
        bool, typer.Option(help="Only what is newer than the last complete crawl (the first time: everything).")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(help="Continue the interrupted crawl of this spider, with its arguments (else: start afresh)."),
    ] = False,
    compile_after: Annotated[
        bool, typer.Option("--compile/--no-compile", help="Compile what the crawl touched.")
    ] = True,
    log_every: Annotated[
        float,
        typer.Option(min=0.1, help="Outside a terminal (cron), log the crawl's counts every this many seconds."),
    ] = 60.0,
) -> None:
    """Crawl a publisher with its spider, then compile what changed. A crawl that is not accepted (it did not
    finish, more than 15 % of its requests failed, or it stored nothing) exits 1 with the reasons."""
    from aggregator.operate import observability
    from aggregator.operate.crawl_runner import run_spider, sandbox_url
    from aggregator.operate.pipeline import compile_with_progress

    check_spider(spider)
    observability.set_tags(spider=spider, publisher=spider)
    _check_crawl_options(sample, from_date, until_date, incremental, resume)
    with connect_migrated() as conn:
        sandbox = sandbox_url() if spider.startswith("sandbox_") else _nothing()
        with sandbox as url, _progress(conn, spider, log_every) as waiting, _interruptible(spider):
            row = run_spider(
                conn,
                spider,
                sample=sample,
                from_date=_day(from_date),
                until_date=_day(until_date),
                sandbox=url,
                incremental=incremental,
                resume=resume,
                waiting=waiting,
            )
        out.print(_crawl_summary(spider, row))
        if compile_after:
            compile_with_progress(conn, [spider], full=False)
        if row["status"] != "finished":
            reasons = "; ".join((row["acceptance"] or {}).get("reasons", [])) or row["close_reason"]
            # The crawl's own process reported it to Sentry, with its tags, where acceptance was decided.
            raise observability.AlreadyReported(f"crawl {row['id']} of {spider} is not accepted: {reasons}")


def _check_crawl_options(
    sample: int | None, from_date: datetime | None, until_date: datetime | None, incremental: bool, resume: bool
) -> None:
    if resume and (sample or from_date or until_date or incremental):
        raise AtlasError("--resume continues a crawl with its own arguments: give no other option")
    if incremental and from_date:
        raise AtlasError("--incremental starts where the last crawl ended: give no --from-date")


@contextlib.contextmanager
def _progress(conn: Any, spider: str, every: float) -> Iterator[CrawlProgress]:
    """In a terminal, a status line with the crawl's counts; elsewhere, a log line every ``every`` seconds."""
    read = functools.partial(read_counts, conn, spider)
    if not console.is_terminal:
        progress = CrawlProgress(spider, read, console, every)
        yield progress
        progress.finish(read_counts(conn, spider, running=False))
        return
    with console.status(Text(f"crawling {spider}…")) as status:
        yield CrawlProgress(spider, read, console, every, status)


@contextlib.contextmanager
def _interruptible(spider: str) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        console.print(f"interrupted: continue with `ocds-atlas crawl {spider} --resume`", highlight=False)
        raise typer.Exit(130) from None


def _crawl_summary(spider: str, row: dict[str, Any]) -> str:
    stats = row["stats"]
    rate = row.get("error_rate")
    return (
        f"crawl {row['id']} of {spider}: {row['status']} ({row['close_reason']}), "
        f"{stats.get('ocds_atlas/releases', 0)} releases, {stats.get('ocds_atlas/records', 0)} records"
        + ("" if rate is None else f", {rate:.0%} of requests failed")
    )


@command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories, in any OCDS shape.")],
    publisher: Annotated[str, typer.Option(help="The publisher's key (lower case, digits, _ . -).")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code of the publisher's country.")],
    title: Annotated[str | None, typer.Option(help="The publisher's name; default: the key.")] = None,
    encoding: Annotated[str | None, typer.Option(help="The files' encoding, if not UTF-8 (else detected).")] = None,
    ocds_version: Annotated[str | None, typer.Option(help="1.0 or 1.1, when packages don't say.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes storing files; default: the cores it may run on.")
    ] = None,
    compiled: Annotated[
        bool,
        typer.Option(
            "--compiled",
            help="The files hold compiled releases (one per OCID, as Cardinal and the OCP Data Registry take them): "
            "each is stored as its OCID's compiled release, as published, even without `id` or `date`.",
        ),
    ] = False,
    queue_only: Annotated[
        bool,
        typer.Option(
            "--queue-only",
            help="Leave every OCID the files change queued for `compile`, rather than compiling, as each file is "
            "stored, those whose releases the file holds whole.",
        ),
    ] = False,
) -> None:
    """Load files from disk into the raw layer, as one crawl of kind `load`, compiling as it goes the OCIDs whose
    releases a file holds whole (the others wait for `compile`). Releases tagged `compiled` are taken as compiled
    releases even without --compiled (with a note)."""
    from aggregator.cli.loading import load_and_report

    check_publisher_name(publisher)
    country = check_country(country)
    check_ocds_version(ocds_version)
    if encoding:
        _check_encoding(encoding)
    with connect_migrated() as conn:
        load_and_report(
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


@command("compile")
def compile_command(
    publisher: Annotated[list[str] | None, typer.Option(help="Only this publisher (repeatable).")] = None,
    full: Annotated[bool, typer.Option(help="Recompile every OCID, not only those that changed.")] = False,
    versioned: Annotated[
        bool,
        typer.Option(
            help="Also store versioned releases, beside compiled ones: for what is compiled, and for every compiled "
            "release that has none yet."
        ),
    ] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes; default: the usable cores.")] = None,
) -> None:
    """Merge releases into compiled releases, for the OCIDs whose releases changed since they were compiled; then
    normalize what changed."""
    from aggregator.operate.pipeline import compile_with_progress

    with connect_migrated() as conn:
        compile_with_progress(conn, publisher, full=full, versioned=versioned, workers=workers)


@command()
def normalize(
    publisher: Annotated[list[str] | None, typer.Option(help="Only this publisher (repeatable).")] = None,
    full: Annotated[bool, typer.Option(help="Every compiled release, not only those compiled since.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes; default: the usable cores.")] = None,
) -> None:
    """Turn compiled releases into processes, awards, contracts and organizations: org-id keys, USD and EUR at
    stated rates, UTC dates, procedure types (only rows whose output changed are written)."""
    from aggregator.operate.pipeline import normalize_with_progress

    with connect_migrated() as conn:
        normalize_with_progress(conn, publisher, full=full, workers=workers or settings.cores())


@command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker processes on this machine.")] = 1,
    until_empty: Annotated[
        bool, typer.Option(help="Stop once no job waits or runs in the queue (else run until Ctrl-C or SIGTERM).")
    ] = False,
    heartbeat: Annotated[
        float, typer.Option(min=0.1, help="Seconds between heartbeats; one silent 3 times as long is presumed dead.")
    ] = 10.0,
) -> None:
    """Run compile and normalize jobs from the shared queue in the database, beside the workers of other machines:
    `compile --workers N` and `normalize --workers N` queue their batches there."""
    from aggregator.operate.workers import WorkerOptions, serve_here

    connect_migrated().close()
    serve_here(db.resolve_url(), concurrency, WorkerOptions(heartbeat, until_empty, verbose=True))


@command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write the downloads.")]) -> None:
    """Write bulk downloads: DIR/compiled/<publisher>/{full,<year>,undated}.jsonl.gz, DIR/tables/<table>.csv.gz and
    .parquet, DIR/tables/processes.parquet, DIR/indicators.csv, DIR/datapackage.json and DIR/SHA256SUMS."""
    from aggregator.operate.pipeline import export_with_progress

    with connect_reading() as conn:
        export_with_progress(conn, directory)


def _nothing() -> contextlib.nullcontext[None]:
    return contextlib.nullcontext(None)


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _check_encoding(encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise AtlasError(f"unknown encoding {encoding!r}") from None
