"""Computing indicators, red flags and quality checks in the database.

Incremental by default: each part takes the processes changed since it last ran (marked by triggers on ``process``)
and recomputes only what they touch: indicators (:mod:`aggregator.compare.facts`) and quality
(:mod:`aggregator.compare.quality`) by delta, from the changed processes' old and new facts; the red flags of the
publishers whose compiled releases or settings changed (Cardinal's fences are per publisher:
:mod:`aggregator.compare.red_flags`). With ``full``, everything. ``parts`` runs some of the three alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from aggregator.compare.facts import refresh_facts
from aggregator.compare.quality import refresh_quality
from aggregator.compare.red_flags import refresh_red_flags

#: The parts of a refresh, each of which can run alone.
PARTS = ("indicators", "red_flags", "quality")


@dataclass
class RefreshSummary:
    full: bool
    groups: list[tuple[str, int]] = field(default_factory=list)
    values: int = 0
    flags: int = 0
    #: The publishers whose quality changed.
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
            flagged = refresh_red_flags(conn, full)
        summary.flags, summary.flag_publishers = flagged.flags, flagged.publishers
    if "quality" in parts:
        with conn.transaction():
            quality = refresh_quality(conn, full)
        summary.publishers = quality.publishers
        summary.processes = max(summary.processes, quality.processes)
    return summary
