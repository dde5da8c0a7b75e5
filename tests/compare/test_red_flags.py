"""Red flags on hand-built bids (the bids extension's bids.details in the compiled release)."""

from __future__ import annotations

import json
from datetime import datetime

from tests.indicator_fixtures import invoke, load, process

START = datetime(2023, 3, 1)


def flags(conn) -> dict[str, dict[str, dict]]:
    rows = conn.execute(
        "SELECT p.ocid, f.flag, f.details FROM red_flag f JOIN process p ON p.id = f.process_id"
    ).fetchall()
    result: dict[str, dict[str, dict]] = {}
    for row in rows:
        result.setdefault(row["ocid"], {})[row["flag"]] = row["details"]
    return result


def test_red_flags_on_hand_built_bids(atlas_env, conn, tmp_path):
    load(
        tmp_path,
        [
            # R003 (10 days, open) and R018 (one tenderer).
            process("rf-short-single", "open", START, 10, 1, (0, 100.0), bids=[(0, 100.0, "valid")]),
            # R024: the second-lowest bid is 0.5 % above the winning one.
            process("rf-close", "open", START, 20, 2, (0, 100.0), bids=[(0, 100.0, "valid"), (1, 100.5, "valid")]),
            # R028: two tenderers bid the same price (and so R024 too).
            process(
                "rf-identical",
                "open",
                START,
                20,
                3,
                (0, 200.0),
                bids=[(0, 200.0, "valid"), (1, 200.0, "valid"), (2, 260.0, "valid")],
            ),
            # R036: the lowest bid was disqualified; the award went to the next.
            process(
                "rf-disqualified",
                "open",
                START,
                20,
                2,
                (1, 100.0),
                bids=[(0, 90.0, "disqualified"), (1, 100.0, "valid")],
            ),
            # Nothing: a 20-day period, two bids far apart, the lowest wins.
            process("rf-clean", "open", START, 20, 2, (0, 100.0), bids=[(0, 100.0, "valid"), (1, 150.0, "valid")]),
            # A direct award with one tenderer is not R018; a selective 12-day period is not R003.
            process("rf-direct", "direct", START, 5, 1, (0, 100.0)),
            process("rf-selective", "selective", START, 12, 2, (0, 100.0)),
        ],
    )
    got = flags(conn)
    assert set(got["rf-short-single"]) == {"R003", "R018"}
    assert got["rf-short-single"]["R003"]["tender_days"] == 10
    assert set(got["rf-close"]) == {"R024"}
    assert got["rf-close"]["R024"]["second_bid"] == "rf-close-b2"
    assert set(got["rf-identical"]) == {"R024", "R028"}
    assert got["rf-identical"]["R028"]["prices"][0]["bids"] == ["rf-identical-b1", "rf-identical-b2"]
    assert set(got["rf-disqualified"]) == {"R036"}
    assert got["rf-disqualified"]["R036"]["lowest_bid"] == "rf-disqualified-b1"
    assert "rf-clean" not in got and "rf-direct" not in got and "rf-selective" not in got

    counts = json.loads(invoke("red-flags", "--country", "xz", "--format", "json"))
    assert {(row["flag"], row["processes"]) for row in counts} == {
        ("R003", 1),
        ("R018", 1),
        ("R024", 2),
        ("R028", 1),
        ("R036", 1),
    }
    assert all(row["of_processes"] == 7 and row["year"] == 2023 for row in counts)
    assert json.loads(invoke("indicators", "--flags", "--format", "json")) == counts
