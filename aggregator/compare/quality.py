"""Data quality by delta: field coverage and consistency checks per publisher, kept from each process's facts.

Each process's facts are two bit masks over the fields and checks (block ``quality_items``): which apply to it,
and which it has or passes (``quality_fact``). A refresh computes the masks of the processes changed since the
last one and adds their new masks less their old ones to the publisher's counts. A check's examples are its first
five failing OCIDs: kept from the examples before and the changed processes' failures, and read from the facts'
index (from the last example on) only when examples went and more processes fail than are known. A full refresh is
the same road with no facts before. Dates in the future are judged when a process is computed: a full refresh on
a later day may find fewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from aggregator.compare.changes import analyze_when_grown, clear_changed, drop_changed, take_changed
from aggregator.db import query


@dataclass
class QualitySummary:
    processes: int = 0
    publishers: list[str] = field(default_factory=list)


def quality_query(name: str) -> str:
    """A block of compare/quality, with the items where it says ``{items}``."""
    return query("compare/quality", name).replace("{items}", query("compare/quality", "quality_items"))


def facts_query(full: bool) -> str:
    """``insert_facts``: the changed processes' masks into ``quality_new``, or every process's into ``quality_fact``."""
    target = "quality_fact" if full else "quality_new"
    processes = query("compare/indicators", "all_processes" if full else "changed_processes")
    facts = query("compare/quality", "process_facts").replace("{processes}", processes)
    return (
        quality_query("insert_facts")
        .replace("{target}", target)
        .replace("{facts}", facts)
        .replace("{party_ids}", query("compare/quality", "party_ids"))
        .replace("{expand}", query("compare/quality", "expand_quality"))
    )


def refresh_quality(conn: psycopg.Connection, full: bool) -> QualitySummary:
    """Bring field coverage and checks up to date with the changed processes (all, with ``full``); in a
    transaction."""
    summary = QualitySummary()
    run = lambda name, params=None: conn.execute(quality_query(name), params)  # noqa: E731
    conn.execute(query("compare/indicators", "refresh_settings"))
    run("create_work_tables")
    if full:
        clear_changed(conn, "quality")
        run("truncate_all")
        conn.execute(facts_query(full=True), {})
        run("create_signed_view")
        summary.processes = run("count_facts").fetchone()["n"]
    else:
        summary.processes = take_changed(conn, "quality", full=False)
        if not summary.processes:
            run("drop_work_tables")
            drop_changed(conn)
            return summary
        conn.execute(facts_query(full=False), {})
        run("analyze_new")
        run("create_signed_table")
        run("insert_signed")
        run("analyze_signed")
    run("select_delta")
    run("select_check_changes")
    run("analyze_delta")
    run("apply_coverage")
    run("apply_checks")
    if not full:
        run("delete_changed_facts")
        run("insert_changed_facts")
    run("update_examples")
    run("delete_empty")
    summary.publishers = [row["publisher"] for row in run("select_publishers")]
    run("drop_signed_view" if full else "drop_signed_table")
    run("drop_work_tables")
    if not full:
        drop_changed(conn)
        analyze_when_grown(conn, summary.processes, "quality_fact", quality_query("analyze_grown"))
    return summary
