"""The settings parser, Cardinal's arithmetic and the edge cases the fixtures leave out."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from aggregator.compare.redflags import Row, Settings, parse_settings, prepare, read_settings, run
from aggregator.compare.redflags.common import mul_add, quantile, round4, split_pipes
from aggregator.compare.redflags.prepare import swap_remove
from aggregator.compare.redflags.settings import CODES, SettingsError
from aggregator.compare.redflags.timestamps import parse_rfc3339, whole_days

SETTINGS = """
currency = USD
no_price_comparison_procurement_methods = "Random Selection"

[output]
info_currency_mismatches = true

[defaults]
party_roles = yes

[codelists.award_status]
Active = active  ; a comment after whitespace

[R003.procurement_method_details]
emergency = 10

[R025]
percentile = 80
threshold = 0.05

# [R030]
[R038]
minimum_submitted_bids = 3
"""


def test_parse_settings() -> None:
    settings = parse_settings(SETTINGS)

    assert settings.currency == "USD"
    assert settings.no_price_comparison_procurement_methods == "Random Selection"
    assert settings.info_currency_mismatches is True
    assert settings.defaults.party_roles is True
    assert settings.codelists == {"award_status": {"Active": "active"}}
    # A dotted section enables its parent; a commented section enables nothing.
    assert list(settings.indicators) == ["R003", "R025", "R038"]
    assert settings.indicator("R003", "procurement_method_details") == {"emergency": 10}
    assert settings.indicator("R003", "threshold") == 15
    assert settings.indicator("R025", "percentile") == 80
    assert settings.indicator("R025", "threshold") == 0.05
    assert settings.indicator("R038", "minimum_submitted_bids") == 3
    assert settings.indicator("R038", "minimum_contracting_processes") == 2


def test_all_indicators_take_defaults() -> None:
    settings = Settings.all_indicators()

    assert len(settings.indicators) == 11
    assert settings.indicator("R018", "procurement_methods") == "open|selective"
    assert settings.indicator("R048", "minimum_contracting_processes") == 20
    assert settings.indicator("R058", "threshold") is None


@pytest.mark.parametrize(
    "text",
    [
        "[R999]",
        "[R003]\nthreshhold = 10",
        "[R003]\nthreshold = ten",
        "[R035]\nthreshold = -1",
        "[R003.procurement_method_details]\nemergency = 1.5",
        "[defaults]\nparty_roles = maybe",
        "[R003",
        "[R003]\nthreshold",
    ],
)
def test_parse_settings_refuses(text: str) -> None:
    with pytest.raises(SettingsError):
        parse_settings(text)


def test_split_pipes_drops_one_trailing_empty_part() -> None:
    assert split_pipes(None) == frozenset()
    assert split_pipes("") == frozenset()
    assert split_pipes("a|b|") == {"a", "b"}
    assert split_pipes("a||") == {"a", ""}
    assert split_pipes(None, "open|selective") == {"open", "selective"}


def test_quantile_is_statrs() -> None:
    data = [-1.0, 5.0, 0.0, -3.0, 10.0, -0.5, 4.0, 0.2, 1.0, 6.0]

    assert quantile(data, 0.0) == -3.0
    assert quantile(data, 1.0) == 10.0
    assert quantile(data, 0.7) == 137.0 / 30.0
    assert quantile(data, 0.01) == -3.0
    assert quantile(data, 0.99) == 10.0
    assert quantile(data, 0.5) == pytest.approx(0.6, abs=1e-15)
    assert math.isnan(quantile([], 0.25))
    assert math.isnan(quantile(data, 1.5))


def test_mul_add_rounds_once() -> None:
    assert 0.1 * 10.0 - 1.0 == 0.0
    assert mul_add(0.1, 10.0, -1.0) == 5.551115123125783e-17


def test_round4_rounds_half_away_from_zero() -> None:
    assert round4(0.00025) == 0.0003
    assert round4(-0.00025) == -0.0003
    assert round4(66.666666) == 66.6667
    assert round4(math.nan) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01t00:00:01.5z", 1_500_000_000),
        ("1970-01-01 01:00:00+01:00", 0),
        ("1970-01-01T00:00:00.1234567891-00:01", 60_123_456_789),
        ("1970-01-01", None),
        ("1970-01-01T00:00:00", None),
        ("1970-02-30T00:00:00Z", None),
        ("1970-01-01T24:00:00Z", None),
        ("1970-01-01T00:00:00+0100", None),
    ],
)
def test_parse_rfc3339(text: str, expected: int | None) -> None:
    assert parse_rfc3339(text) == expected


def test_whole_days_truncate_toward_zero() -> None:
    day = 86_400 * 10**9
    assert whole_days(0, 15 * day - 1) == 14
    assert whole_days(15 * day - 1, 0) == -14


def process(ocid: Any, **fields: Any) -> dict[str, Any]:
    return {"ocid": ocid, "tender": {"tenderPeriod": {"startDate": "2020-01-01T00:00:00Z"}, **fields}}


def short_period(ocid: Any, **fields: Any) -> dict[str, Any]:
    release = process(ocid, **fields)
    release["tender"]["tenderPeriod"]["endDate"] = "2020-01-15T23:59:59Z"
    return release


def test_global_exclusions() -> None:
    settings = Settings(exclude_procurement_method_details="EXC", indicators={"R003": {}})
    releases = [
        short_period("kept"),
        short_period(1),
        short_period("cancelled", status="cancelled"),
        short_period("excluded", procurementMethodDetails="EXC"),
        "not an object",
    ]

    assert run(releases, settings).results == {"OCID": {"kept": {"R003": 1.0}}}


def bid_process(ocid: str, currency: str, winner: float, other: float) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "awards": [{"status": "active", "suppliers": [{"id": "W"}]}],
        "bids": {
            "details": [
                {"status": "valid", "tenderers": [{"id": "W"}], "value": {"amount": winner, "currency": currency}},
                {"status": "valid", "tenderers": [{"id": "L"}], "value": {"amount": other, "currency": currency}},
            ]
        },
    }


def test_main_currency_is_the_first_observed_or_the_setting() -> None:
    releases = [bid_process("A", "EUR", 10, 20), bid_process("B", "USD", 10, 11)]
    settings = Settings(indicators={"R058": {"threshold": 0.05}})

    assert run(releases, settings).results["OCID"] == {"A": {"R058": 1.0}}
    assert run(releases, Settings(currency="USD", indicators=settings.indicators)).results["OCID"] == {
        "B": {"R058": pytest.approx(0.1)}
    }


def test_a_winning_bid_of_zero_does_not_raise() -> None:
    result = run([bid_process("A", "USD", 0, 5)], Settings(indicators={"R058": {}, "R024": {}}))

    assert result.results == {}
    assert result.to_json()["Meta"]["R058"] == {"q1": None, "q3": None, "upper_fence": None}


def test_rows_and_maps() -> None:
    release = bid_process("A", "USD", 10, 20)
    settings = Settings(indicators={"R058": {"threshold": 0.5}, "R038": {}})

    result = run([release], settings, map=True)

    assert list(result.rows()) == [Row("process", "A", None, "R058", 1.0), Row("party", "W", "tenderer", "R058", 0.0)]
    assert result.to_json()["Maps"]["ocid_tenderer_r058"] == {"A": ["W"]}
    assert result.to_json()["Maps"]["ocid_tenderer"] == {"A": ["L", "W"]}


def test_swap_remove_moves_the_last_key() -> None:
    mapping = {"a": 1, "b": 2, "c": 3}
    swap_remove(mapping, "a")
    assert list(mapping.items()) == [("c", 3), ("b", 2)]


def test_prepare_leaves_its_input_alone() -> None:
    release = {"ocid": "A", "buyer": {"id": 1}, "bids": {"details": [None, {"value": {"amount": 0}}]}}
    settings = parse_settings(
        "[defaults]\nbid_status = valid\n[modifications]\nprefix_buyer_or_procuring_entity_id = X-"
    )

    prepared, issues = prepare(release, settings, line=7)

    assert release["buyer"] == {"id": 1}
    assert prepared["buyer"] == {"id": "X-1"}
    assert prepared["bids"]["details"] == [{"status": "valid"}, {"value": {"amount": 0}, "status": "valid"}]
    assert [(issue.line, issue.path, issue.indexes, issue.description) for issue in issues] == [
        (7, "/bids/details[]/value/amount", 1, "is zero"),
        (7, "/bids/details[]/value/currency", 1, "not set"),
    ]


def test_settings_files_parse_and_are_found(tmp_path: Path) -> None:
    from aggregator.compare.redflags.files import DATA, DEFAULT, publisher_settings

    for path in DATA.glob("*.ini"):
        assert tuple(read_settings(path).indicators) == CODES, path.name
    assert publisher_settings("armenia_armeps").path.name == "armenia_armeps.ini"
    assert publisher_settings("ukraine_prozorro_api_records").path.name == "ukraine_prozorro.ini"
    assert publisher_settings("uk_contracts_finder_releases").path == DEFAULT
    (tmp_path / "armenia_armeps.ini").write_text("[R003]\nthreshold = ten\n")
    with pytest.raises(SettingsError, match=r"armenia_armeps.ini: \[R003\] threshold"):
        publisher_settings("armenia_armeps", tmp_path)


def test_readme_defines_every_red_flag() -> None:
    from aggregator.compare.redflags.catalogue import CATALOGUE

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for flag in CATALOGUE:
        assert f"| {flag.code} | {flag.name} | {', '.join(flag.levels)} | {flag.definition} |" in readme
