"""The project's Scrapy commands: checkall, genspider -t publisher, crawlall."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.commands.checkall import check_docstring, check_licence_and_prefixes, spider_class_name
from crawler.commands.crawlall import dry_run_outcome
from spiders.sandbox_xa import SandboxXaSpider

ROOT = Path(__file__).resolve().parents[2]

GOOD = '''
from crawler.spiders import SimpleSpider


class GoodOneSpider(SimpleSpider):
    """
    Publisher
      Ministry of Finance
    Spider arguments
      sample
    """

    name = "good_one"
    country = "PY"
    publisher_name = "Ministry of Finance"
    data_type = "release_package"
    ocds_version = "1.1"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    ocid_prefixes = ("ocds-abc123-",)
    facts_from = ("https://example.org/docs",)
    start_urls = ("https://example.org/releases.json",)
'''
BAD = {
    "misnamed": GOOD.replace('name = "good_one"', 'name = "other_name"'),
    "bad_class": GOOD.replace("good_one", "bad_class").replace("GoodOneSpider", "BadclassSpider"),
    "bad_licence": GOOD.replace("good_one", "bad_licence").replace("GoodOne", "BadLicence").replace("https:", "ftp:"),
    "bad_docstring": GOOD.replace("good_one", "bad_docstring")
    .replace("GoodOne", "BadDocstring")
    .replace("    Publisher\n      Ministry of Finance\n", ""),
    "refused": GOOD.replace("good_one", "refused").replace("GoodOne", "Refused").replace('"PY"', '"py"'),
    "two_spiders": GOOD.replace("good_one", "two_spiders").replace("GoodOne", "TwoSpiders")
    + GOOD.replace("GoodOneSpider", "OtherSpider"),
    "left_todo": GOOD.replace("good_one", "left_todo").replace("GoodOne", "LeftTodo") + "# TODO: finish\n",
    "no_facts": GOOD.replace("good_one", "no_facts").replace("GoodOne", "NoFacts").replace("    facts_from", "    # "),
    "no_prefixes": GOOD.replace("good_one", "no_prefixes")
    .replace("GoodOne", "NoPrefixes")
    .replace("    ocid_", "    # "),
}


def scrapy(
    *args: str, pythonpath: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    child_env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", **(env or {})}
    if pythonpath:
        child_env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), str(ROOT)])
    command = [sys.executable, "-m", "scrapy", *args]
    return subprocess.run(command, cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=300)


def spiders_package(directory: Path, modules: dict[str, str]) -> Path:
    package = directory / "somespiders"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in modules.items():
        (package / f"{name}.py").write_text(text)
    return directory


# checkall


def test_spider_class_name():
    assert spider_class_name("exampleland_finance_api") == "ExamplelandFinanceApiSpider"


@pytest.mark.parametrize(
    ("docstring", "problem"),
    [
        (None, "no docstring"),
        ("\n    Shape\n      x\n    Publisher\n      y\n", "must start with the heading 'Publisher'"),
        ("\n    Publisher\n      x\n    Notes\n      y\n", "are not among"),
        ("\n    Publisher\n      x\n    Spider arguments\n      y\n    Shape\n      z\n", "in the order"),
        ("\n    Publisher\n      x\n    Shape\n      z\n    Shape\n      z\n", "in the order"),
        ("\n    Publisher\n    Shape\n      z\n", "'Publisher' has no indented text"),
    ],
)
def test_check_docstring_problems(docstring, problem):
    assert any(problem in p for p in check_docstring(docstring))


def test_check_docstring_accepts_the_headings_in_order():
    docstring = """
    Publisher
      A
    API documentation
      https://example.org
    Shape
      B
    Spider arguments
      from_date: C
    """
    assert check_docstring(docstring) == []


def test_checkall_passes_on_the_real_spiders():
    result = scrapy("checkall")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 problems" in result.stdout


def test_checkall_reports_every_bad_spider(tmp_path):
    path = spiders_package(tmp_path, {"good_one": GOOD, **BAD})
    result = scrapy("checkall", "-s", "SPIDER_MODULES=somespiders", pythonpath=path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-1].startswith(f"{len(BAD) + 1} spider modules checked, ")
    expected = {
        "misnamed": "name 'other_name' is not the file's name 'misnamed'",
        "bad_class": "class BadclassSpider should be named BadClassSpider",
        "bad_licence": "licence must be an http(s) URL",
        "bad_docstring": "docstring must start with the heading 'Publisher'",
        "refused": "cannot be imported: TypeError",
        "two_spiders": "defines 2 spiders, not one",
        "left_todo": "a TODO is left",
        "no_facts": "must declare facts_from",
        "no_prefixes": "declare ocid_prefixes",
    }
    for module, problem in expected.items():
        assert any(line.startswith(f"somespiders.{module}: ") and problem in line for line in lines), (module, lines)
    assert not any(line.startswith("somespiders.good_one") for line in lines)


# genspider


FILLED = {
    "TODO: the publisher's name, as it calls itself": "Ministry of Finance of Exampleland",
    "TODO: the URL of the publisher's documentation (or delete this heading)": "https://example.org/docs",
    'TODO: what the publisher serves, e.g. "a paged API of release packages" (or delete this heading)': "Packages",
    'country = "TODO"  # ISO 3166-1 alpha-2': 'country = "PY"',
    'publisher_name = "TODO"': 'publisher_name = "Ministry of Finance of Exampleland"',
    'data_type = "TODO"  # one of crawler.spiders.declarations.DATA_TYPES': 'data_type = "release_package"',
    'ocds_version = "1.1"  # TODO: 1.0 or 1.1, when the packages do not say': 'ocds_version = "1.1"',
    "licence = None  # TODO: the licence's URL; or licence_stated = False when the publisher states none": (
        "licence_stated = False"
    ),
    'ocid_prefixes = ()  # TODO: the OCID prefixes ("ocds-xxxxxx-",); or no_ocid_prefix = "why there is none"': (
        'ocid_prefixes = ("ocds-abc123-",)'
    ),
    'facts_from = ()  # TODO: where the facts come from: "kingfisher-collect:NAME@YYYY-MM", documentation URLs': (
        'facts_from = ("https://example.org/docs",)'
    ),
    "  # TODO: the URLs to fetch": "",
}


def fill(text: str) -> str:
    for todo, value in FILLED.items():
        assert todo in text, todo
        text = text.replace(todo, value)
    # The comment above the class asks to choose a base spider: SimpleSpider it stays.
    return "\n".join(line for line in text.splitlines() if not line.startswith("# ")) + "\n"


def test_genspider_writes_a_spider_that_passes_checkall_once_filled(tmp_path):
    path = spiders_package(tmp_path, {})
    settings = ["-s", "NEWSPIDER_MODULE=somespiders", "-s", "SPIDER_MODULES=somespiders"]
    result = scrapy("genspider", "exampleland_fin2api", "example.org", *settings, pythonpath=path)
    assert result.returncode == 0, result.stdout + result.stderr
    spider = path / "somespiders" / "exampleland_fin2api.py"
    text = spider.read_text()
    assert "class ExamplelandFin2ApiSpider(SimpleSpider):" in text
    assert 'start_urls = ("https://example.org",)' in text

    result = scrapy("checkall", *settings, pythonpath=path)
    assert result.returncode == 1
    assert "cannot be imported" in result.stdout

    spider.write_text(fill(text))
    result = scrapy("checkall", *settings, pythonpath=path)
    assert result.returncode == 0, result.stdout + spider.read_text()


# crawlall


def test_dry_run_outcome():
    assert dry_run_outcome({"ocds_atlas/dry_run_status": 200, "ocds_atlas/dry_run_url": "u"}) == (True, "HTTP 200 u")
    assert dry_run_outcome({"ocds_atlas/dry_run_status": 404, "ocds_atlas/dry_run_url": "u"})[0] is False
    failed = dry_run_outcome({"downloader/exception_type_count/twisted.ConnectionRefusedError": 1})
    assert failed == (False, "no response (twisted.ConnectionRefusedError)")


def sandbox_only(directory: Path) -> tuple[list[str], Path]:
    """Settings and a PYTHONPATH under which only the sandbox spiders exist (the real ones would go online)."""
    spiders = sorted((ROOT / "spiders").glob("sandbox_*.py"))
    path = spiders_package(directory, {p.stem: p.read_text() for p in spiders})
    return ["-s", "SPIDER_MODULES=somespiders"], path


def test_crawlall_leaves_the_sandbox_out_unless_asked(atlas_env, conn, tmp_path):
    settings, path = sandbox_only(tmp_path)
    result = scrapy("crawlall", "--dry-run", *settings, pythonpath=path)
    assert result.returncode == 0, result.stderr
    assert "no spider to run" in result.stdout


def test_crawlall_skips_a_spider_without_its_credentials(atlas_env, conn, tmp_path, monkeypatch):
    monkeypatch.delenv("PARAGUAY_DNCP_REQUEST_TOKEN", raising=False)
    path = spiders_package(tmp_path, {"paraguay_dncp_records": (ROOT / "spiders/paraguay_dncp_records.py").read_text()})
    result = scrapy("crawlall", "--dry-run", "-s", "SPIDER_MODULES=somespiders", pythonpath=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "paraguay_dncp_records: skipped, needs the credential(s) PARAGUAY_DNCP_REQUEST_TOKEN"
    ]


def test_crawlall_dry_run_requests_each_spiders_first_url_and_stores_nothing(atlas_env, conn, sandbox, tmp_path):
    settings, path = sandbox_only(tmp_path)
    env = {"OCDS_ATLAS_SANDBOX_URL": sandbox.url}
    result = scrapy("crawlall", "--dry-run", "--include-sandbox", *settings, pythonpath=path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # each line says how long the answer took: left out of the comparison
    lines = sorted(re.sub(r" in \d+\.\d\d s ", " ", line) for line in result.stdout.splitlines())
    assert lines == [
        f"sandbox_xa: HTTP 200 {sandbox.url}/xa/releases?page=1",
        f"sandbox_xb: HTTP 200 {sandbox.url}/xb/bulk.zip",
        f"sandbox_xb_city: HTTP 200 {sandbox.url}/xb_city/releases?page=1",
        f"sandbox_xc: HTTP 200 {sandbox.url}/xc/records?page=1",
    ]
    assert conn.execute("SELECT count(*) AS n FROM crawl").fetchone()["n"] == 0
    assert not (atlas_env / "crawls").exists()


def test_crawlall_dry_run_fails_when_a_spider_gets_no_answer(atlas_env, conn, tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"OCDS_ATLAS_SANDBOX_URL": f"http://127.0.0.1:{port}"}
    settings, path = sandbox_only(tmp_path)
    result = scrapy(
        "crawlall", "--dry-run", "--include-sandbox", "-s", "RETRY_ENABLED=0", *settings, pythonpath=path, env=env
    )
    assert result.returncode == 1
    assert all("no response" in line for line in result.stdout.splitlines())


def test_crawlall_crawls_every_spider_with_a_sample(atlas_env, conn, sandbox, tmp_path):
    env = {"OCDS_ATLAS_SANDBOX_URL": sandbox.url, "OCDS_ATLAS_COMPILE_AFTER_CRAWL": "0"}
    settings, path = sandbox_only(tmp_path)
    arguments = ("--include-sandbox", "--sample", "5", "-s", "LOG_LEVEL=WARNING", *settings)
    result = scrapy("crawlall", *arguments, pythonpath=path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == 4
    crawls = conn.execute(
        "SELECT p.name, c.close_reason FROM crawl c JOIN publisher p ON p.id = c.publisher_id ORDER BY p.name"
    ).fetchall()
    assert [(c["name"], c["close_reason"]) for c in crawls] == [
        (name, "sample") for name in ("sandbox_xa", "sandbox_xb", "sandbox_xb_city", "sandbox_xc")
    ]


def test_checkall_refuses_a_spider_silent_on_its_licence_or_prefixes():
    class Silent(SandboxXaSpider):
        name = "silent"
        is_sandbox = False
        licence = None
        ocid_prefixes = ()

    problems = check_licence_and_prefixes(Silent)
    assert any("declare licence" in problem for problem in problems)
    assert any("declare ocid_prefixes" in problem for problem in problems)

    class Checked(Silent):
        name = "checked"
        licence_stated = False
        no_ocid_prefix = "bare numbers"

    assert check_licence_and_prefixes(Checked) == []

    class Contradicts(Silent):
        name = "contradicts"
        licence = "https://example.org/licence"
        ocid_prefixes = ("ocds-abc123-",)
        unchecked = ("licence", "ocid_prefixes", "url")

    assert len(check_licence_and_prefixes(Contradicts)) == 3
