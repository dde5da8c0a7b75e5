"""Running a spider from the aggregator's CLI, in a child process, so that ``aggregator`` never imports Scrapy."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from aggregator import db, settings
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.raw.processes import parent_death_signal

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
    incremental: bool = False,
    resume: bool = False,
    waiting: Callable[[], None] | None = None,
) -> dict:
    """Run ``scrapy crawl`` and return the crawl row it wrote; ``waiting`` is called about every second while it
    runs (to show its progress).

    The crawl keeps Scrapy's job directory (``$OCDS_ATLAS_HOME/jobs/<spider>``) until it ends as it should; an
    interrupted crawl continues from it with ``resume`` (same arguments, same crawl row). ``incremental`` starts
    after the high-water mark of the spider's last complete, accepted crawl (a full crawl the first time)."""
    jobdir = job_directory(spider)
    if resume:
        arguments = interrupted_arguments(conn, jobdir)
    else:
        shutil.rmtree(jobdir, ignore_errors=True)
        arguments = {"sample": sample, "from_date": from_date, "until_date": until_date}
        if incremental:
            arguments.update(from_date=incremental_start(conn, spider), incremental="true")
    before = _last_crawl(conn, spider)
    log = settings.spider_path("logs", spider, ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"LOG_FILE={log}", "-s", f"JOBDIR={jobdir}"]
    for name, value in arguments.items():
        if value is not None and value is not False:
            command += ["-a", f"{name}={value}"]
    returncode = _run(command, _environment(sandbox), waiting)
    crawl = conn.execute(query("raw/crawls", "select_last_crawl"), {"name": spider}).fetchone()
    if returncode != 0 or crawl is None or _marker(crawl) == before:
        raise AtlasError(f"the crawl of {spider} failed: {_last_error(log)} (log: {log})")
    if crawl["status"] == "finished":  # else it can be resumed: what it lacks is in the job directory
        shutil.rmtree(jobdir, ignore_errors=True)
    return crawl


def job_directory(spider: str) -> Path:
    return settings.spider_path("jobs", spider)


def incremental_start(conn: psycopg.Connection, spider: str) -> str | None:
    """Where an incremental crawl starts: just after the latest release date of the spider's last complete,
    accepted crawl (dates are stored to the microsecond), or None for a first, full crawl."""
    row = conn.execute(query("raw/crawls", "select_high_water_mark"), {"name": spider}).fetchone()
    mark = row["high_water_mark"] if row else None
    return None if mark is None else (mark + timedelta(microseconds=1)).isoformat()


def interrupted_arguments(conn: psycopg.Connection, jobdir: Path) -> dict[str, Any]:
    """The arguments of the crawl that the job directory holds (its id is in the spider's state, written by
    ``crawler.pipelines.StorePipeline``)."""
    state, written = jobdir / "spider.state", jobdir / "crawl_id"
    if state.is_file():
        with state.open("rb") as f:
            crawl_id = pickle.load(f).get("crawl_id")  # a dict of plain values, written by our own pipeline
    elif written.is_file():  # written when the crawl opened: a crawl killed before it closed left only this
        crawl_id = int(written.read_text(encoding="utf-8"))
    else:
        raise AtlasError(f"there is no interrupted crawl to resume ({jobdir} holds none)")
    row = conn.execute(query("raw/crawls", "select_crawl"), {"id": crawl_id}).fetchone()
    if row is None:
        raise AtlasError(f"the interrupted crawl {crawl_id} is not in the database: it cannot be resumed")
    arguments = dict(row["arguments"])
    if arguments.get("incremental"):
        arguments["incremental"] = "true"
    return arguments


def _environment(sandbox: str | None) -> dict[str, str]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "DATABASE_URL": db.resolve_url()}
    env["OCDS_ATLAS_HOME"] = str(settings.home())
    # The CLI compiles after the crawl itself, with a progress bar and workers.
    env["OCDS_ATLAS_COMPILE_AFTER_CRAWL"] = "0"
    if sandbox:
        env["OCDS_ATLAS_SANDBOX_URL"] = sandbox
    return env


def _run(command: list[str], env: dict[str, str], waiting: Callable[[], None] | None = None) -> int:
    """Run the crawl's child, which is killed if this process dies, however it dies (SIGKILL too): killed, the
    crawl goes silent and is closed as interrupted; ``--resume`` continues it."""
    with subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, preexec_fn=parent_death_signal()) as process:
        try:
            while waiting is not None:
                try:
                    return process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    waiting()
            return process.wait()
        except KeyboardInterrupt:
            # Scrapy got the interrupt too: it finishes the requests under way and saves its job directory.
            # Wait for it (a second interrupt forces it to stop), then say the crawl was interrupted.
            process.wait()
            raise


def _last_crawl(conn: psycopg.Connection, spider: str) -> tuple[int, Any] | None:
    row = conn.execute(query("raw/crawls", "select_last_crawl"), {"name": spider}).fetchone()
    return _marker(row) if row else None


def _marker(crawl: dict[str, Any]) -> tuple[int, Any]:
    """A crawl row's id and end: a new crawl has a new id, a resumed one a new end."""
    return crawl["id"], crawl["ended_at"]


def _last_error(log: Path) -> str:
    """The last error line Scrapy logged, which says why a crawl did not start."""
    if not log.exists():
        return "no log written"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        if "Error" in line or "ERROR" in line:
            return line.strip()
    return lines[-1].strip() if lines else "empty log"
