"""Computing indicators, red flags and quality checks in the database.

Incremental by default: each part takes the processes changed since it last ran (marked by triggers on ``process``)
and recomputes only what they touch: indicators by delta (:mod:`aggregator.compare.facts`), the red flags of the
publishers whose compiled releases or settings changed (Cardinal's fences are per publisher:
:mod:`aggregator.compare.red_flags`), and the quality of the changed processes' publishers. With ``full``,
everything. ``parts`` runs some of the three alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from aggregator.compare.facts import refresh_facts
from aggregator.compare.red_flags import refresh_red_flags
from aggregator.db import query

#: The parts of a refresh, each of which can run alone.
PARTS = ("indicators", "red_flags", "quality")


@dataclass
class RefreshSummary:
    full: bool
    groups: list[tuple[str, int]] = field(default_factory=list)
    values: int = 0
    flags: int = 0
    publishers: list[str] = field(default_factory=list)
    #: The publishers whose red flags were computed.
    flag_publishers: list[str] = field(default_factory=list)
    processes: int = 0


def refresh(conn: psycopg.Connection, full: bool = False, parts: Iterable[str] = PARTS) -> RefreshSummary:
    """Recompute what changed (or everything, with ``full``); each part in its own transaction."""
    parts = tuple(parts)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts: {', '.join(sorted(unknown))}")
    summary = RefreshSummary(full=full)
    if "indicators" in parts:
        with conn.transaction():
            facts = refresh_facts(conn, full)
        summary.groups, summary.values, summary.processes = facts.groups, facts.values, facts.processes
    if "red_flags" in parts:
        with conn.transaction():
            take_changed(conn, "red_flags", full)  # consumed: red flags follow compiled releases, per publisher
            flagged = refresh_red_flags(conn, full)
        summary.flags, summary.flag_publishers = flagged.flags, flagged.publishers
    if "quality" in parts:
        with conn.transaction():
            changed = take_changed(conn, "quality", full)
            rows = conn.execute(query("compare/quality", "select_changed_publishers")).fetchall()
            summary.publishers = [row["publisher"] for row in rows]
            if full or summary.publishers:
                refresh_quality(conn, None if full else summary.publishers)
            summary.processes = max(summary.processes, changed)
    return summary


def take_changed(conn: psycopg.Connection, part: str, full: bool) -> int:
    """Fill the temporary table ``changed`` with the processes changed since ``part`` last ran (all, with ``full``)."""
    conn.execute(query("compare/indicators", "create_changed_table"))
    if full:
        conn.execute(query("compare/indicators", "clear_dirty"), {"part": part})
        conn.execute(query("compare/indicators", "take_all"))
    else:
        conn.execute(query("compare/indicators", "take_dirty"), {"part": part})
    conn.execute(query("compare/indicators", "analyze_changed"))
    return conn.execute(query("compare/indicators", "count_changed")).fetchone()["n"]


def refresh_quality(conn: psycopg.Connection, publishers: list[str] | None) -> None:
    """Field coverage and consistency checks of these publishers (all, with None)."""
    params = {"publishers": publishers}
    conn.execute(query("compare/quality", "delete_coverage"), params)
    conn.execute(query("compare/quality", "delete_checks"), params)
    facts = (
        f"WITH base AS ({query('compare/quality', 'process_facts')}), "
        f"facts AS (SELECT f.*, ids.* FROM base f CROSS JOIN LATERAL ({query('compare/quality', 'party_ids')}) ids) "
    )
    conn.execute(facts + query("compare/quality", "insert_coverage"), params)
    conn.execute(facts + query("compare/quality", "insert_checks"), params)
