"""Running a spider from the aggregator's CLI, in a child process, so that ``aggregator`` never imports Scrapy."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg

from aggregator import db, settings
from aggregator.db import query
from aggregator.errors import AtlasError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def sandbox_url() -> Iterator[str]:
    """The sandbox publishers' address: ``OCDS_ATLAS_SANDBOX_URL`` if set, else a server started for the block."""
    existing = os.environ.get("OCDS_ATLAS_SANDBOX_URL")
    if existing:
        yield existing
        return
    from aggregator.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server.url


def run_spider(
    conn: psycopg.Connection,
    spider: str,
    *,
    sample: int | None = None,
    from_date: date | None = None,
    until_date: date | None = None,
    sandbox: str | None = None,
) -> dict:
    """Run ``scrapy crawl`` and return the crawl row it wrote."""
    before = _last_crawl_id(conn, spider)
    log = settings.home() / "logs" / f"{spider}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"LOG_FILE={log}"]
    for name, value in (("sample", sample), ("from_date", from_date), ("until_date", until_date)):
        if value is not None:
            command += ["-a", f"{name}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "DATABASE_URL": db.resolve_url()}
    env["OCDS_ATLAS_HOME"] = str(settings.home())
    # The CLI compiles after the crawl itself, with a progress bar and workers.
    env["OCDS_ATLAS_COMPILE_AFTER_CRAWL"] = "0"
    if sandbox:
        env["OCDS_ATLAS_SANDBOX_URL"] = sandbox
    process = subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=False)
    crawl = conn.execute(query("crawls", "select_last_crawl"), {"name": spider}).fetchone()
    if process.returncode != 0 or crawl is None or crawl["id"] == before:
        raise AtlasError(f"the crawl of {spider} failed: {_last_error(log)} (log: {log})")
    return crawl


def _last_crawl_id(conn: psycopg.Connection, spider: str) -> int | None:
    row = conn.execute(query("crawls", "select_last_crawl"), {"name": spider}).fetchone()
    return row["id"] if row else None


def _last_error(log: Path) -> str:
    """The last error line Scrapy logged, which says why a crawl did not start."""
    if not log.exists():
        return "no log written"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        if "Error" in line or "ERROR" in line:
            return line.strip()
    return lines[-1].strip() if lines else "empty log"
