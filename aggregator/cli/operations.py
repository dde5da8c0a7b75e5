"""Commands that look at and run the whole: status, prune, report, demo, sandbox, update, probe (``publishers``
is in :mod:`aggregator.cli.publishers`)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from aggregator import settings
from aggregator.cli.app import command, connect_migrated, connect_reading, out
from aggregator.errors import AtlasError


@command()
def status(
    crawls: Annotated[int, typer.Option(help="How many recent crawls to list.")] = 10,
    format: Annotated[
        str, typer.Option("--format", help="table, or json (crawls, publishers, queues: for monitoring).")
    ] = "table",
) -> None:
    """Crawls (running, finished, incomplete, failed, or interrupted: their process died), counts per publisher,
    notes by level, and normalized counts per country. Reads only (a read-only role may run it), but for closing
    the runs whose process died, when this role may write."""
    from aggregator.cli.status import print_status, status_json
    from aggregator.operate.access import session
    from aggregator.raw.liveness import close_interrupted, presumed_interrupted

    if format not in ("table", "json"):
        raise AtlasError(f"--format must be table or json, not {format!r}")
    with connect_reading() as conn:
        # Crawls and loads whose process died show as interrupted: closed (with a note, their OCIDs queued) when
        # this role may write; else only shown so, and the next writing command closes them.
        presumed: frozenset[int] = frozenset()
        if session(conn).can_write:
            close_interrupted(conn)
        else:
            presumed = presumed_interrupted(conn)
        if format == "json":
            print(status_json(conn, crawls, presumed))
        else:
            print_status(conn, out, crawls, presumed)


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
def report(
    directory: Annotated[Path, typer.Argument(help="Where to write the site.")],
    downloads: Annotated[
        Path | None,
        typer.Option(
            help="An export directory (`ocds-atlas export`) to link, with sizes and checksums; default "
            "$OCDS_ATLAS_HOME/export when it holds one."
        ),
    ] = None,
    downloads_url: Annotated[
        str | None, typer.Option(help="Where that export is published: links go there instead of to the files.")
    ] = None,
) -> None:
    """Write a static HTML site that works offline: countries compared on one stated year (levels apart, partial
    years marked), a page per year, trends, a page per country (publishers' coverage and freshness, indicators and
    red flags by year, field coverage, notes), the downloads and the methodology."""
    from aggregator.operate.health import publishers_health
    from aggregator.publish.report.site import write_site

    if downloads is None and (settings.home() / "export" / "datapackage.json").is_file():
        downloads = settings.home() / "export"
    if downloads is not None and not (downloads / "datapackage.json").is_file():
        raise AtlasError(f"{downloads} holds no export (no datapackage.json): run `ocds-atlas export {downloads}`")
    with connect_reading() as conn:
        health = {row["name"]: row["status"] for row in publishers_health(conn)}
        home = write_site(conn, directory, downloads, downloads_url, health)
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
    probe_first: Annotated[
        bool,
        typer.Option(
            "--probe/--no-probe",
            help="Probe each due publisher's endpoint first, and crawl only those that answer as expected.",
        ),
    ] = True,
) -> None:
    """Crawl incrementally every publisher that is due by its update frequency (or those named), then compile,
    normalize and refresh the indicators for what changed; print a summary. One run at a time (a database lock):
    safe to run from cron every few minutes. With --via-scrapyd, crawls are scheduled there and compile as they
    close on their nodes. Publications that are gone are skipped unless named; each due publisher's endpoint is
    probed first, and one that fails is not crawled (its health says since when)."""
    from aggregator.operate.update import run_update

    for name in publisher or []:
        settings.check_spider_name(name)
    with connect_migrated() as conn:
        run_update(
            conn,
            out,
            publisher,
            include_sandbox=include_sandbox,
            via_scrapyd=via_scrapyd,
            project=project,
            probe_first=probe_first,
        )


@command()
def probe(
    spiders: Annotated[
        list[str] | None, typer.Argument(help="Spiders to probe; default: every available real spider.")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table, or json.")] = "table",
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for each answer.")] = 20.0,
    requests: Annotated[int, typer.Option(min=1, help="First requests made per spider.")] = 1,
    include_sandbox: Annotated[bool, typer.Option(help="Probe the sandbox spiders too.")] = False,
    record: Annotated[
        bool, typer.Option(help="Store each crawled publisher's outcome in its health (endpoint failing since).")
    ] = False,
) -> None:
    """Request each publication's first URL(s) and say whether it answers as its spider expects: HTTP status,
    seconds, content type, and whether the body is OCDS of the declared kind (or the listing the spider reads).
    Exits 1 when a named spider's publication does not answer as expected."""
    from aggregator.operate import probe as probing

    if format not in ("table", "json"):
        raise AtlasError(f"--format must be table or json, not {format!r}")
    for name in spiders or []:
        settings.check_spider_name(name)  # not an option of scrapy's
    options = probing.ProbeOptions(timeout=timeout, requests=requests, include_sandbox=include_sandbox)
    results = probing.probe(spiders, options)
    if record:
        with connect_migrated() as conn:
            probing.record_probes(conn, results)
    if format == "json":
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        out.print(probing.probe_table(results))
    failing = [r["spider"] for r in results if probing.failed(r)]
    if format == "table":
        probed = [r for r in results if not r["skipped"]]
        skipped = f" ({len(results) - len(probed)} skipped)" if len(probed) < len(results) else ""
        out.print(f"{len(probed) - len(failing)} of {len(probed)} answer as expected{skipped}", highlight=False)
    if spiders and failing:
        raise AtlasError(f"not answering as expected: {', '.join(failing)}")
