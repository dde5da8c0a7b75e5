"""Commands that look at and run the whole: status, prune, report, demo, sandbox, publishers, update."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from aggregator import settings
from aggregator.cli.app import command, connect_migrated, console, out
from aggregator.errors import AtlasError


@command()
def status(
    crawls: Annotated[int, typer.Option(help="How many recent crawls to list.")] = 10,
    format: Annotated[
        str, typer.Option("--format", help="table, or json (crawls, publishers, queues: for monitoring).")
    ] = "table",
) -> None:
    """Crawls (running, finished, incomplete, failed, or interrupted: their process died), counts per publisher,
    notes by level, and normalized counts per country."""
    from aggregator.cli.status import print_status, status_json
    from aggregator.raw.liveness import close_interrupted

    if format not in ("table", "json"):
        raise AtlasError(f"--format must be table or json, not {format!r}")
    with connect_migrated() as conn:
        close_interrupted(conn)  # crawls and loads whose process died show as interrupted
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
    from aggregator.operate.retention import prune as prune_files

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
    from aggregator.publish.report.site import write_site

    with connect_migrated() as conn:
        home = write_site(conn, directory)
    out.print(f"report: {home}", highlight=False)


@command()
def demo(
    output: Annotated[Path | None, typer.Option(help="Where to export; default $OCDS_ATLAS_HOME/export.")] = None,
) -> None:
    """Run the whole pipeline on the built-in sandbox publishers and print what it made, per country."""
    from aggregator.cli.demo import run_demo

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
    from aggregator.operate import publishers as listing

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
    from aggregator.operate.update import run_update

    with connect_migrated() as conn:
        run_update(conn, out, publisher, include_sandbox=include_sandbox, via_scrapyd=via_scrapyd, project=project)
