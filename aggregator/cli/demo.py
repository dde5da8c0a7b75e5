"""``ocds-atlas demo``: the whole pipeline on the sandbox publishers, and a summary per country."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aggregator import settings
from aggregator.db import query
from aggregator.operate.crawl_runner import run_spider, sandbox_url
from aggregator.operate.health import publishers_health
from aggregator.operate.pipeline import compile_with_progress, console, export_with_progress
from aggregator.publish.report.site import write_site
from aggregator.sandbox import SANDBOX_PUBLISHERS


def sandbox_spiders() -> list[str]:
    return [f"sandbox_{key}" for key in SANDBOX_PUBLISHERS]


def run_demo(conn: psycopg.Connection, output: Path, out: Console) -> None:
    started = datetime.now(UTC)
    clock = time.monotonic()
    spiders = sandbox_spiders()
    crawl_ids = []
    with sandbox_url() as url:
        for spider in spiders:
            with console.status(Text(f"crawling {spider} from the sandbox at {url}…")):
                row = run_spider(conn, spider, sandbox=url)
            crawl_ids.append(row["id"])
            console.print(f"crawl {row['id']} of {spider}: {row['status']} ({row['close_reason']})", highlight=False)
    compile_with_progress(conn, spiders, full=False)
    files = export_with_progress(conn, output)
    table = summary_table(conn, crawl_ids, spiders, started)
    out.print(table)
    out.print(
        f"exported {sum(f.lines for f in files if f.kind == 'compiled')} compiled releases to "
        f"{output}/compiled/<publisher>/full.jsonl.gz, tables to {output}/tables, {output}/datapackage.json"
    )
    out.print(f"raw files as crawled: {settings.files_store()}/<spider>/<crawl start>/")
    out.print(f"pipeline took {time.monotonic() - clock:.1f} s")
    health = {row["name"]: row["status"] for row in publishers_health(conn)}
    out.print(f"report: {write_site(conn, settings.home() / 'report', output, None, health)}", highlight=False)


def summary_table(conn: psycopg.Connection, crawl_ids: list[int], spiders: list[str], since: datetime) -> Table:
    rows = conn.execute(
        query("cli/status", "select_run_by_country"), {"crawl_ids": crawl_ids, "names": spiders, "since": since}
    ).fetchall()
    table = Table(title="ocds-atlas demo: per country")
    for column in (
        "country",
        "publishers",
        "crawled files",
        "releases",
        "records",
        "compiled releases",
        "error notes",
        "warning notes",
        "info notes",
    ):
        table.add_column(column, justify="left" if column == "country" else "right")
    for row in rows:
        table.add_row(
            row["country"],
            str(row["publishers"]),
            str(row["files"]),
            str(row["releases"]),
            str(row["records"]),
            str(row["compiled_releases"]),
            str(row["error"]),
            str(row["warning"]),
            str(row["info"]),
        )
    return table
