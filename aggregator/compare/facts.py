"""Indicators by delta: one row of facts per process, and each group's sums and counts kept up to date from them.

A refresh takes the processes changed since the last one (marked by triggers on ``process``, see migration 0024),
computes their facts (in scope, eligible, contribution and weight of each indicator are read from them by the
``expand_facts`` block), and adds the difference between their new and old facts to the sums and counts of every
group they leave or join. The processes of a buyer whose processes changed get their supplier concentration again.
Means, ratios, sums and counts then follow from the sums and counts; medians (and the median over buyers) are
recomputed from the facts, for the groups whose eligible members changed. All of it runs in the database, in the
caller's transaction: the client holds no process ids, whatever the data's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from aggregator.compare.catalogue import CATALOGUE, MAX_MISSING_SHARE
from aggregator.db import query

MEDIAN_METHODS = ("median", "median_over_buyers")


@dataclass
class FactsSummary:
    processes: int = 0
    groups: list[tuple[str, int]] = field(default_factory=list)
    values: int = 0


def indicators_query(name: str) -> str:
    """A block of compare/indicators, with the facts' expansion where it says ``{expand}``."""
    return query("compare/indicators", name).replace("{expand}", query("compare/indicators", "expand_facts"))


def catalogue_params() -> dict[str, object]:
    return {
        "ids": [item.id for item in CATALOGUE],
        "methods": [item.method for item in CATALOGUE],
        "min_samples": [item.min_sample for item in CATALOGUE],
        "max_missing": MAX_MISSING_SHARE,
        "median_ids": [item.id for item in CATALOGUE if item.method in MEDIAN_METHODS],
    }


def refresh_facts(conn: psycopg.Connection, full: bool) -> FactsSummary:
    """Bring facts and values up to date with the changed processes (all of them, with ``full``); in a transaction."""
    run = lambda name, params=None: conn.execute(indicators_query(name), params)  # noqa: E731
    summary = FactsSummary()
    run("create_work_tables")
    if full:
        run("clear_dirty", {"part": "indicators"})
        run("truncate_all")
        run("take_all")
    else:
        run("take_dirty", {"part": "indicators"})
    summary.processes = run("count_changed").fetchone()["n"]
    if not summary.processes:
        return summary
    run("analyze_work_tables")
    run("insert_new_facts")
    run("analyze_work_tables")
    run("insert_buyer_neighbours")
    run("update_buyer_facts")
    run("analyze_work_tables")
    run("delta_by_group")
    summary.values = run("apply_delta").rowcount
    run("analyze_delta")
    params = catalogue_params()
    run("update_values", params)
    run("delete_changed_facts")
    run("insert_changed_facts")
    run("update_medians", params)  # from the facts as they now are
    run("delete_empty_groups")
    summary.groups = [(row["country"], row["year"]) for row in run("select_touched_groups")]
    return summary
