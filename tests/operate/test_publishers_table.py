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

from aggregator.operate.publishers import README, list_publishers, readme_block, to_markdown, write_readme
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


#: Publishers that state no licence for their OCDS data, as far as their own pages, the data's ``license`` field and
#: the OCP Data Registry's publication pages show (checked 2026-11): shown as "not stated", never guessed.
NO_LICENCE_STATED = {
    "armenia_armeps",
    "kenya_ppip",
    "kenya_ppip_bulk",
    "liberia_ppcc",
    "mexico_cdmx",
    "mexico_gacm",
    "mexico_jalisco",
    "moldova_mtender",
    "nepal_ppmo",
    "nigeria_ekiti",
    "taiwan_aac",
}
#: Spiders added for issue 15 whose licence or OCID prefix is not in the reference crawler and could not be checked
#: on the publishers' pages (no network here): declared as None until checked, never guessed. Empty this set as
#: they are checked; the README's table shows them as "not stated".
NOT_YET_CHECKED = {
    "albania_kpp",
    "argentina_mendoza_bulk",
    "australia_austender",
    "brazil_compras",
    "brazil_medicamentos_transparentes",
    "bulgaria_ppa",
    "canada_quebec_seao",
    "colombia_ani_records",
    "croatia_eojn",
    "germany_oeffentlichevergabe",
    "honduras_iaip",
    "honduras_oncae_bulk",
    "honduras_sefin_api",
    "honduras_sefin_bulk",
    "india_himachal_pradesh",
    "indonesia_opentender",
    "kosovo_pprc",
    "liberia_ppcc_releases",
    "malawi_maneps_records",
    "malta_epps",
    "mexico_aguascalientes_plataforma_digital_estatal",
    "mexico_aguascalientes_sesea_plataforma_digital_nacional",
    "mexico_guadalajara",
    "mexico_mexico_city_infocdmx",
    "mexico_mexico_state_sesaemm_plataforma_digital_nacional",
    "mexico_michoacan_sesea_plataforma_digital_nacional",
    "mexico_puebla_state_seseap_plataforma_digital_nacional",
    "mexico_quien_es_quien_releases",
    "mexico_quintana_roo_sesaeqroo_plataforma_digital_nacional",
    "mexico_veracruz_state_sesea_plataforma_digital_nacional",
    "mexico_yucatan_inaip",
    "nepal_dhangadhi",
    "netherlands_tenderned",
    "nigeria_anambra_state",
    "nigeria_osun_state",
    "nigeria_portal",
    "paraguay_hacienda",
    "peru_compras_api",
    "peru_compras_bulk",
    "south_africa_etenders_api",
    "thailand_bangkok",
    "uk_scotland_public_contracts",
    "uk_wales_sell2wales",
    "united_states_portland",
    "zambia_zppa",
}


def test_every_real_spider_declares_its_publisher(publishers):
    assert publishers and not any(p["is_sandbox"] for p in publishers)
    for p in publishers:
        assert p["url"], p["name"]
        # GACM's OCIDs are bare numbers; the AAC's and Nuevo León's DGAyS's prefixes are not known yet; the
        # registry's publications each have their publisher's own
        exempt = {
            "mexico_gacm",
            "taiwan_aac",
            "mexico_nuevo_leon",
            "data_registry",
            *NOT_YET_CHECKED,
        }
        assert p["ocid_prefixes"] or p["name"] in exempt, p["name"]
        assert p["update_frequency"], p["name"]
        # the registry's publications take their licences from the registry when they are crawled
        if p["name"] != "data_registry" and p["name"] not in NOT_YET_CHECKED:
            assert bool(p["licence"]) != (p["name"] in NO_LICENCE_STATED), p["name"]
        assert p["level"] and p["country"] and p["ocds_version"] and p["publisher_name"], p["name"]
        assert p["documentation"] and p["shape"], p["name"]


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
