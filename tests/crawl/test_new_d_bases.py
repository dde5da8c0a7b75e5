"""Declarations added to the base spiders for new publishers: fiscal-year windows, the access-token step, the
repair of raw newlines inside JSON strings, choice arguments and CKAN datasets."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import orjson
import pytest

from crawler.spiders import AccessTokenSpider, PeriodicSpider, SimpleSpider
from crawler.spiders.declarations import choice_argument
from crawler.spiders.periodic import FiscalYear, date_windows, window_label, window_url
from crawler.spiders.repairs import escape_raw_control_characters
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request

NEPAL = FiscalYear(7, 16, 57)


def test_fiscal_year_windows_are_cut_to_the_bounds():
    windows = date_windows(date(2022, 8, 1), date(2023, 8, 1), "fiscal_year", NEPAL)
    assert windows == [(date(2022, 8, 1), date(2023, 7, 15)), (date(2023, 7, 16), date(2023, 8, 1))]


def test_fiscal_year_numbers_fill_the_url_in_the_publishers_calendar():
    template = "https://example.org/dhangadhi-{fiscal_year}-{fiscal_year_end_yy}.json"
    windows = date_windows(date(2022, 1, 1), date(2022, 12, 31), "fiscal_year", NEPAL)
    assert [window_url(template, w, extra=NEPAL.values) for w in windows] == [
        "https://example.org/dhangadhi-2078-79.json",
        "https://example.org/dhangadhi-2079-80.json",
    ]
    assert window_label(windows[1], "fiscal_year", NEPAL) == "fiscal year 2079-80"
    # a July-to-June fiscal year in the Gregorian calendar (Uganda's fy=2017-2018)
    july = FiscalYear(7, 1)
    window = date_windows(date(2018, 3, 1), date(2018, 3, 31), "fiscal_year", july)[0]
    assert window_url("fy={fiscal_year}-{fiscal_year_end}", window, extra=july.values) == "fy=2017-2018"


class FiscalExampleSpider(PeriodicSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_fiscal_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"

    # PeriodicSpider
    url_template = "https://example.org/{fiscal_year}-{fiscal_year_end_yy}.json"
    period = "fiscal_year"
    fiscal_year_start = "07-16"
    fiscal_year_offset = 57
    default_from_date = "2017-07-16"


def test_a_fiscal_year_spider_declares_when_its_years_start():
    assert FiscalExampleSpider.fiscal_year() == NEPAL
    for start in (None, "7/16", "02-29", "13-01"):
        with pytest.raises(TypeError, match="fiscal_year_start"):
            type("Bad", (FiscalExampleSpider,), {"fiscal_year_start": start})


def test_raw_newlines_inside_strings_are_escaped_and_nothing_else_changes():
    body = b'{"releases": [\n  {"title": "Material\nm\xc3\xa9dico\r\n", "note": "tab\there"}\n]}'
    repaired = escape_raw_control_characters(body)
    assert repaired is not None
    assert orjson.loads(repaired) == {"releases": [{"title": "Material\nmédico\r\n", "note": "tab\there"}]}
    assert repaired.startswith(b'{"releases": [\n  {')  # the whitespace between values is kept
    assert escape_raw_control_characters(b'{"a": "fine"}') is None  # JSON already
    assert escape_raw_control_characters(b'{"a": "cut\nshort') is None  # not JSON after the repair either


def test_a_choice_argument_names_one_of_its_choices():
    assert choice_argument("system", None, ("HC1", "CE")) is None
    assert choice_argument("system", "CE", ("HC1", "CE")) == "CE"
    with pytest.raises(ValueError, match="system must be one of HC1, CE, not 'XX'"):
        choice_argument("system", "XX", ("HC1", "CE"))


class TokenExampleSpider(AccessTokenSpider, SimpleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_token_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    credentials = ("TEST_CLIENT_SECRET",)

    # AccessTokenSpider
    token_url = "overridden by the test"
    token_body: ClassVar[dict[str, str]] = {"clientSecret": "{TEST_CLIENT_SECRET}"}
    token_pointer = "/data/token"
    token_scheme = "Bearer"


def test_a_token_step_names_only_declared_credentials():
    with pytest.raises(TypeError, match="token_body names no declared credential"):
        type("Bad", (TokenExampleSpider,), {"token_body": {"secret": "{UNDECLARED}"}})
    with pytest.raises(TypeError, match="token_url"):
        type("Bad", (TokenExampleSpider,), {"token_url": ""})


def test_every_request_waits_for_the_token_and_carries_it(atlas_env, conn):
    package = {"version": "1.1", "releases": [{"ocid": "ocds-x-1", "id": "1", "date": "2024-01-01T00:00:00Z"}]}

    def token(request: Request) -> Reply:
        assert orjson.loads(request.body) == {"clientSecret": "s3cret"}
        return Reply.json({"data": {"token": "t-1"}})

    def data(request: Request) -> Reply:
        if request.headers.get("Authorization") != "Bearer t-1":
            return Reply.json({"error": "no token"}, 401)
        return Reply.json(package)

    with LocalServer() as server:
        server.route("/token", token)
        server.route("/data", data)
        attributes = {"token_url": server.url + "/token", "start_urls": [server.url + "/data"]}
        env = {"TEST_CLIENT_SECRET": "s3cret"}
        stats = run_spider("tests.crawl.test_new_d_bases:TokenExampleSpider", attributes, env=env)
    assert stats["finish_reason"] == "finished"
    assert server.hits["/token"] == 1
    assert server.hits["/data"] == 1
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 1


def test_a_token_answer_without_a_token_fails_the_crawl_s_requests_with_a_note(atlas_env, conn):
    with LocalServer() as server:
        server.route("/token", lambda request: Reply.json({"data": {}}))
        server.route("/data", lambda request: Reply.json({"releases": []}))
        attributes = {"token_url": server.url + "/token", "start_urls": [server.url + "/data"]}
        run_spider("tests.crawl.test_new_d_bases:TokenExampleSpider", attributes, env={"TEST_CLIENT_SECRET": "s"})
    assert server.hits["/data"] == 0
    codes = {row["code"] for row in conn.execute("SELECT code FROM note")}
    assert "access_token_missing" in codes
