"""``ocds-atlas update``: incremental crawls of the publishers that are due, then compile, normalize and
indicators for what changed. Safe to run from cron every few minutes: one run at a time (a PostgreSQL advisory
lock, so on every machine that shares the database), and a run with nothing due changes nothing.

Whether a publisher is due is :func:`aggregator.operate.health.is_due` (its update frequency against its last closed
crawl, so a failing publisher is retried at the same pace, not hammered), taken from its crawl history; a crawl
still running is left alone. ``--publisher`` crawls the named publishers whatever their history. A publisher whose
spider says its publication is gone (``available = False``) is skipped, and said so, unless it is named; its data
and history stay.

Before crawling, each due publisher's endpoint is probed (:mod:`aggregator.operate.probe`): one that does not answer
as its spider expects is not crawled, its health says since when its endpoint fails, and it is probed again at the
pace of its update frequency, as a failed crawl would be.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.operate import probe as probing
from aggregator.operate import scrapyd
from aggregator.operate.health import DEFAULT_INTERVAL, INTERVALS, Health, crawl_interval, frequency, is_due
from aggregator.operate.publishers import list_publishers
from aggregator.raw.liveness import close_interrupted

#: A crawl marked running for longer than this is taken to have died without closing its row.
STALE_RUNNING = timedelta(days=2)


@dataclass(frozen=True)
class History:
    """What the database knows of a publisher's crawls."""

    name: str
    is_sandbox: bool = False
    update_frequency: str | None = None
    #: When its last accepted crawl closed, and its last closed crawl (accepted or not).
    last_success: datetime | None = None
    last_closed: datetime | None = None
    #: Its latest crawl, whatever became of it.
    last_started: datetime | None = None
    last_status: str | None = None
    #: When its endpoint was last probed, and since when the probes fail (None when the last one answered).
    endpoint_checked_at: datetime | None = None
    endpoint_failing_since: datetime | None = None


@dataclass(frozen=True)
class Decision:
    name: str
    due: bool
    reason: str
    is_sandbox: bool = False
    #: Skipped because its publication is gone (the spider's ``available = False``).
    gone: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of one due publisher: its crawl (in-process) or its Scrapyd job."""

    publisher: str
    reason: str
    status: str
    crawl: str = ""
    releases: int | None = None
    records: int | None = None
    detail: str = ""

    @property
    def failed(self) -> bool:
        """Not accepted, not run, or not scheduled (``queued``: an earlier update's job is still waiting)."""
        return self.status not in ("finished", "scheduled", "queued")


def decide(history: History, now: datetime) -> Decision:
    """Whether the publisher is due now, and why (or why not). Pure."""
    started = history.last_started
    if history.last_status == "running" and started and now - started < STALE_RUNNING:
        return Decision(history.name, False, f"a crawl is running since {_ago(now - started)} ago", history.is_sandbox)
    probed = history.endpoint_checked_at if history.endpoint_failing_since else None
    if probed and (history.last_closed is None or probed > history.last_closed):
        # Its endpoint failed the last probe, after its last crawl: probed again at the same pace.
        health = Health(last_crawl_at=probed, last_success_at=history.last_success)
        due = is_due(health, history.update_frequency, now)
        every = crawl_interval(history.update_frequency) or DEFAULT_INTERVAL
        reason = f"endpoint failing since {history.endpoint_failing_since:%Y-%m-%d}; probed {_ago(now - probed)} ago"
        reason = reason if due else f"{reason}; next in {_ago(probed + every - now)}"
        return Decision(history.name, due, reason, history.is_sandbox)
    health = Health(last_crawl_at=history.last_closed, last_success_at=history.last_success)
    due = is_due(health, history.update_frequency, now)
    return Decision(history.name, due, _reason(history, due, now), history.is_sandbox)


def _reason(history: History, due: bool, now: datetime) -> str:
    if history.last_closed is None:
        return "never crawled"
    words = frequency(history.update_frequency)
    if words == "never":
        label = "never (weekly until a crawl is accepted)"
    else:
        label = words if words in INTERVALS else f"{words or 'no frequency'}: weekly"
    failed = "" if history.last_success == history.last_closed else " (not accepted)"
    last = f"last crawl{failed} {_ago(now - history.last_closed)} ago"
    if due:
        return f"{last}; updated {label}"
    every = crawl_interval(history.update_frequency)
    if every is None and history.last_success is not None:
        return f"{last}; update frequency: never"
    wait = history.last_closed + (every or DEFAULT_INTERVAL) - now
    return f"{last}; next due in {_ago(wait)} ({label})"


def choose(
    histories: Iterable[History],
    now: datetime,
    names: list[str] | None,
    include_sandbox: bool,
    gone: dict[str, str] | None = None,
) -> list[Decision]:
    """Every publisher's decision; with ``names``, only those, all due. The sandbox's publishers only when
    ``include_sandbox`` (or named). A publisher in ``gone`` (its publication is gone: since when and why) is
    skipped unless named. Pure."""
    known = {history.name: history for history in histories}
    if names:
        return [
            Decision(name, True, "asked for", known[name].is_sandbox if name in known else name.startswith("sandbox_"))
            for name in dict.fromkeys(names)
        ]
    gone = gone or {}
    return [
        Decision(history.name, False, gone[history.name], history.is_sandbox, gone=True)
        if history.name in gone
        else decide(history, now)
        for history in known.values()
        if include_sandbox or not history.is_sandbox
    ]


def gone_publications(declared: list[dict[str, Any]]) -> dict[str, str]:
    """The spiders whose publication is gone, each with since when and why (from ``scrapy listpublishers``)."""
    return {
        row["name"]: f"unavailable since {row['unavailable_since']}: {row['unavailable_reason']}"
        for row in declared
        if not row["available"]
    }


def load_histories(conn: psycopg.Connection) -> list[History]:
    return [History(**row) for row in conn.execute(query("operate/update", "select_history")).fetchall()]


def database_now(conn: psycopg.Connection) -> datetime:
    """The database's clock: every machine that runs updates against it agrees on what is due."""
    return conn.execute(query("operate/update", "select_now")).fetchone()["now"]


@contextlib.contextmanager
def update_lock(conn: psycopg.Connection) -> Iterator[bool]:
    """Hold the update lock for the block; yields False (and holds nothing) when another run has it."""
    locked = conn.execute(query("operate/update", "try_lock")).fetchone()["locked"]
    try:
        yield locked
    finally:
        if locked and not conn.closed:
            conn.execute(query("operate/update", "unlock"))


def crawl_due(conn: psycopg.Connection, due: list[Decision]) -> list[Outcome]:
    """Run an incremental crawl of each due publisher, one after the other, in child processes (a failure is an
    outcome, and the others still run). Compiling is left to the caller, once for all of them."""
    from aggregator.operate.crawl_runner import run_spider, sandbox_url

    sandbox = sandbox_url() if any(d.is_sandbox for d in due) else contextlib.nullcontext(None)
    outcomes = []
    with sandbox as url:
        for decision in due:
            try:
                row = run_spider(conn, decision.name, incremental=True, sandbox=url if decision.is_sandbox else None)
            except AtlasError as error:
                outcomes.append(Outcome(decision.name, decision.reason, "error", detail=str(error)))
                continue
            outcomes.append(_crawl_outcome(decision, row))
    return outcomes


def _crawl_outcome(decision: Decision, row: dict[str, Any]) -> Outcome:
    stats = row["stats"] or {}
    reasons = "; ".join((row.get("acceptance") or {}).get("reasons", []))
    return Outcome(
        decision.name,
        decision.reason,
        row["status"],
        crawl=str(row["id"]),
        releases=stats.get("ocds_atlas/releases", 0),
        records=stats.get("ocds_atlas/records", 0),
        detail=reasons,
    )


def probe_due(
    conn: psycopg.Connection, out: Console, due: list[Decision], spiders: set[str]
) -> tuple[list[Decision], list[Outcome]]:
    """Probe the due publishers that are spiders (a registry publication is not), record each outcome in its
    health, and keep only those that answer as expected; the others are outcomes, not crawled. A probe that
    cannot run stops nothing: the crawls go ahead, and it is said."""
    names = [d.name for d in due if d.name in spiders]
    if not names:
        return due, []
    try:
        results = {r["spider"]: r for r in probing.probe(names)}
    except AtlasError as error:
        out.print(f"probe not made ({error}): crawling anyway", highlight=False)
        return due, []
    probing.record_probes(conn, list(results.values()))
    failing = {name for name, result in results.items() if probing.failed(result)}
    refused = [
        Outcome(d.name, d.reason, "endpoint failing", detail=probing.summary(results[d.name]))
        for d in due
        if d.name in failing
    ]
    return [d for d in due if d.name not in failing], refused


def schedule_due(conn: psycopg.Connection, due: list[Decision], nodes: list[str], project: str) -> list[Outcome]:
    """Schedule an incremental crawl of each due publisher on one of the Scrapyd ``nodes`` (the one with the fewest
    jobs pending or running), unless a node has a job of it pending or running already (an earlier update
    scheduled it). The crawl starts after the high-water mark known now."""
    from aggregator.operate.crawl_runner import incremental_start

    jobs = {node: scrapyd.active_jobs(node, project) for node in nodes}
    load = {node: len(spiders) for node, spiders in jobs.items()}
    busy = {spider for spiders in jobs.values() for spider in spiders}
    sandbox = os.environ.get("OCDS_ATLAS_SANDBOX_URL")
    outcomes = []
    for decision in due:
        if decision.name in busy:
            outcomes.append(Outcome(decision.name, decision.reason, "queued", detail="a job is pending or running"))
            continue
        if decision.is_sandbox and not sandbox:
            detail = "set OCDS_ATLAS_SANDBOX_URL to where the nodes reach the sandbox (`ocds-atlas sandbox`)"
            outcomes.append(Outcome(decision.name, decision.reason, "error", detail=detail))
            continue
        arguments = {"incremental": "true"}
        start = incremental_start(conn, decision.name)
        if start:
            arguments["from_date"] = start
        settings = {"OCDS_ATLAS_SANDBOX_URL": sandbox} if decision.is_sandbox and sandbox else None
        node = min(nodes, key=lambda n: load[n])
        try:
            job = scrapyd.schedule(node, decision.name, arguments, project=project, settings=settings)
        except AtlasError as error:
            outcomes.append(Outcome(decision.name, decision.reason, "error", detail=str(error)))
            continue
        load[node] += 1
        where = f" on {scrapyd.shown(node)}" if len(nodes) > 1 else ""
        detail = (f"from {start}" if start else "full crawl (no earlier complete crawl)") + where
        outcomes.append(Outcome(decision.name, decision.reason, "scheduled", crawl=f"job {job}", detail=detail))
    return outcomes


def outcomes_table(outcomes: list[Outcome]) -> Table:
    table = Table()
    for column in ("publisher", "why", "crawl", "status", "releases", "records", "detail"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        counts = ["" if n is None else str(n) for n in (o.releases, o.records)]
        table.add_row(*map(Text, (o.publisher, o.reason, o.crawl, o.status, *counts, o.detail)))  # never markup
    return table


def print_not_due(out: Console, decisions: list[Decision]) -> None:
    """One line for the publishers left alone, so that a cron log stays short; one for each whose publication is
    gone."""
    for decision in decisions:
        if decision.gone:
            out.print(f"skipped {decision.name}: {decision.reason} (name it to crawl it anyway)", highlight=False)
    waiting = [d for d in decisions if not d.due and not d.gone]
    if waiting:
        shown = ", ".join(f"{d.name}: {d.reason}" for d in waiting[:3])
        more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
        out.print(f"not due: {len(waiting)} publisher(s) ({shown}{more})", highlight=False)


def _ago(delta: timedelta) -> str:
    """A duration as people say it: ``3 d``, ``5 h``, ``12 min``."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds >= 86400:
        return f"{seconds // 86400} d"
    if seconds >= 3600:
        return f"{seconds // 3600} h"
    return f"{max(seconds // 60, 1)} min" if seconds >= 60 else f"{seconds} s"


def run_update(
    conn: psycopg.Connection,
    out: Console,
    names: list[str] | None = None,
    *,
    include_sandbox: bool = False,
    via_scrapyd: list[str] | None = None,
    project: str = scrapyd.PROJECT,
    probe_first: bool = True,
) -> list[Outcome]:
    """The whole update, under the lock; prints what it did. Failed crawls are an :class:`AtlasError` at the end,
    after the others ran and what they changed was compiled."""
    from aggregator.operate.pipeline import compile_with_progress

    with update_lock(conn) as locked:
        if not locked:
            out.print("another `ocds-atlas update` is running: nothing done", highlight=False)
            return []
        close_interrupted(conn)  # a crawl whose process died is not running: its publisher is due again
        declared = list_publishers(sandbox=True)
        gone = gone_publications(declared)
        decisions = choose(load_histories(conn), database_now(conn), names, include_sandbox, gone)
        due = [d for d in decisions if d.due]
        print_not_due(out, decisions)
        refused: list[Outcome] = []
        if probe_first and due:
            due, refused = probe_due(conn, out, due, {row["name"] for row in declared})
        outcomes = schedule_due(conn, due, via_scrapyd, project) if via_scrapyd else crawl_due(conn, due)
        outcomes = refused + outcomes
        if outcomes:
            out.print(outcomes_table(outcomes))
        if via_scrapyd and any(o.status == "scheduled" for o in outcomes):
            out.print(
                "not compiled here: each crawl compiles and normalizes what it touched when it closes on its node; "
                "`ocds-atlas compile` compiles whatever is still queued and refreshes the indicators",
                highlight=False,
            )
        elif not via_scrapyd:
            compile_with_progress(conn, None, full=False)
        failed = [o for o in outcomes if o.failed]
        counts = Counter(o.status for o in outcomes)
        said = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing was due"
        out.print(f"update: {said}", highlight=False)
    if failed:
        details = "; ".join(f"{o.publisher} ({o.detail or o.status})" for o in failed)
        raise AtlasError(f"{len(failed)} crawl(s) failed: {details}")
    return outcomes
