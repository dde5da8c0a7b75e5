"""Computing indicators, red flags and quality checks in the database.

Incremental by default: the (country, year) groups of the processes normalized since the indicators were last
computed are recomputed whole (with the quality of their publishers); with ``full``, everything. A process whose
year changed leaves its old group as it was until ``--full``. Red flags are computed per publisher, for those whose
compiled releases or settings changed (:mod:`aggregator.compare.red_flags`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from aggregator.compare.catalogue import CATALOGUE, MAX_MISSING_SHARE
from aggregator.compare.red_flags import refresh_red_flags
from aggregator.db import query


@dataclass
class RefreshSummary:
    full: bool
    groups: list[tuple[str, int]] = field(default_factory=list)
    values: int = 0
    flags: int = 0
    publishers: list[str] = field(default_factory=list)
    #: The publishers whose red flags were computed.
    flag_publishers: list[str] = field(default_factory=list)


def touched_groups(conn: psycopg.Connection) -> list[tuple[str, int]] | None:
    """The groups to recompute, or None when nothing was ever computed (then everything is)."""
    since = conn.execute(query("compare/indicators", "select_watermark")).fetchone()["v"]
    if since is None:
        return None
    rows = conn.execute(query("compare/indicators", "select_touched_groups"), {"since": since}).fetchall()
    return [(row["country"], row["year"]) for row in rows]


def group_params(groups: list[tuple[str, int]] | None) -> dict[str, object]:
    groups = groups or []
    return {
        "full": False,
        "countries": [country for country, _ in groups],
        "years": [year for _, year in groups],
    }


def refresh(
    conn: psycopg.Connection, full: bool = False, groups: list[tuple[str, int]] | None = None
) -> RefreshSummary:
    """Recompute what changed (or everything, with ``full``; or these ``groups``): red flags in one transaction,
    the rest in another."""
    with conn.transaction():
        flagged = refresh_red_flags(conn, full)
    if groups is None:
        groups = None if full else touched_groups(conn)
    full = groups is None
    summary = RefreshSummary(full=full, groups=groups or [], flags=flagged.flags)
    summary.flag_publishers = flagged.publishers
    if not full and not groups:
        return summary
    params = group_params(groups) | {"full": full}
    with conn.transaction():
        processes = conn.execute(query("compare/indicators", "select_group_processes"), params).fetchall()
        conn.execute(query("compare/indicators", "delete_values"), params)
        conn.execute(query("compare/indicators", "delete_processes"), params)
        conn.execute(query("compare/indicators", "insert_processes"), params)
        catalogue = {
            "ids": [item.id for item in CATALOGUE],
            "methods": [item.method for item in CATALOGUE],
            "min_samples": [item.min_sample for item in CATALOGUE],
            "max_missing": MAX_MISSING_SHARE,
        }
        summary.values = conn.execute(query("compare/indicators", "insert_values"), params | catalogue).rowcount
        summary.publishers = sorted({row["publisher"] for row in processes})
        refresh_quality(conn, None if full else summary.publishers)
    return summary


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
