"""The ``ocds-atlas`` command."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from aggregator import db, settings
from aggregator.errors import AtlasError, guarded
from aggregator.pipeline import make_console


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose failures exit non-zero with one clear line, without a traceback
    (set OCDS_ATLAS_DEBUG=1 to see it)."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        return app.command(name)(guarded(function))

    return decorate


app = typer.Typer(
    help="Crawl OCDS publishers, store what they publish with provenance, compile and export it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = make_console(stderr=True)
out = make_console()

DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


@app.callback()
def observe(
    ctx: typer.Context,
    log_format: Annotated[
        str | None,
        typer.Option(help="Crawl logs as text or json (JSON lines); default: OCDS_ATLAS_LOG_FORMAT, else text."),
    ] = None,
) -> None:
    """Before every command: Sentry when SENTRY_DSN is set, tagged with the command; the crawls' log format."""
    from aggregator import observability

    if log_format is not None:
        if log_format not in observability.LOG_FORMATS:
            raise typer.BadParameter(f"text or json, not {log_format!r}", param_hint="--log-format")
        os.environ["OCDS_ATLAS_LOG_FORMAT"] = log_format  # crawls run in a child process, which reads it
    guarded(observability.init_sentry)("cli", command=ctx.invoked_subcommand)


def connect_migrated():
    from aggregator.migrate import migrate

    conn = db.connect(autocommit=True)
    migrate(conn)
    return conn


@command("migrate")
def migrate_command() -> None:
    """Apply the database migrations not applied yet."""
    from aggregator.migrate import migrate

    with db.connect(autocommit=True) as conn:
        applied = migrate(conn)
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
) -> None:
    """Crawl a publisher with its spider, then compile what changed. A crawl that is not accepted (it did not
    finish, more than 15 % of its requests failed, or it stored nothing) exits 1 with the reasons."""
    from aggregator import observability
    from aggregator.crawl_runner import run_spider, sandbox_url
    from aggregator.pipeline import compile_with_progress

    observability.set_tags(spider=spider, publisher=spider)
    _check_crawl_options(sample, from_date, until_date, incremental, resume)
    with connect_migrated() as conn:
        sandbox = sandbox_url() if spider.startswith("sandbox_") else _nothing()
        with sandbox as url, console.status(f"crawling {spider}…"), _interruptible(spider):
            row = run_spider(
                conn,
                spider,
                sample=sample,
                from_date=_day(from_date),
                until_date=_day(until_date),
                sandbox=url,
                incremental=incremental,
                resume=resume,
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
) -> None:
    """Load files from disk into the raw layer, as one crawl of kind `load`."""
    from aggregator.pipeline import load_with_progress

    if encoding:
        _check_encoding(encoding)
    with connect_migrated() as conn:
        load_with_progress(conn, paths, publisher, country.upper(), title, encoding, ocds_version, workers)


@command("compile")
def compile_command(
    publisher: Annotated[list[str] | None, typer.Option(help="Only this publisher (repeatable).")] = None,
    full: Annotated[bool, typer.Option(help="Recompile every OCID, not only those that changed.")] = False,
    versioned: Annotated[bool, typer.Option(help="Also store versioned releases, beside compiled ones.")] = False,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes; default: the usable cores.")] = None,
) -> None:
    """Merge releases into compiled releases, for the OCIDs whose releases changed since they were compiled; then
    normalize what changed."""
    from aggregator.pipeline import compile_with_progress

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
    from aggregator.pipeline import normalize_with_progress

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
    from aggregator.worker import WorkerOptions, serve_here

    connect_migrated().close()
    serve_here(db.resolve_url(), concurrency, WorkerOptions(heartbeat, until_empty, verbose=True))


@command()
def export(directory: Annotated[Path, typer.Argument(help="Where to write the downloads.")]) -> None:
    """Write bulk downloads: DIR/compiled/<publisher>/{full,<year>,undated}.jsonl.gz, DIR/tables/<table>.csv.gz and
    .parquet, DIR/tables/processes.parquet, DIR/indicators.csv, DIR/datapackage.json and DIR/SHA256SUMS."""
    from aggregator.pipeline import export_with_progress

    with connect_migrated() as conn:
        export_with_progress(conn, directory)


@command()
def status(
    crawls: Annotated[int, typer.Option(help="How many recent crawls to list.")] = 10,
    format: Annotated[
        str, typer.Option("--format", help="table, or json (crawls, publishers, queues: for monitoring).")
    ] = "table",
) -> None:
    """Crawls, counts per publisher, notes by level, and normalized counts per country."""
    from aggregator.report.status import print_status, status_json

    if format not in ("table", "json"):
        raise AtlasError(f"--format must be table or json, not {format!r}")
    with connect_migrated() as conn:
        if format == "json":
            print(status_json(conn, crawls))
        else:
            print_status(conn, out, crawls)


@command()
def prune(
    keep: Annotated[
        int | None,
        typer.Option(min=1, help="Latest successful crawls kept per publisher; default OCDS_ATLAS_KEEP_CRAWLS (2)."),
    ] = None,
    publisher: Annotated[list[str] | None, typer.Option(help="Only this publisher (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Say what would be deleted; delete nothing.")] = False,
) -> None:
    """Delete the files of old crawls from the files store, keeping those of each publisher's latest successful
    crawls (and any newer), of crawls whose releases are still the newest of some OCID, and of crawls that can be
    resumed. Rows stay in the database; each deletion is noted."""
    from aggregator.retention import prune as prune_files

    keep = keep or settings.keep_crawls()
    with connect_migrated() as conn:
        decisions = prune_files(conn, keep, publisher, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for decision in decisions:
        crawl = f"crawl {decision.crawl_id} of {decision.publisher}"
        if decision.deleted:
            out.print(f"{verb} the files of {crawl}: {decision.files} files, {_mb(decision.bytes)}", highlight=False)
        else:
            out.print(f"kept {crawl}: {decision.kept_because}", highlight=False)
    deleted = [decision for decision in decisions if decision.deleted]
    out.print(f"{verb} the files of {len(deleted)} crawl(s), {_mb(sum(d.bytes for d in deleted))}", highlight=False)


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@command()
def report(directory: Annotated[Path, typer.Argument(help="Where to write the site.")]) -> None:
    """Write a static HTML site that works offline: countries side by side on each indicator, a page per country
    (indicators by year, field coverage, publishers' health, notes) and the methodology."""
    from aggregator.report.site import write_site

    with connect_migrated() as conn:
        home = write_site(conn, directory)
    out.print(f"report: {home}", highlight=False)


@command()
def demo(
    output: Annotated[Path | None, typer.Option(help="Where to export; default $OCDS_ATLAS_HOME/export.")] = None,
) -> None:
    """Run the whole pipeline on the built-in sandbox publishers and print what it made, per country."""
    from aggregator.demo import run_demo

    with connect_migrated() as conn:
        run_demo(conn, output or settings.home() / "export", out)


@command()
def sandbox(port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 for any free port.")] = 0) -> None:
    """Serve the sandbox publishers until interrupted (for `scrapy crawl sandbox_*` by hand)."""
    from aggregator.sandbox import SandboxServer

    with SandboxServer(port=port) as server:
        out.print(f"serving the sandbox publishers at {server.url}; set OCDS_ATLAS_SANDBOX_URL={server.url}")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


@command()
def publishers(
    format: Annotated[
        str, typer.Option("--format", help="table, json, csv, or markdown (the README's table).")
    ] = "table",
    sandbox: Annotated[bool, typer.Option(help="Include the sandbox spiders.")] = False,
    write_readme: Annotated[bool, typer.Option(help="Rewrite the README's publisher table from the spiders.")] = False,
    health: Annotated[
        bool | None,
        typer.Option(
            "--health/--no-health",
            help="Add each publisher's health from the database (status, last crawls, failing and stale since, "
            "due); default: with the table format, when the database is reachable.",
        ),
    ] = None,
) -> None:
    """The publishers that spiders crawl, as the spiders declare them (country, level, shape, licence…), with
    their health when the database is reachable."""
    from aggregator import publishers as listing

    if format not in ("table", "json", "csv", "markdown"):
        raise AtlasError(f"--format must be table, json, csv or markdown, not {format!r}")
    if health and (format == "markdown" or write_readme):
        raise AtlasError("--health does not apply to the README's table, which holds no health")
    rows = listing.list_publishers(sandbox=sandbox)
    columns = listing.COLUMNS
    if health or (health is None and format == "table" and not write_readme):
        try:
            with listing.health_connection() as conn:
                rows = listing.with_health(rows, listing.read_health(conn))
            columns = listing.TABLE_HEALTH_COLUMNS if format == "table" else columns + listing.HEALTH_COLUMNS
        except AtlasError as error:
            if health:
                raise
            console.print(f"health not shown: {error}", highlight=False)
    if write_readme:
        changed = listing.write_readme([row for row in rows if not row["is_sandbox"]])
        console.print("README.md " + ("updated" if changed else "already up to date"))
        return
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif format == "csv":
        print(listing.to_csv(rows, columns), end="")
    elif format == "markdown":
        print(listing.to_markdown(rows), end="")
    else:
        from rich.table import Table

        table = Table(*columns)
        table.columns[0].no_wrap = True
        for row in rows:
            table.add_row(*(listing.table_cell(row[column]) for column in columns))
        out.print(table)


@command()
def update(
    publisher: Annotated[
        list[str] | None, typer.Option(help="Crawl this publisher whether it is due or not (repeatable); only these.")
    ] = None,
    include_sandbox: Annotated[bool, typer.Option(help="Consider the sandbox's publishers too.")] = False,
    via_scrapyd: Annotated[
        list[str] | None,
        typer.Option(
            help="Schedule the crawls on this Scrapyd (http://host:6800) instead of running them here; repeatable: "
            "each crawl goes to the node with the fewest jobs."
        ),
    ] = None,
    project: Annotated[str, typer.Option(help="The project's name on Scrapyd.")] = "ocds_atlas",
) -> None:
    """Crawl incrementally every publisher that is due by its update frequency (or those named), then compile,
    normalize and refresh the indicators for what changed; print a summary. One run at a time (a database lock):
    safe to run from cron every few minutes. With --via-scrapyd, crawls are scheduled there and compile as they
    close on their nodes."""
    from aggregator.update import run_update

    with connect_migrated() as conn:
        run_update(conn, out, publisher, include_sandbox=include_sandbox, via_scrapyd=via_scrapyd, project=project)


def _register_indicators() -> None:
    from aggregator.indicators import cli as indicators_cli

    app.add_typer(indicators_cli.indicators_app, name="indicators")
    command("red-flags")(indicators_cli.red_flags)
    command("quality")(indicators_cli.quality)


_register_indicators()


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


def main() -> None:
    app()
