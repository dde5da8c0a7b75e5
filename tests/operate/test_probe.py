"""``ocds-atlas probe`` (``scrapy probe`` in a child process): each publication's first answer, its status, time,
content type, and whether it is what the spider expects; against a local server that answers, 404s, 503s, serves
an HTML page and serves records where releases are expected. Never the internet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import orjson
import psycopg
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.operate.probe import ProbeOptions, probe, record_probes
from aggregator.raw.crawls import PublisherInfo, upsert_publisher
from crawler.commands.probe import spiders_to_probe
from crawler.spiders import SimpleSpider
from spiders.sandbox_xa import SandboxXaSpider
from tests.httpserver import LocalServer, Reply

runner = CliRunner()
RELEASES = {"version": "1.1", "releases": [{"ocid": "ocds-p1-1", "id": "1", "date": "2024-01-01T00:00:00Z"}]}
RECORDS = {"version": "1.1", "records": [{"ocid": "ocds-p1-1", "releases": [{"ocid": "ocds-p1-1", "id": "1"}]}]}


class ProbeAnsweringSpider(SimpleSpider):
    """Answers with a release package."""

    name = "test_probe_answering"
    country = "XP"
    publisher_name = "Probe: answering"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    start_urls = ("{sandbox}/answering",)


class ProbeGoneSpider(ProbeAnsweringSpider):
    """Its file is gone: 404."""

    name = "test_probe_gone"
    start_urls = ("{sandbox}/gone",)


class ProbeDownSpider(ProbeAnsweringSpider):
    """Its server is down: 503."""

    name = "test_probe_down"
    start_urls = ("{sandbox}/down",)


class ProbeHtmlSpider(ProbeAnsweringSpider):
    """Its endpoint now serves a web page."""

    name = "test_probe_html"
    start_urls = ("{sandbox}/html",)


class ProbeWrongShapeSpider(ProbeAnsweringSpider):
    """Expects releases, gets records."""

    name = "test_probe_wrong_shape"
    start_urls = ("{sandbox}/records",)


class ProbeDeadSpider(ProbeAnsweringSpider):
    """A publication that is gone: probed only when named."""

    name = "test_probe_dead"
    start_urls = ("{sandbox}/gone",)
    available = False
    unavailable_since = "2025-01"
    unavailable_reason = "the test says so"


@pytest.fixture
def endpoints(atlas_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.operate.test_probe")
    with LocalServer() as server:
        server.route("/answering", lambda r: Reply.json(RELEASES))
        server.route("/down", lambda r: Reply(503, {"Content-Type": "text/plain"}, b"maintenance"))
        server.route("/html", lambda r: Reply(200, {"Content-Type": "text/html"}, b"<html><body>Moved</body></html>"))
        server.route("/records", lambda r: Reply.json(RECORDS))
        monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", server.url)
        yield server


NAMES = ["test_probe_answering", "test_probe_gone", "test_probe_down", "test_probe_html", "test_probe_wrong_shape"]


def test_probe_says_which_publications_answer_as_expected(endpoints):
    results = {r["spider"]: r for r in probe(NAMES, ProbeOptions(timeout=5))}
    assert list(results) == NAMES
    answering = results["test_probe_answering"]
    assert answering["ok"] is True and answering["expected"] == "release_package"
    [request] = answering["requests"]
    assert request["status"] == 200 and request["content_type"] == "application/json"
    assert request["found"] == "1 release" and request["url"] == f"{endpoints.url}/answering"
    assert 0 <= request["seconds"] < 5
    expectations = {
        "test_probe_gone": (404, "the publisher answered HTTP 404"),
        "test_probe_down": (503, "the publisher answered HTTP 503"),  # no retries: one request
        "test_probe_html": (200, "not OCDS: Invalid JSON"),
        "test_probe_wrong_shape": (200, "OCDS of another shape: releases were expected (release_package)"),
    }
    for name, (status, problem) in expectations.items():
        assert results[name]["ok"] is False, name
        [request] = results[name]["requests"]
        assert request["status"] == status and request["problem"].startswith(problem), (name, request)
    assert results["test_probe_html"]["requests"][0]["found"] == "an HTML page"
    assert endpoints.hits["/down"] == 1


class Loader:
    """A spider loader of this module's spiders and a sandbox one (probing every real spider would reach the
    internet)."""

    spiders: ClassVar[dict[str, type]] = {
        s.name: s for s in (ProbeAnsweringSpider, ProbeDeadSpider, ProbeHtmlSpider, SandboxXaSpider)
    }

    def list(self) -> list[str]:
        return list(self.spiders)

    def load(self, name: str) -> type:
        return self.spiders[name]


def test_a_gone_publication_is_probed_only_when_named(endpoints):
    assert spiders_to_probe(Loader(), include_sandbox=False) == ["test_probe_answering", "test_probe_html"]
    assert spiders_to_probe(Loader(), include_sandbox=True) == ["sandbox_xa", "test_probe_answering", "test_probe_html"]
    [dead] = probe(["test_probe_dead"], ProbeOptions(timeout=5))
    assert dead["available"] is False and dead["unavailable_since"] == "2025-01" and dead["ok"] is False


def test_the_probe_command_exits_1_when_a_named_publication_does_not_answer(endpoints):
    result = runner.invoke(app, ["probe", "test_probe_answering", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["ok"] is True
    result = runner.invoke(app, ["probe", "test_probe_answering", "test_probe_down"])
    assert result.exit_code == 1
    assert "1 of 2 answer as expected" in result.output
    assert "not answering as expected: test_probe_down" in " ".join(result.output.split())


def test_probe_reports_the_sandbox_answering(atlas_env):
    result = runner.invoke(app, ["probe", "sandbox_xa", "--format", "json"])
    assert result.exit_code == 0, result.output
    [xa] = json.loads(result.output)
    assert xa["spider"] == "sandbox_xa" and xa["ok"] is True
    [request] = xa["requests"]
    assert request["status"] == 200 and request["found"].endswith("releases")
    assert request["url"].startswith("http://127.0.0.1:")


def test_recorded_probes_say_since_when_an_endpoint_fails(endpoints, conn: psycopg.Connection):
    for name in ("test_probe_answering", "test_probe_down"):
        upsert_publisher(conn, PublisherInfo(name=name, title=name, country="XP", spider=name))
    record_probes(conn, probe(["test_probe_answering", "test_probe_down"], ProbeOptions(timeout=5)))
    rows = {r["name"]: r for r in conn.execute("SELECT * FROM publisher").fetchall()}
    assert rows["test_probe_answering"]["endpoint_failing_since"] is None
    assert rows["test_probe_answering"]["endpoint_checked_at"] is not None
    since = rows["test_probe_down"]["endpoint_failing_since"]
    assert since is not None and "HTTP 503" in rows["test_probe_down"]["endpoint_problem"]

    record_probes(conn, probe(["test_probe_down"], ProbeOptions(timeout=5)))  # still failing: since stays
    row = conn.execute("SELECT * FROM publisher WHERE name = 'test_probe_down'").fetchone()
    assert row["endpoint_failing_since"] == since and row["endpoint_checked_at"] > since

    result = runner.invoke(app, ["publishers", "--format", "json", "--health"])
    assert result.exit_code == 0, result.output
    shown = {r["name"]: r for r in json.loads(result.output)}
    assert shown["test_probe_down"]["endpoint_failing_since"] == since.isoformat(timespec="seconds")
    status = orjson.loads(runner.invoke(app, ["status", "--format", "json"]).output)
    assert {p["name"]: p["endpoint_failing_since"] for p in status["publishers"]}["test_probe_down"] is not None

    endpoints.route("/down", lambda r: Reply.json(RELEASES))  # back up: cleared
    record_probes(conn, probe(["test_probe_down"], ProbeOptions(timeout=5)))
    row = conn.execute("SELECT * FROM publisher WHERE name = 'test_probe_down'").fetchone()
    assert row["endpoint_failing_since"] is None and row["endpoint_problem"] is None
