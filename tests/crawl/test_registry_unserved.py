"""The OCP Data Registry's publications that no spider here crawls (the frozen publications of a source that
stopped, such as Opentender's): which they are, and ``scrapy crawlregistry``, which crawls each as its own
publisher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from crawler.spiders.registry import served_sources, unserved_publications
from tests.crawling import ROOT
from tests.httpserver import LocalServer, Reply, Request
from tests.replay import replay_settings
from tests.replaying import route
from tests.replays import data_registry as registry

#: Opentender's publications, frozen since it stopped publishing OCDS (2026-07): their sources (the reference
#: crawler's ``*_digiwhist`` spiders) have no spider here.
OPENTENDER = {101: ("Austria", "at", "austria_digiwhist"), 102: ("Belgium", "be", "belgium_digiwhist")}


class Spider:
    def __init__(self, name: str, *facts: str, **declarations: Any) -> None:
        self.name, self.facts_from = name, facts
        self.__dict__.update(declarations)


def test_served_sources_are_available_spiders_and_the_reference_spiders_they_name():
    spiders = [
        Spider("moldova_mtender", "kingfisher-collect:moldova_multi_record@2026-07"),
        Spider("honduras_oncae_bulk", "kingfisher-collect:honduras_oncae@2026-07", "https://oncae.gob.hn/"),
        Spider("mexico_gacm", "kingfisher-collect:mexico_gacm@2024-10", available=False),
        Spider("paraguay_dncp_registry", "kingfisher-collect:paraguay_dncp_records@2026-07", via="data_registry"),
        Spider("sandbox_xa", is_sandbox=True),
    ]
    assert served_sources(spiders) == {
        "moldova_mtender",
        "moldova_multi_record",
        "honduras_oncae_bulk",
        "honduras_oncae",
    }


def entries() -> list[dict[str, Any]]:
    frozen = [
        registry.listing_entry(
            number, f"Opentender: {country}", country, source, retrieval_frequency="NEVER", frozen=True
        )
        for number, (country, _, source) in OPENTENDER.items()
    ]
    return registry.listing() + frozen


def test_unserved_publications_are_those_no_spider_crawls():
    listing = [*entries(), {"id": 103, "title": "No source", "country": "Chile"}, "not an object"]
    served = {"moldova_mtender", "paraguay_dncp_records", "honduras_oncae"}
    assert [e["id"] for e in unserved_publications(listing, served, set())] == [101, 102, 103]
    # A publication a registry spider declares is crawled already.
    assert [e["id"] for e in unserved_publications(listing, served, {102})] == [101, 103]


def serve(server: LocalServer) -> None:
    """The registry with publication 42 (Paraguay's DNCP, which a spider here crawls) and Opentender's two."""
    registry.serve_registry(server)
    route(server, f"{registry.REGISTRY}/en/publications.json", lambda _: Reply.json(entries()))
    headers = {"Content-Type": "text/html; charset=utf-8"}
    for number, (_, flag, _) in OPENTENDER.items():
        page = registry.publication_page(number, flag, [2019, 2020])
        route(
            server,
            f"{registry.REGISTRY}/en/publication/{number}",
            lambda _, page=page: Reply(200, headers, page.encode()),
        )
        releases = [registry.compiled_release(2019 + n, number) for n in range(2)]
        body = registry.jsonl_gz([{**r, "ocid": f"ocds-ot{number}-{i}"} for i, r in enumerate(releases)])

        def download(request: Request, body: bytes = body) -> Reply:
            assert request.query["name"] == ["full.jsonl.gz"]
            return Reply(200, {"Content-Type": "application/gzip"}, body)

        route(server, f"{registry.REGISTRY}/en/publication/{number}/download", download)


def crawlregistry(server: LocalServer, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "scrapy", "crawlregistry", *options]
    for key, setting in replay_settings(server.url).items():
        command += ["-s", f"{key}={json.dumps(setting) if isinstance(setting, dict) else setting}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_crawlregistry_crawls_each_unserved_publication_as_its_own_publisher(atlas_env, conn):
    with LocalServer() as server:
        serve(server)
        result = crawlregistry(server)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "101\tAustria\tOpentender: Austria\t2021-01-04 to 2023-12-28\taustria_digiwhist" in lines
    assert "2 publication(s) whose source no available spider here crawls" in lines
    assert "data_registry.101: finished, 2 releases, 0 records" in lines
    assert "data_registry.102: finished, 2 releases, 0 records" in lines
    rows = conn.execute("SELECT name, country, via, title FROM publisher ORDER BY name").fetchall()
    assert [(r["name"], r["country"], r["via"], r["title"]) for r in rows] == [
        ("data_registry.101", "AT", "data_registry", "Opentender: Austria"),
        ("data_registry.102", "BE", "data_registry", "Opentender: Belgium"),
    ]
    # Paraguay's publication is not crawled through the registry: its spider crawls the DNCP itself.
    assert not any(r.path.startswith("/data.open-contracting.org/en/publication/42") for r in server.requests)
    assert (
        conn.execute("SELECT count(*) AS n FROM note WHERE code = 'registry_publication_not_refreshed'").fetchone()["n"]
        == 2
    )


def test_crawlregistry_list_crawls_nothing(atlas_env, conn):
    with LocalServer() as server:
        serve(server)
        result = crawlregistry(server, "--list")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        "101\tAustria\tOpentender: Austria\t2021-01-04 to 2023-12-28\taustria_digiwhist",
        "102\tBelgium\tOpentender: Belgium\t2021-01-04 to 2023-12-28\tbelgium_digiwhist",
        "2 publication(s) whose source no available spider here crawls",
    ]
    assert conn.execute("SELECT count(*) AS n FROM crawl").fetchone()["n"] == 0
