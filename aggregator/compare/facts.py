"""Indicators by delta: one row of facts per process, and each group's sums and counts kept up to date from them.

A refresh takes the processes changed since the last one (marked by triggers on ``process``, see migration 0024),
computes their facts, and keeps the old and new facts of those whose facts changed (``signed_fact``). Everything
else follows from these alone:

- each group's sums and counts (in scope, eligible, contribution and weight of each indicator are read from the
  facts by the ``expand_facts`` block) get the signed facts' sums, at the three levels;
- supplier concentration: each buyer (in a country and year) keeps its processes' counts, its suppliers' values
  (``indicator_buyer_supplier``), their total and the sum of their squares, so that its HHI, squares / total², is
  updated from the changed (buyer, supplier) pairs alone; the groups get the changed buyers' old and new shares,
  and their median over buyers is taken again from the buyers' sums (a group's buyers, not its processes);
- medians of process values are kept by rank (migration 0031): from the member at the median's rank before, the
  new one is reached through a partial index in as many steps as members changed;
- means, ratios, sums and counts follow from the sums and counts.

A full refresh is the same road with no facts before (every fact signed 1, read in place): it writes one row of
facts per process. A refresh whose changed processes are at least a quarter of the facts (the first one after a
large load, when there are none yet) takes that road too (:data:`WHOLE_SHARE`): old and new facts of most processes
cost more than computing every fact again (273,000 processes changed, none before: 320 s of server CPU against 40
s). That road writes facts and values into emptied tables without their secondary indexes (made again after), reads
awards and contracts in process order, and sums the facts in a table made by CREATE TABLE AS, which PostgreSQL may
fill with parallel workers: 1M processes in 88 s, then 52 s, on 2 cores (``tests/bench/indicators_bench.py``).
All of it runs in the database, in the caller's transaction: the client holds no process ids, whatever the data's
size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from aggregator.compare.catalogue import CATALOGUE, MAX_MISSING_SHARE
from aggregator.compare.changes import analyze_when_grown
from aggregator.db import query

MEDIAN_INDICATORS = ("submission_period_days", "decision_period_days")
#: A refresh recomputes everything when the changed processes are at least this share of the facts.
WHOLE_SHARE = 0.25
LEVELS = ("country", "publisher", "buyer")


@dataclass
class FactsSummary:
    processes: int = 0
    groups: list[tuple[str, int]] = field(default_factory=list)
    values: int = 0
    whole: bool = False  # every fact computed again (asked for, or most processes changed)


def indicators_query(name: str) -> str:
    """A block of compare/indicators, with the facts' expansions where it says ``{expand}`` and ``{expand_buyer}``."""
    text = query("compare/indicators", name)
    return text.replace("{expand}", _block("expand_facts")).replace("{expand_buyer}", _block("expand_buyer"))


def _block(name: str) -> str:
    return query("compare/indicators", name)


def median_query(indicator: str, level: str) -> str:
    """The ``update_median`` block for one median indicator and level (each has its own partial index)."""
    return (
        _block("update_median")
        .replace("{indicator}", indicator)
        .replace("{level}", level)
        .replace("{value}", _block(f"median_value_{indicator}"))
        .replace("{eligible}", _block(f"median_eligible_{indicator}"))
        .replace("{group}", _block(f"median_group_{level}"))
    )


def facts_query(full: bool) -> str:
    """``insert_facts``: the changed processes' facts into ``new_fact``, or every process's into ``indicator_fact``."""
    target = "indicator_fact" if full else "new_fact"
    processes = query("compare/indicators", "all_processes" if full else "changed_processes")
    text = _block("insert_facts").replace("{target}", target).replace("{processes}", processes)
    for alias in ("w", "c"):
        text = text.replace(f"{{only:{alias}}}", "true" if full else _block("changed_only").replace("{alias}", alias))
    return text


def catalogue_params() -> dict[str, object]:
    return {
        "ids": [item.id for item in CATALOGUE],
        "methods": [item.method for item in CATALOGUE],
        "min_samples": [item.min_sample for item in CATALOGUE],
        "max_missing": MAX_MISSING_SHARE,
    }


def refresh_facts(conn: psycopg.Connection, full: bool) -> FactsSummary:
    """Bring facts and values up to date with the changed processes (all of them, with ``full``); in a transaction."""
    summary = FactsSummary()
    run = lambda name, params=None: conn.execute(indicators_query(name), params)  # noqa: E731
    run("refresh_settings")
    run("facts_settings")
    run("create_work_tables")
    full = full or run("mostly_changed", {"part": "indicators", "share": WHOLE_SHARE}).fetchone()["whole"]
    summary.whole = full
    if full:
        run("clear_dirty", {"part": "indicators"})
        run("truncate_all")
        # Every process, in the order of its id: awards and contracts aggregated as read through their indexes and
        # merged with the processes (1M processes: 7.5 s against 10.3 s by hashing them).
        with indexes_dropped(conn, "indicator_fact"), local_settings(conn, enable_hashjoin="off", enable_hashagg="off"):
            conn.execute(facts_query(full=True), {})
        run("analyze_facts")
        run("create_signed_view")
        summary.processes = run("count_facts").fetchone()["n"]
    else:
        run("take_dirty", {"part": "indicators"})
        summary.processes = run("count_changed").fetchone()["n"]
        if not summary.processes:
            run("drop_work_tables")
            return summary
        run("analyze_changed")
        conn.execute(facts_query(full=False), {})
        run("analyze_new_facts")
        run("create_signed_table")
        run("insert_signed")
        run("analyze_signed")
    apply_signed_facts(conn, summary, full)
    run("drop_signed_view" if full else "drop_signed_table")
    run("drop_work_tables")
    if not full:
        analyze_when_grown(conn, summary.processes, "indicator_fact", _block("analyze_grown"))
    return summary


def replace_changed_facts(conn: psycopg.Connection) -> None:
    """The signed processes' facts as they are now: updated in place where they had facts (so that a change to no
    indexed column touches no index), deleted where they have none now, inserted where they had none."""
    columns = [sql.Identifier(row["name"]) for row in conn.execute(_block("fact_columns"))]
    names = sql.SQL(", ").join(columns).as_string(conn)
    values = sql.SQL(", ").join(sql.SQL("n.{}").format(c) for c in columns).as_string(conn)
    conn.execute(_block("update_changed_facts").replace("{columns}", names).replace("{values}", values))
    conn.execute(_block("delete_changed_facts"))
    conn.execute(_block("insert_changed_facts"))


@contextmanager
def indexes_dropped(conn: psycopg.Connection, table: str) -> Iterator[None]:
    """Drop ``table``'s indexes that back no constraint, then make them again as they were (in the caller's
    transaction): rows written all at once, then indexed, cost far less than rows indexed as they are written."""
    found = conn.execute(_block("secondary_indexes"), {"table": table}).fetchall()
    for index in found:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index["schema"], index["name"])))
    yield
    for index in found:
        conn.execute(index["definition"])


@contextmanager
def local_settings(conn: psycopg.Connection, **values: str) -> Iterator[None]:
    """Planner settings for the statements run inside, then as they were (for the rest of the transaction)."""
    read, write = _block("read_setting"), _block("set_local_setting")
    before = {name: conn.execute(read, {"name": name}).fetchone()["value"] for name in values}
    for name, value in values.items():
        conn.execute(write, {"name": name, "value": value})
    yield
    for name, value in before.items():
        conn.execute(write, {"name": name, "value": value})


def apply_signed_facts(conn: psycopg.Connection, summary: FactsSummary, full: bool) -> None:
    """Add the signed facts to the groups' sums, the buyers' sums and the medians; replace the changed facts."""
    run = lambda name, params=None: conn.execute(indicators_query(name), params)  # noqa: E731
    conn.execute(
        indicators_query("delta_fine").replace("{expanded}", _block("expanded_all" if full else "expanded_changed"))
    )
    run("delta_by_group")
    run("select_changed_buyers")
    run("analyze_buyers")
    run("update_supplier_values")
    run("update_buyers")
    if full:
        run("analyze_buyer_sums")
    run("hhi_delta")
    run("analyze_delta")
    apply = (
        indicators_query("apply_delta")
        .replace("{values_before}", _block("values_none" if full else "values_before"))
        .replace("{upsert}", "" if full else _block("apply_upsert"))
    )
    with indexes_dropped(conn, "indicator_value") if full else nullcontext():
        summary.values = conn.execute(apply, catalogue_params()).fetchone()["n"]
    if full:
        run("analyze_values")
    medians = indicators_query("select_median_changes")
    medians = medians.replace("{groups}", "" if full else _block("median_groups"))
    conn.execute(medians.replace("{join}", _block("median_join_all" if full else "median_join_changed")))
    run("analyze_medians")
    if run("count_changed").fetchone()["n"]:
        replace_changed_facts(conn)
    for indicator in MEDIAN_INDICATORS:
        for level in LEVELS:
            conn.execute(median_query(indicator, level), {})
    run("clear_empty_medians")
    run("update_hhi_medians")
    run("delete_empty_groups")
    summary.groups = [(row["country"], row["year"]) for row in run("select_touched_groups")]
