"""Spiders whose publication is gone (``available = False``) and where every spider's facts come from
(``facts_from``): ``scrapy crawlall`` skips the former unless named, ``scrapy listpublishers`` says both."""

from __future__ import annotations

import json

from crawler.commands.crawlall import skip_reason
from spiders.mexico_gacm import MexicoGacmSpider
from spiders.sandbox_xa import SandboxXaSpider
from tests.crawl.test_commands import ROOT, scrapy, spiders_package


def test_an_unavailable_spider_is_skipped_unless_named():
    reason = skip_reason(MexicoGacmSpider, dry_run=False)
    assert reason is not None
    assert reason.startswith("unavailable since 2024-10: ")
    assert MexicoGacmSpider.unavailable_reason in reason
    assert skip_reason(MexicoGacmSpider, dry_run=False, named=True) is None
    assert skip_reason(SandboxXaSpider, dry_run=False) is None


def test_crawlall_says_which_spiders_it_skipped_and_why(atlas_env, conn, tmp_path):
    path = spiders_package(tmp_path, {"mexico_gacm": (ROOT / "spiders/mexico_gacm.py").read_text()})
    result = scrapy("crawlall", "--dry-run", "-s", "SPIDER_MODULES=somespiders", pythonpath=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"mexico_gacm: skipped, unavailable since 2024-10: {MexicoGacmSpider.unavailable_reason} "
        "(name it to crawl it anyway)"
    ]


def test_crawlall_refuses_a_name_it_does_not_know(tmp_path):
    path = spiders_package(tmp_path, {"mexico_gacm": (ROOT / "spiders/mexico_gacm.py").read_text()})
    result = scrapy("crawlall", "--dry-run", "nowhere", "-s", "SPIDER_MODULES=somespiders", pythonpath=path)
    assert result.returncode != 0
    assert "no such spider(s): nowhere" in result.stderr


def test_listpublishers_says_whether_each_publication_is_available_and_where_its_facts_come_from():
    result = scrapy("listpublishers")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for row in rows.values():
        assert {"available", "unavailable_since", "unavailable_reason", "facts_from"} <= row.keys()
        assert isinstance(row["facts_from"], list)
        assert row["available"] == (row["unavailable_since"] is None) == (row["unavailable_reason"] is None)
    gacm = rows["mexico_gacm"]
    assert gacm["available"] is False
    assert gacm["unavailable_since"] == "2024-10"
    assert "PR 1111" in gacm["unavailable_reason"]
    assert gacm["facts_from"] == ["kingfisher-collect:mexico_grupo_aeroporto@2024-10", MexicoGacmSpider.facts_from[1]]
    assert rows["armenia_armeps"]["available"] is True
    assert rows["armenia_armeps"]["facts_from"] == ["kingfisher-collect:armenia@2026-07"]
