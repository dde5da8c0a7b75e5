"""Indicators by delta: after processes change, move group or go, the values equal those of a full refresh."""

from __future__ import annotations

from datetime import datetime

from tests.compare.test_indicators import year_2022, year_2023
from tests.indicator_fixtures import invoke, load, process

COLUMNS = "indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share"


def snapshot(conn) -> dict[tuple, tuple]:
    rows = conn.execute(f"SELECT {COLUMNS}, suppressed FROM indicator_value").fetchall()
    return {tuple(row[c] for c in list(row)[:6]): tuple(list(row.values())[6:]) for row in rows}


def assert_same(delta: dict, full: dict) -> None:
    """Exactly: sums are kept in numeric, and medians found by rank, so that deltas give the same floats."""
    assert delta.keys() == full.keys()
    for key, values in full.items():
        assert delta[key] == values, key


def test_delta_equals_full_refresh(atlas_env, conn, tmp_path):
    load(tmp_path, year_2023() + year_2022())
    changed = [
        # a later release: more tenderers, a new supplier, a year that moves the process to 2024
        process("xz-2023-00", "open", datetime(2024, 2, 1), 20, 2, (2, 900.0), 100.0),
        process("xz-2023-05", "selective", datetime(2023, 3, 1), 3, 1, (3, 50.0)),
        process("xz-2022-20", "direct", None, award=(1, 10.0)),
    ]
    for release in changed:
        release["id"] += "-later"
        release["date"] = "2024-06-01T00:00:00Z"
    load(tmp_path, changed)
    facts = conn.execute("SELECT count(*) AS n FROM indicator_fact").fetchone()["n"]
    assert facts == 85  # one row per counted process
    delta = snapshot(conn)
    assert ("processes", "country", "XZ", None, None, 2024) in delta
    invoke("indicators", "refresh", "--full")
    assert_same(delta, snapshot(conn))


def test_only_changed_processes_are_recomputed(atlas_env, conn, tmp_path):
    load(tmp_path, year_2023())
    before = conn.execute("SELECT count(*) AS n FROM compare_dirty").fetchone()["n"]
    assert before == 0  # every part took its changed processes
    invoke("indicators", "refresh", "--only", "indicators")
    output = invoke("indicators", "refresh")
    assert "0 changed processes" in output
