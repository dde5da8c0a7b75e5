"""Red-flag rates, read from whatever red-flag table the database has: the one place to change when it changes.

:func:`read_flag_counts` gives, per publisher and year (a process's year as the indicators count it: its tender
period's start, else its release date), how many processes each flag was raised on, and how many processes there
are (n). Processes published by two routes count once (``is_primary``). Rates for a country or a level are sums of
its publishers' counts (counts add up, unlike most indicators).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from aggregator.db import query


@dataclass(frozen=True)
class FlagCounts:
    flagged: dict[tuple[str, int, str], int]  # (publisher, year, flag) -> processes flagged
    processes: dict[tuple[str, int], int]  # (publisher, year) -> processes (n)

    @property
    def flags(self) -> list[str]:
        return sorted({flag for _, _, flag in self.flagged})

    def rate(self, publishers: Iterable[str], year: int, flag: str) -> tuple[int, int]:
        """(processes flagged, n) for these publishers in that year."""
        names = list(publishers)
        n = sum(self.processes.get((p, year), 0) for p in names)
        return sum(self.flagged.get((p, year, flag), 0) for p in names), n


def read_flag_counts(conn: psycopg.Connection) -> FlagCounts:
    """The red flags raised on processes (table ``red_flag``, Cardinal's, migration 0015), per publisher, year and
    code; nothing when the table is absent."""
    if not conn.execute(query("publish/report", "select_red_flag_table")).fetchone()["present"]:
        return FlagCounts({}, {})
    flagged = {
        (r["publisher"], r["year"], r["flag"]): r["flagged"]
        for r in conn.execute(query("publish/report", "select_red_flag_counts"))
    }
    processes = {
        (r["publisher"], r["year"]): r["n"] for r in conn.execute(query("publish/report", "select_year_counts"))
    }
    return FlagCounts(flagged, processes)
