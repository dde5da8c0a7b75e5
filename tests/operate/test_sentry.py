"""Sentry: real CLI commands and real crawls report to a local server standing in for Sentry's envelope endpoint;
the test decodes what arrives and checks its tags, that each failure arrives once, and that no secret does."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import brotli
import pytest

from aggregator.operate.observability import scrub, secret_values
from crawler.spiders import SimpleSpider
from tests.conftest import ROOT, with_database
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request

PASSWORD = f"pw-{uuid.uuid4().hex}"
TOKEN = f"tok-{uuid.uuid4().hex}"
AWS_SECRET = f"aws-{uuid.uuid4().hex}"


class BrokenSpider(SimpleSpider):
    """
    Publisher
      A test publisher whose spider fails after storing each response
    """

    name = "test_sentry_broken"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    start_urls = ("overridden by the test",)

    def follow(self, response: Any) -> Any:
        raise RuntimeError(f"a bug, with a secret in its message: {os.environ['PARAGUAY_DNCP_REQUEST_TOKEN']}")


@pytest.fixture
def sentry() -> Any:
    with LocalServer() as server:
        server.route("/api/1/envelope/", lambda request: Reply.json({}))
        yield server


def with_password(url: str, password: str) -> str:
    """The URL with a password (the tests' servers trust local connections, so it is sent and ignored)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{password}@{host}"))


def environment(server: LocalServer, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SENTRY_DSN": f"http://public@127.0.0.1:{urlsplit(server.url).port}/1",
        "SENTRY_ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "PARAGUAY_DNCP_REQUEST_TOKEN": TOKEN,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        **extra,
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def payloads(request: Request) -> bytes:
    encoding = request.headers.get("Content-Encoding", "")
    if encoding == "gzip":
        return gzip.decompress(request.body)
    if encoding == "br":
        return brotli.decompress(request.body)
    return request.body


def envelope_items(raw: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The items of one envelope: a header line, then per item a header line and its payload (``length`` bytes,
    else up to the end of the line)."""
    _, _, rest = raw.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


def received(server: LocalServer) -> tuple[list[dict[str, Any]], bytes]:
    """The events the server received, and all the bytes it received, decoded."""
    raws = [payloads(request) for request in server.requests]
    events = [
        json.loads(payload) for raw in raws for header, payload in envelope_items(raw) if header["type"] == "event"
    ]
    return events, b"\n".join(raws)


def assert_no_secret(raw: bytes, *secrets: str) -> None:
    for secret in (PASSWORD, TOKEN, AWS_SECRET, *secrets):
        assert secret.encode() not in raw, secret


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_failed_command_is_one_event_tagged_with_it_and_without_secrets(sentry, server_url, debug):
    missing = with_password(with_database(server_url, f"atlas_missing_{uuid.uuid4().hex[:8]}"), PASSWORD)
    result = run_cli(environment(sentry, missing, OCDS_ATLAS_DEBUG=debug), "status")
    assert result.returncode == 1
    assert "cannot connect to PostgreSQL" in result.stderr
    events, raw = received(sentry)
    # With OCDS_ATLAS_DEBUG the error is raised on to Sentry's excepthook too: still one event.
    assert len(events) == 1, events
    event = events[0]
    assert event["tags"]["command"] == "status"
    assert event["tags"]["component"] == "cli"
    assert event["environment"] == "test"
    assert event["release"].startswith("ocds-atlas@")
    assert "cannot connect to PostgreSQL" in event["exception"]["values"][-1]["value"]
    assert "PostgreSQL at [database URL]: connection failed" in event["exception"]["values"][-1]["value"]
    assert "user" not in event
    assert not any("vars" in frame for value in event["exception"]["values"] for frame in value["stacktrace"]["frames"])
    assert_no_secret(raw, missing)


def test_a_crawl_that_is_not_accepted_is_one_event_from_the_crawl(sentry, atlas_env, database_url):
    url = with_password(database_url, PASSWORD)
    env = environment(sentry, url)
    result = run_cli(env, "crawl", "sandbox_xb_city", "--from-date", "2099-01-01", "--no-compile")
    assert result.returncode == 1, result.stderr
    assert "is not accepted: it stored no release and no record" in result.stderr
    events, raw = received(sentry)
    # The crawl's process reports it; the CLI, which prints the same failure, does not report it again.
    assert len(events) == 1, [event.get("message") for event in events]
    event = events[0]
    crawl_id = event["tags"]["crawl_id"]
    assert crawl_id.isdigit()
    reason = "it stored no release and no record"
    assert event["message"] == f"crawl {crawl_id} of sandbox_xb_city is not accepted: {reason}"
    assert event["level"] == "error"
    tags = {name: event["tags"][name] for name in ("spider", "publisher", "command", "component")}
    spider = "sandbox_xb_city"
    assert tags == {"spider": spider, "publisher": spider, "command": "crawl", "component": "crawl"}
    assert_no_secret(raw, url)


def test_each_failure_of_a_crawl_is_one_event_and_logged_errors_are_none(sentry, atlas_env, database_url):
    with LocalServer() as publisher:
        for page in (1, 2):
            releases = [{"ocid": f"ocds-test01-{page}", "id": "1", "date": "2020-01-01T00:00:00Z"}]
            publisher.route(
                f"/{page}", lambda r, releases=releases: Reply.json({"version": "1.1", "releases": releases})
            )
        publisher.route("/broken", lambda r: Reply.json({"error": "broken"}, 500))
        urls = [f"{publisher.url}/1", f"{publisher.url}/2", f"{publisher.url}/broken"]
        settings = {"DOWNLOAD_DELAY": 0.01, "RETRY_TIMES": 1, "OCDS_ATLAS_RETRY_BASE_DELAY": 0.05}
        stats = run_spider(
            "tests.operate.test_sentry:BrokenSpider", {"start_urls": urls}, settings, environment(sentry, database_url)
        )
    # Scrapy logged an error for each exception and for the request it gave up retrying (a handled problem: a
    # note); none of those log records is an event.
    assert stats["log_count/ERROR"] >= 3
    events, raw = received(sentry)
    errors = [event for event in events if "exception" in event]
    messages = [event.get("message") for event in events if "exception" not in event]
    assert len(errors) == 2, [event.get("message") for event in events]
    for event in errors:
        assert event["exception"]["values"][-1]["type"] == "RuntimeError"
        assert event["exception"]["values"][-1]["value"] == "a bug, with a secret in its message: [Filtered]"
        assert event["tags"]["spider"] == event["tags"]["publisher"] == "test_sentry_broken"
        assert event["tags"]["command"] == "crawl" and event["tags"]["crawl_id"].isdigit()
    # One of three requests failed: the crawl is not accepted, which is one more event.
    crawl_id = errors[0]["tags"]["crawl_id"]
    reason = "1 of 3 requests failed (33%, more than 15%)"
    assert messages == [f"crawl {crawl_id} of test_sentry_broken is not accepted: {reason}"]
    assert_no_secret(raw, database_url)


def test_an_accepted_crawl_with_handled_problems_sends_nothing(sentry, atlas_env, database_url):
    # sandbox_xa's last page is invalid JSON and its next link unreadable: notes, not events; Scrapy's own error
    # log lines are breadcrumbs at most.
    result = run_cli(environment(sentry, database_url), "crawl", "sandbox_xa", "--no-compile")
    assert result.returncode == 0, result.stderr
    events, _ = received(sentry)
    assert events == []


def test_scrubbing_reaches_every_part_of_an_event():
    environ = {"DATABASE_URL": "postgresql://u:hunter22@db.example/atlas", "MY_API_TOKEN": "abcd-1234", "HOME": "/x"}
    secrets = secret_values(environ)
    assert secrets == ["postgresql://u:hunter22@db.example/atlas", "abcd-1234", "hunter22"]
    event = {
        "message": "failed at postgresql://u:hunter22@db.example/atlas",
        "exception": {"values": [{"value": "password=hunter22 host=db.example"}, {"value": "password='hunt er33'"}]},
        "extra": {"sys.argv": ["scrapy", "-a", "token=abcd-1234"], "Authorization": "Bearer x"},
        "breadcrumbs": {"values": [{"message": "GET https://user:pa55word@example.org/x"}]},
        "request": {"url": "https://example.org/?key=abcd-1234"},
    }
    scrubbed = json.dumps(scrub(event, secrets))
    for secret in ("hunter22", "abcd-1234", "pa55word", "Bearer", "er33"):
        assert secret not in scrubbed
    assert "https://user:[Filtered]@example.org/x" in scrubbed
    assert "HOME" not in secrets and "/x" not in secrets


def test_a_malformed_dsn_is_one_clear_error(monkeypatch):
    from typer.testing import CliRunner

    from aggregator.cli.main import app

    monkeypatch.setenv("SENTRY_DSN", "not a dsn")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "SENTRY_DSN is not a Sentry DSN" in result.output
