"""The processes changed since a part of the refresh last ran: marked by triggers on ``process`` (and on
``publisher``) in ``compare_dirty``, one list per part, taken off it in the part's transaction."""

from __future__ import annotations

import psycopg

from aggregator.db import query


def take_changed(conn: psycopg.Connection, part: str, full: bool) -> int:
    """Fill the temporary table ``changed`` with the processes changed since ``part`` last ran (all, with ``full``);
    return how many. Drop it with :func:`drop_changed` (it goes at commit anyway)."""
    conn.execute(query("compare/indicators", "create_changed_table"))
    if full:
        conn.execute(query("compare/indicators", "clear_dirty"), {"part": part})
        conn.execute(query("compare/indicators", "take_all"))
    else:
        conn.execute(query("compare/indicators", "take_dirty"), {"part": part})
    conn.execute(query("compare/indicators", "analyze_changed"))
    return conn.execute(query("compare/indicators", "count_changed")).fetchone()["n"]


def clear_changed(conn: psycopg.Connection, part: str) -> None:
    """Forget the processes marked for ``part``: a full refresh reads them all."""
    conn.execute(query("compare/indicators", "clear_dirty"), {"part": part})


def drop_changed(conn: psycopg.Connection) -> None:
    conn.execute(query("compare/indicators", "drop_changed_table"))


def analyze_when_grown(conn: psycopg.Connection, changed: int, facts: str, analyze: str) -> None:
    """Run ``analyze`` (an ANALYZE of the part's tables) when ``changed`` rows of ``facts`` pass autovacuum's
    threshold for analysing it (10 % of its rows, and 50): a first refresh by the changed processes' road fills
    the tables, and the next refresh, planned without statistics, would scan them whole. Done here, in the refresh
    that changed them, rather than by autovacuum at some later moment (in some later command's time)."""
    rows = conn.execute(query("compare/indicators", "select_reltuples"), {"table": facts}).fetchone()["n"]
    if changed > 0.1 * max(rows, 0) + 50:
        conn.execute(analyze)
