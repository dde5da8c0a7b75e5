"""``scrapy crawlall --dry-run`` against real spiders, their requests sent to a local server by the replay
middleware: each endpoint's answer (status and time) is reported, nothing is parsed or stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

from crawler.commands.crawlall import dry_run_outcome
from tests.crawl.test_commands import ROOT, scrapy, spiders_package
from tests.httpserver import LocalServer, Reply
from tests.replay import replay_settings
from tests.replaying import route
from tests.replays import data_registry as registry

GACM = "http://gacmda.gacm.mx:8880/files/opendata/coleccion/concentrado05032019RELEASE.json"
SPIDERS = ("data_registry", "mexico_gacm", "paraguay_dncp_records")


def real_spiders(directory: Path) -> Path:
    """A PYTHONPATH under which only these real spiders exist (``SPIDER_MODULES=somespiders``)."""
    return spiders_package(directory, {name: (ROOT / "spiders" / f"{name}.py").read_text() for name in SPIDERS})


def settings_arguments(server_url: str) -> list[str]:
    arguments = ["-s", "SPIDER_MODULES=somespiders", "-s", "RETRY_ENABLED=0"]
    for key, value in replay_settings(server_url).items():
        arguments += ["-s", f"{key}={json.dumps(value) if isinstance(value, dict) else value}"]
    return arguments


def test_dry_run_reports_each_endpoints_status_and_time(atlas_env, conn, tmp_path, monkeypatch):
    monkeypatch.setenv("PARAGUAY_DNCP_REQUEST_TOKEN", "token")
    with LocalServer() as server:
        registry.serve_registry(server)
        route(server, GACM, lambda _: Reply(503, {}, b"down for maintenance"))
        route(server, "https://www.contrataciones.gov.py/datos/api/v3/doc/oauth/token", lambda _: Reply.json({}))
        # Named, so that mexico_gacm, whose publication is gone, is requested all the same.
        arguments = ("--dry-run", *SPIDERS, *settings_arguments(server.url))
        result = scrapy("crawlall", *arguments, pythonpath=real_spiders(tmp_path))
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert sorted(lines) == sorted(SPIDERS), result.stdout + result.stderr
    assert re.fullmatch(
        r"HTTP 200 in \d+\.\d\d s https://data\.open-contracting\.org/en/publications\.json", lines["data_registry"]
    )
    assert re.fullmatch(rf"HTTP 503 in \d+\.\d\d s {re.escape(GACM)}", lines["mexico_gacm"])
    assert lines["paraguay_dncp_records"].startswith("HTTP ")
    assert result.returncode == 1  # an endpoint did not answer well
    # The registry's listing was neither printed nor stored; nothing was requested beyond each first URL.
    assert [r.path for r in server.requests].count("/data.open-contracting.org/en/publications.json") == 1
    assert not any("/publication/" in r.path for r in server.requests)
    assert conn.execute("SELECT count(*) AS n FROM crawl").fetchone()["n"] == 0
    assert not (atlas_env / "crawls").exists()


def test_a_spider_that_needs_arguments_is_skipped_outside_dry_runs(atlas_env, conn, tmp_path):
    path = spiders_package(tmp_path, {"data_registry": (ROOT / "spiders/data_registry.py").read_text()})
    result = scrapy("crawlall", "--sample", "1", "-s", "SPIDER_MODULES=somespiders", pythonpath=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "data_registry: skipped, needs the argument(s) publication: crawl it with scrapy crawl data_registry -a …"
    ]


def test_dry_run_outcome_with_and_without_time():
    stats = {"ocds_atlas/dry_run_status": 200, "ocds_atlas/dry_run_url": "u", "ocds_atlas/dry_run_seconds": 0.5}
    assert dry_run_outcome(stats) == (True, "HTTP 200 in 0.50 s u")
    assert dry_run_outcome({**stats, "ocds_atlas/dry_run_status": 500})[0] is False
