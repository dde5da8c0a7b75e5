"""``ocds-atlas publishers`` lists the spiders' declarations; the README's publisher table is generated from them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.operate.publishers import (
    README,
    licence_cell,
    list_publishers,
    readme_block,
    to_markdown,
    write_readme,
)
from tests.crawling import ROOT


@pytest.fixture(scope="module")
def publishers() -> list[dict]:
    return list_publishers()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", *args]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_the_readme_table_is_generated_from_the_spiders(publishers):
    # If this fails, run `ocds-atlas publishers --write-readme` and commit README.md.
    assert readme_block(README.read_text(encoding="utf-8")) == to_markdown(publishers)


def test_every_real_spider_declares_its_publisher(publishers):
    assert publishers and not any(p["is_sandbox"] for p in publishers)
    for p in publishers:
        assert p["url"], p["name"]
        assert p["update_frequency"], p["name"]
        assert p["level"] and p["country"] and p["ocds_version"] and p["publisher_name"], p["name"]
        assert p["documentation"] and p["shape"], p["name"]
        if p["country"] == "ZZ":  # the registry's publications each come with their own licence and prefix
            continue
        # A licence and prefixes, or why there are none (stated by the spider, checked by scrapy checkall).
        assert p["licence"] or not p["licence_stated"] or "licence" in p["unchecked"], p["name"]
        assert p["ocid_prefixes"] or p["no_ocid_prefix"] or "ocid_prefixes" in p["unchecked"], p["name"]


def test_the_table_says_whether_a_missing_licence_is_unstated_or_unchecked(publishers):
    by_name = {p["name"]: p for p in publishers}
    assert licence_cell(by_name["kenya_ppip"]) == "not stated"
    assert licence_cell(by_name["zambia_zppa"]) == "not yet checked"
    assert licence_cell(by_name["data_registry"]) == "each publication's"
    assert licence_cell(by_name["ukraine_prozorro"]).startswith("[licence](https://")


def test_write_readme_rewrites_only_the_block(publishers, tmp_path: Path):
    readme = tmp_path / "README.md"
    text = README.read_text(encoding="utf-8")
    stale = text.replace(to_markdown(publishers), "| old table |\n")
    readme.write_text(stale, encoding="utf-8")
    assert write_readme(publishers, readme)
    assert readme.read_text(encoding="utf-8") == text
    assert not write_readme(publishers, readme)


def test_the_publishers_command_formats(publishers):
    as_json = cli("publishers", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == publishers
    as_csv = cli("publishers", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["name"] for row in rows] == [p["name"] for p in publishers]
    with_sandbox = json.loads(cli("publishers", "--format", "json", "--sandbox").stdout)
    assert {p["name"] for p in with_sandbox} - {p["name"] for p in publishers} == {
        "sandbox_xa",
        "sandbox_xb",
        "sandbox_xb_city",
        "sandbox_xc",
    }
    assert cli("publishers", "--format", "table").returncode == 0
    wrong = cli("publishers", "--format", "xml")
    assert wrong.returncode == 1 and "--format" in wrong.stderr


def test_every_format_says_whether_a_publication_is_gone_and_where_the_facts_come_from(publishers):
    by_name = {p["name"]: p for p in publishers}
    assert all(p["facts_from"] for p in publishers)  # every real spider says where its facts come from
    gone = [p for p in publishers if not p["available"]]
    assert gone and all(p["unavailable_since"] and p["unavailable_reason"] for p in gone)
    assert all(p["unavailable_since"] is None and p["unavailable_reason"] is None for p in publishers if p["available"])
    gacm = by_name["mexico_gacm"]
    shown = json.loads(cli("publishers", "--format", "json", "--no-health").stdout)
    assert {p["name"]: p for p in shown}["mexico_gacm"] == gacm and gacm["unavailable_since"] == "2024-10"
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(cli("publishers", "--format", "csv").stdout))}
    assert rows["mexico_gacm"]["available"] == "False" and rows["mexico_gacm"]["unavailable_since"] == "2024-10"
    assert rows["mexico_gacm"]["facts_from"].startswith("kingfisher-collect:mexico_grupo_aeroporto@2024-10")
    table = cli("publishers", "--format", "table", "--no-health", env={"COLUMNS": "200"}).stdout
    assert any("mexico_gacm" in line and "False" in line and "2024-10" in line for line in table.splitlines())
    line = next(line for line in to_markdown(publishers).splitlines() if line.startswith("| `mexico_gacm` |"))
    assert f"**no**, since 2024-10: {gacm['unavailable_reason']}" in line
    assert "`kingfisher-collect:mexico_grupo_aeroporto@2024-10`" in line and "[docs](" in line
    assert f"({len(gone)} of publications that are gone)" in to_markdown(publishers)


def test_aggregator_does_not_import_scrapy():
    code = "import sys, aggregator.cli.main, aggregator.operate.publishers; print('scrapy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
