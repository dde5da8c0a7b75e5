"""PeriodicSpider's spans of time (half-open N-hour and N-day windows), Buddhist-era years and variants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crawler.spiders.periodic import time_windows, window_label, window_url
from tests.crawl.test_base_spiders import PeriodicExampleSpider, notes, ocids, package, queries
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request


class EightHourExampleSpider(PeriodicExampleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_eight_hour_example"
    period = timedelta(hours=8)
    date_format = "%Y-%m-%dT%H:%M:%SZ"


class DailyExampleSpider(EightHourExampleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_daily_example"
    period = timedelta(days=1)


class VariantsExampleSpider(PeriodicExampleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_variants_example"
    url_template = "overridden by the test, with {notice_type}"
    year_offset = 543
    url_variants = {"notice_type": (1, 2)}  # noqa: RUF012 (a declaration, never mutated)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_time_windows_end_where_the_next_starts_and_the_last_is_cut():
    windows = list(time_windows(utc("2024-01-01T00:00"), utc("2024-01-01T14:00"), timedelta(hours=6)))
    assert [(f"{a:%H}", f"{b:%H}") for a, b in windows] == [("00", "06"), ("06", "12"), ("12", "14")]
    assert list(time_windows(utc("2024-01-02T00:00"), utc("2024-01-01T00:00"), timedelta(days=1))) == []


def test_window_url_formats_date_times_years_of_another_era_and_variants():
    window = (utc("2024-05-01T06:00"), utc("2024-05-01T12:00"))
    template = "{sandbox}/{year}?from={start}&to={end}&type={notice_type}"
    url = window_url(template, window, "%Y-%m-%dT%H:%M:%SZ", 543, {"notice_type": 7})
    assert url == "{sandbox}/2567?from=2024-05-01T06:00:00Z&to=2024-05-01T12:00:00Z&type=7"
    assert window_label(window, timedelta(hours=6)) == "2024-05-01T06:00:00Z to 2024-05-01T12:00:00Z"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"period": timedelta(0)}, "positive timedelta"),
        ({"year_offset": "543"}, "year_offset"),
        ({"url_variants": {"type": []}}, "url_variants"),
        ({"url_variants": {"type": ()}}, "url_variants"),
    ],
)
def test_new_periodic_declarations_are_checked(attributes, message):
    with pytest.raises(TypeError, match=message):
        type("BadSpider", (PeriodicExampleSpider,), attributes)


def window_package(request: Request) -> Reply:
    start = request.query["from"][0]
    return Reply.json(package(f"{start}_{request.query.get('type', ['x'])[0]}", day=start[:10]))


def test_a_timedelta_period_requests_half_open_windows_up_to_midnight_after_until_date(atlas_env, conn):
    with LocalServer() as server:
        server.route("/releases", window_package)
        stats = run_spider(
            "tests.crawl.test_periodic_windows:EightHourExampleSpider",
            {"url_template": server.url + "/releases?from={start}&to={end}"},
            from_date="2024-01-01",
            until_date="2024-01-01",
        )
    assert stats["finish_reason"] == "finished"
    assert queries(server, "from", "to") == [
        ("2024-01-01T00:00:00Z", "2024-01-01T08:00:00Z"),
        ("2024-01-01T08:00:00Z", "2024-01-01T16:00:00Z"),
        ("2024-01-01T16:00:00Z", "2024-01-02T00:00:00Z"),
    ]
    assert len(ocids(conn)) == 6


def test_an_incremental_crawl_starts_its_windows_at_its_exact_date_time(atlas_env, conn):
    with LocalServer() as server:
        server.route("/releases", window_package)
        stats = run_spider(
            "tests.crawl.test_periodic_windows:EightHourExampleSpider",
            {"url_template": server.url + "/releases?from={start}&to={end}", "date_format": "%Y-%m-%dT%H:%M"},
            from_date="2024-01-01T20:30:00+00:00",
            until_date="2024-01-01",
        )
    assert stats["finish_reason"] == "finished"
    assert queries(server, "from", "to") == [("2024-01-01T20:30", "2024-01-02T00:00")]


def test_variants_request_every_window_once_per_value_and_years_take_the_offset(atlas_env, conn):
    with LocalServer() as server:
        server.route("/releases", window_package)
        stats = run_spider(
            "tests.crawl.test_periodic_windows:VariantsExampleSpider",
            {"url_template": server.url + "/releases?from={start}&type={notice_type}&era={year}"},
            from_date="2024-01-01",
            until_date="2024-02-10",
        )
    assert stats["finish_reason"] == "finished"
    assert queries(server, "from", "type", "era") == [
        ("2024-01-01", "1", "2567"),
        ("2024-01-01", "2", "2567"),
        ("2024-02-01", "1", "2567"),
        ("2024-02-01", "2", "2567"),
    ]
    assert "request_failed" not in notes(conn)


def test_a_timedelta_window_not_over_yet_is_noted_as_info(atlas_env, conn):
    today = date.today()
    with LocalServer() as server:  # every window answers 404
        stats = run_spider(
            "tests.crawl.test_periodic_windows:DailyExampleSpider",
            {"url_template": server.url + "/r?from={start}", "missing_period_statuses": [404]},
            from_date=(today - timedelta(days=1)).isoformat(),
            until_date=today.isoformat(),
        )
    assert stats["finish_reason"] == "finished"
    rows = conn.execute("SELECT level::text AS level FROM note WHERE code = 'period_not_published' ORDER BY id")
    assert sorted(row["level"] for row in rows) == ["info", "warning"]
