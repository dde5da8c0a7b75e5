"""Indicators: hand-built processes whose answers are known, explain, and the sandbox's country-year values."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from aggregator.compare.catalogue import CATALOGUE, methodology_markdown
from tests.indicator_fixtures import COUNTRY, PUBLISHER, invoke, load, process

START = datetime(2023, 3, 1)


def year_2023() -> list[dict]:
    """30 open processes (10 with one tenderer, 6 with a 10-day period, 3 contracts raised by 30 %) and 10 direct
    awards, all from one buyer: supplier 0 wins 30 awards of 100 USD, supplier 1 10 of 300 USD."""
    releases = []
    for n in range(30):
        releases.append(
            process(
                f"xz-2023-{n:02}",
                "open",
                START,
                10 if n < 6 else 20,
                1 if n < 10 else 3,
                (0, 100.0),
                130.0 if n < 3 else 100.0,
            )
        )
    for n in range(10):
        releases.append(process(f"xz-2023-d{n:02}", "direct", None, award=(1, 300.0)))
    return releases


def year_2022() -> list[dict]:
    """45 open processes, 14 of them without a number of tenderers: more than 30 % missing."""
    return [
        process(f"xz-2022-{n:02}", "open", datetime(2022, 4, 1), 20, None if n < 14 else 2, (0, 50.0))
        for n in range(45)
    ]


@pytest.fixture
def handbuilt(atlas_env, conn, tmp_path):
    load(tmp_path, year_2023() + year_2022() + [process("xz-2021-00", "open", datetime(2021, 6, 1), 20, 1)])
    return conn


def values(conn, level: str = "country") -> dict[tuple[str, int], dict]:
    rows = conn.execute("SELECT * FROM indicator_value WHERE level = %s", (level,)).fetchall()
    return {(row["indicator"], row["year"]): row for row in rows}


def test_each_indicator_on_known_processes(handbuilt):
    got = values(handbuilt)
    expected = {
        "processes": 40,
        "single_bid_share": 1 / 3,
        "non_open_share": 0.25,
        "non_open_value_share": 0.5,
        "direct_award_share": 0.25,
        "direct_award_value_share": 0.5,
        "submission_period_days": 20,
        "short_submission_share": 0.2,
        "decision_period_days": 5,
        "awards_per_process": 1,
        "tenderers_mean": 70 / 30,
        "supplier_concentration_hhi": 0.5,
        "contract_value_increase_share": 0.1,
        "missing_supplier_id_share": 0,
        "missing_value_share": 0,
        "value_usd_total": 6000,
    }
    assert set(expected) == {item.id for item in CATALOGUE}
    for indicator, value in expected.items():
        row = got[(indicator, 2023)]
        assert row["value"] == pytest.approx(value), indicator
        assert not row["suppressed"], indicator
        assert row["n_total"] == 40
    assert got[("single_bid_share", 2023)]["n_eligible"] == 30
    assert got[("direct_award_share", 2023)]["n_eligible"] == 40
    assert got[("decision_period_days", 2023)]["missing_share"] == 0


def test_suppressed_when_missing_or_thin(handbuilt):
    got = values(handbuilt)
    missing = got[("single_bid_share", 2022)]
    assert (missing["n_eligible"], missing["n_total"]) == (31, 45)
    assert missing["missing_share"] == pytest.approx(14 / 45)
    assert missing["suppressed"] and missing["value"] == 0
    thin = got[("single_bid_share", 2021)]
    assert (thin["n_eligible"], thin["value"], thin["suppressed"]) == (1, 1, True)
    assert got[("processes", 2021)]["suppressed"] is False  # its minimum sample is 1


def test_levels_and_cli_formats(handbuilt):
    publisher = values(handbuilt, "publisher")[("single_bid_share", 2023)]
    assert (publisher["publisher"], publisher["value"]) == (PUBLISHER, pytest.approx(1 / 3))
    buyers = values(handbuilt, "buyer")
    assert buyers[("supplier_concentration_hhi", 2023)]["buyer_org_key"] == "GB-COH-00000001"
    rows = json.loads(invoke("indicators", "--country", COUNTRY.lower(), "--year", "2023", "--format", "json"))
    assert {row["indicator"] for row in rows} == {item.id for item in CATALOGUE}
    csv = invoke("indicators", "--by", "publisher", "--format", "csv")
    assert csv.splitlines()[0].startswith("indicator,country,year,publisher,value")


def test_explain_lists_the_processes_counted(handbuilt):
    rows = json.loads(
        invoke("indicators", "explain", "single_bid_share", "--country", COUNTRY, "--year", "2023", "--format", "json")
    )
    assert len(rows) == 40
    eligible = {row["ocid"]: row["contribution"] for row in rows if row["eligible"]}
    assert set(eligible) == {f"xz-2023-{n:02}" for n in range(30)}
    assert sum(eligible.values()) == 10
    assert {row["ocid"] for row in rows if not row["eligible"]} == {f"xz-2023-d{n:02}" for n in range(10)}
    # Supplier concentration: the buyer's HHI (kept per buyer, not per process); one process weighs 1 for the buyer.
    rows = json.loads(
        invoke(
            "indicators",
            "explain",
            "supplier_concentration_hhi",
            "--country",
            COUNTRY,
            "--year",
            "2023",
            "--format",
            "json",
        )
    )
    assert len(rows) == 40 and all(row["eligible"] and row["in_scope"] for row in rows)
    assert all(row["contribution"] == pytest.approx(0.5) for row in rows)
    assert sorted(row["weight"] for row in rows) == [0.0] * 39 + [1.0]


def test_refresh_is_incremental(handbuilt, tmp_path):
    before = handbuilt.execute("SELECT year, computed_at FROM indicator_value WHERE level = 'country'").fetchall()
    load(tmp_path, [process("xz-2021-01", "open", datetime(2021, 7, 1), 20, 2)], publisher="handbuilt2")
    after = {r["year"]: r["computed_at"] for r in handbuilt.execute("SELECT year, computed_at FROM indicator_value")}
    times = {r["year"]: r["computed_at"] for r in before}
    assert after[2023] == times[2023] and after[2021] > times[2021]
    assert values(handbuilt)[("processes", 2021)]["value"] == 2
    invoke("indicators", "refresh", "--full")
    assert values(handbuilt)[("processes", 2023)]["computed_at"] > times[2023]


def test_unknown_indicator_is_one_line(atlas_env):
    from aggregator.cli.main import app
    from tests.indicator_fixtures import runner

    result = runner.invoke(app, ["indicators", "explain", "nope", "--country", "XZ", "--year", "2023"])
    assert result.exit_code == 1 and "unknown indicator" in result.output


def test_methodology_page_lists_every_indicator():
    page = methodology_markdown()
    assert all(f"(`{item.id}`)" in page for item in CATALOGUE)


def test_sandbox_country_year_indicators(atlas_env, conn):
    invoke("crawl", "sandbox_xa")
    rows = conn.execute("SELECT * FROM indicator_value WHERE level = 'country' AND country = 'XA'").fetchall()
    assert {row["indicator"] for row in rows} == {item.id for item in CATALOGUE}
    assert not all(row["suppressed"] for row in rows)
    shares = [row for row in rows if row["indicator"] == "single_bid_share" and not row["suppressed"]]
    assert shares and all(0 < row["value"] < 1 for row in shares)
