"""Whether publications answer as their spiders expect: ``ocds-atlas probe``, and ``ocds-atlas update`` before it
crawls.

The probing is ``scrapy probe`` (``crawler/commands/probe.py``), run in a child process as crawls are, so that
``aggregator`` never imports Scrapy; sandbox spiders get the sandbox's address as crawls do. This module runs it,
reads its JSON, records the outcome in each publisher's health (``endpoint_failing_since``) and formats it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from rich.table import Table
from rich.text import Text

from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.operate.crawl_runner import PROJECT_ROOT, sandbox_url

#: Seconds a probe of one answer may take (``scrapy probe --timeout``).
TIMEOUT = 20.0


@dataclass(frozen=True)
class ProbeOptions:
    timeout: float = TIMEOUT
    requests: int = 1
    include_sandbox: bool = False


def probe(names: list[str] | None = None, options: ProbeOptions = ProbeOptions()) -> list[dict[str, Any]]:
    """Each spider's probe (see ``scrapy probe``): every available real spider's, or those named."""
    names = list(dict.fromkeys(names or []))
    wants_sandbox = options.include_sandbox or any(name.startswith("sandbox_") for name in names)
    arguments = ["--timeout", str(options.timeout), "--requests", str(options.requests)]
    if options.include_sandbox:
        arguments.append("--include-sandbox")
    with sandbox_url() if wants_sandbox else contextlib.nullcontext(None) as url:
        return _run([*arguments, *names], url, timeout=60 + options.timeout * options.requests * 3)


def _run(arguments: list[str], sandbox: str | None, timeout: float) -> list[dict[str, Any]]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    if sandbox:
        env["OCDS_ATLAS_SANDBOX_URL"] = sandbox
    command = [sys.executable, "-m", "scrapy", "probe", *arguments]
    try:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise AtlasError(f"the probe did not finish in {timeout:.0f} s") from None
    if result.returncode != 0:
        raise AtlasError(f"the probe failed: {' '.join(result.stderr.strip().splitlines()[-1:]) or 'no message'}")
    return json.loads(result.stdout)


def failed(result: dict[str, Any]) -> bool:
    """Whether a probed publication did not answer as expected (a skipped spider did not fail)."""
    return result["ok"] is False


def summary(result: dict[str, Any]) -> str:
    """One line on a spider's probe: what its first answer was, or why it was not probed."""
    if result["skipped"]:
        return f"skipped: {result['skipped']}"
    if not result["requests"]:
        return result["problem"] or "no request was made"
    first = next((r for r in result["requests"] if not r["ok"]), result["requests"][0])
    status = f"HTTP {first['status']}" if first["status"] is not None else "no answer"
    said = first["problem"] if not first["ok"] else first["found"]
    return f"{status} in {first['seconds']:.2f} s: {said}"


def probe_table(results: list[dict[str, Any]]) -> Table:
    table = Table()
    for column in ("spider", "answers", "status", "seconds", "content type", "expected", "found"):
        table.add_column(column, overflow="fold")
    for result in results:
        verdict = "skipped" if result["skipped"] else ("yes" if result["ok"] else "NO")
        if not result["requests"]:
            row = (result["spider"], verdict, "", "", "", result["expected"] or "", summary(result))
            table.add_row(*map(Text, row))
        for request in result["requests"]:
            cells = [str(request[key]) if request[key] is not None else "" for key in ("status", "seconds")]
            found = request["found"] + (f" ({request['problem']})" if request["problem"] else "")
            row = (result["spider"], verdict, *cells, request["content_type"] or "", result["expected"], found)
            table.add_row(*map(Text, row))  # what a server said is data, never markup
    return table


# Health: when a publisher's endpoint began failing.


def record_probes(conn: psycopg.Connection, results: list[dict[str, Any]]) -> None:
    """Store each probed publisher's outcome: ``endpoint_checked_at`` now, ``endpoint_failing_since`` kept from the
    first failed probe of the current run of them (cleared by a probe that answered as expected), and the problem
    said by the last probe."""
    with conn.transaction():
        for result in results:
            if result["ok"] is None:
                continue
            params = {
                "name": result["spider"],
                "ok": result["ok"],
                "problem": None if result["ok"] else summary(result),
            }
            conn.execute(query("operate/probe", "update_endpoint_health"), params)


def endpoint_health(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Each publisher's endpoint health, by name: when it was last probed, failing since, the problem."""
    return {row["name"]: row for row in conn.execute(query("operate/probe", "select_endpoint_health")).fetchall()}


def failing_line(row: dict[str, Any]) -> str:
    since: datetime | None = row.get("endpoint_failing_since")
    if since is None:
        return ""
    return f"endpoint failing since {since:%Y-%m-%d %H:%M}: {row.get('endpoint_problem') or ''}".rstrip(": ")
