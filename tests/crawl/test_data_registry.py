"""The OCP Data Registry spider beyond its replay (tests/replays/data_registry.py): the whole publication, a wrong
country, an unknown publication, the listing of publications, and the page and file choices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from crawler.spiders.registry import choose_files, listing_metadata, publication_page
from tests.crawling import ROOT, run_spider
from tests.httpserver import LocalServer, Reply
from tests.replay import replay_settings
from tests.replaying import route
from tests.replays import data_registry as registry

SPIDER = "spiders.data_registry:DataRegistrySpider"
DOWNLOAD = "/data.open-contracting.org/en/publication/42/download"


def value(conn, sql: str) -> Any:
    return next(iter(conn.execute(sql).fetchone().values()))


def codes(conn) -> set[str]:
    return {row["code"] for row in conn.execute("SELECT code FROM note")}


def test_without_dates_the_whole_publication_is_downloaded(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server)
        stats = run_spider(SPIDER, settings=replay_settings(server.url), publication="42", country="PY")
    assert stats["finish_reason"] == "finished"
    assert [r.query["name"] for r in server.requests if r.path == DOWNLOAD] == [["full.jsonl.gz"]]
    assert value(conn, "SELECT count(*) FROM release") == sum(registry.YEARS.values()) + registry.UNDATED
    assert value(conn, "SELECT status FROM crawl") == "finished"
    assert value(conn, "SELECT arguments ->> 'publication' FROM crawl") == "42"
    # What the registry said, kept in the crawl's stats beside what the publisher row took.
    learnt = value(conn, "SELECT stats -> 'ocds_atlas/publisher' FROM crawl")
    assert learnt["source_id"] == "paraguay_dncp_records" and learnt["source_update_frequency"] == "daily"


def test_a_wrong_country_downloads_nothing_and_says_which(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server)
        stats = run_spider(SPIDER, settings=replay_settings(server.url), publication="42", country="MD")
    assert stats["finish_reason"] == "finished"
    assert not any(r.path == DOWNLOAD for r in server.requests)
    note = conn.execute("SELECT message, data FROM note WHERE code = 'registry_country_mismatch'").fetchone()
    assert note["data"] == {"expected": "MD", "found": "PY"} and "country=PY" in note["message"]
    # Nothing stored: the crawl is not accepted, and the publisher is failing from then on.
    assert value(conn, "SELECT status FROM crawl") == "failed"
    assert value(conn, "SELECT failing_since IS NOT NULL AND last_success_at IS NULL FROM publisher")


def test_the_country_is_learnt_from_the_flag_and_kept(atlas_env, conn):
    # The first crawl opens the publisher in ZZ (unknown) and sets the flag's country when it closes; the next
    # one, again without a country, keeps it (and compiles in it).
    for _ in range(2):
        with LocalServer() as server:
            registry.serve_registry(server)
            stats = run_spider(SPIDER, settings=replay_settings(server.url), publication="42")
        assert stats["finish_reason"] == "finished"
        assert value(conn, "SELECT country FROM publisher WHERE name = 'data_registry.42'") == "PY"
    assert value(conn, "SELECT array_agg(status ORDER BY id) FROM crawl") == ["finished", "finished"]
    assert value(conn, "SELECT count(*) FROM note WHERE code = 'registry_country_mismatch'") == 0
    assert value(conn, "SELECT stats -> 'ocds_atlas/publisher' ->> 'country' FROM crawl ORDER BY id LIMIT 1") == "PY"


def test_a_country_given_to_a_publisher_first_stored_unknown_is_taken(atlas_env, conn):
    # A first crawl whose page showed no flag left the publisher in ZZ; a crawl given the country sets it.
    with LocalServer() as server:
        registry.serve_registry(server, flag=None)
        run_spider(SPIDER, settings=replay_settings(server.url), publication="42")
    assert value(conn, "SELECT country FROM publisher WHERE name = 'data_registry.42'") == "ZZ"
    with LocalServer() as server:
        registry.serve_registry(server, flag=None)
        stats = run_spider(SPIDER, settings=replay_settings(server.url), publication="42", country="PY")
    assert stats["finish_reason"] == "finished"
    assert value(conn, "SELECT country FROM publisher WHERE name = 'data_registry.42'") == "PY"
    assert value(conn, "SELECT count(*) FROM release") == sum(registry.YEARS.values()) + registry.UNDATED


def test_a_page_without_a_flag_and_no_country_downloads_nothing(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server, flag=None)
        run_spider(SPIDER, settings=replay_settings(server.url), publication="42")
    assert not any(r.path == DOWNLOAD for r in server.requests)
    note = conn.execute("SELECT message, data FROM note WHERE code = 'registry_country_unknown'").fetchone()
    assert note["data"] == {"registry_country": "Paraguay"} and "country=" in note["message"]
    assert value(conn, "SELECT status FROM crawl") == "failed"


def test_an_unknown_publication_is_a_note(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server)
        run_spider(SPIDER, settings=replay_settings(server.url), publication="99", country="PY")
    assert "registry_publication_not_found" in codes(conn)
    assert [r.path for r in server.requests] == ["/data.open-contracting.org/en/publications.json"]


def test_an_unreadable_listing_is_a_note(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server)
        maintenance = Reply(200, {"Content-Type": "text/html"}, b"<html>Maintenance</html>")
        route(server, f"{registry.REGISTRY}/en/publications.json", lambda _: maintenance)
        run_spider(SPIDER, settings=replay_settings(server.url), publication="42", country="PY")
    assert "registry_listing_unreadable" in codes(conn)
    assert value(conn, "SELECT status FROM crawl") == "failed"


WRONG_ARGUMENTS = (
    {"country": "PY"},  # no publication
    {"publication": "x", "country": "PY"},
    {"publication": "42", "country": "Paraguay"},  # a name, not an ISO 3166-1 code
)


@pytest.mark.parametrize("arguments", WRONG_ARGUMENTS)
def test_missing_or_wrong_arguments_stop_the_crawl(atlas_env, conn, arguments):
    with pytest.raises(AssertionError, match=r"publication|country"):
        run_spider(SPIDER, **arguments)
    assert value(conn, "SELECT count(*) FROM crawl") == 0


def test_publication_list_prints_the_publications_and_stores_nothing(atlas_env, conn):
    with LocalServer() as server:
        registry.serve_registry(server)
        settings = replay_settings(server.url)
        command = [sys.executable, "-m", "scrapy", "crawl", "data_registry", "-a", "publication=list"]
        for key, setting in settings.items():
            command += ["-s", f"{key}={json.dumps(setting) if isinstance(setting, dict) else setting}"]
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "13\tHonduras\tOld portal\t2021-01-04 to 2023-12-28",
        "7\tMoldova\tMinistry of Finance\t2021-01-04 to 2023-12-28",
        "42\tParaguay\tDirección Nacional de Contrataciones Públicas (DNCP)\t2021-01-04 to 2023-12-28",
    ]
    assert value(conn, "SELECT count(*) FROM crawl") == 0


def test_the_publication_page_gives_country_licence_and_files():
    page = publication_page(registry.publication_page(42, "py", [2021, 2023], full=False))
    assert page == {"country": "PY", "licence": registry.LICENCE, "files": ["2021", "2023", "undated"]}
    assert publication_page("<html>no dataset</html>") == {"country": None, "licence": None, "files": []}


def test_files_are_the_whole_publication_or_the_years_asked():
    offered = ["2019", "2020", "2022", "full"]
    assert choose_files(offered, None, None) == (["full"], [])
    assert choose_files(["2020", "2021"], None, None) == (["2020", "2021"], [])
    assert choose_files(offered, date(2020, 5, 1), date(2021, 12, 31)) == (["2020"], [2021])
    assert choose_files(offered, date(2021, 1, 1), None) == (["2022"], [2021])
    assert choose_files(offered, None, date(2019, 3, 1)) == (["2019"], [])
    assert choose_files(["full"], date(2021, 1, 1), None) == (["full"], [])
    assert choose_files([], None, None) == ([], [])
    # The releases without a date are in no year's file: they come with the years.
    offered = ["2020", "2021", "full", "undated"]
    assert choose_files(offered, None, None) == (["full"], [])
    assert choose_files(["2020", "undated"], None, None) == (["2020", "undated"], [])
    assert choose_files(offered, date(2021, 1, 1), None) == (["2021", "undated"], [])


def test_the_registry_refresh_frequency_is_the_update_frequency():
    entry = registry.listing_entry(1, "T", "Paraguay", "paraguay_dncp_records", update_frequency="EVERY_SIX_MONTHS")
    metadata = listing_metadata(entry)
    assert metadata["update_frequency"] == "monthly"
    assert metadata["source_update_frequency"] == "every six months"
    assert listing_metadata({**entry, "retrieval_frequency": "NEVER"})["update_frequency"] == "never"
