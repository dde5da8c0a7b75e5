"""Sandbox crawls end to end: Scrapy against the sandbox server on 127.0.0.1, into a real PostgreSQL."""

import hashlib
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import cached_records, cached_releases
from aggregator.sandbox.server import RELEASES_PER_PAGE

runner = CliRunner()


def crawl(*args: str) -> str:
    result = runner.invoke(app, ["crawl", *args])
    assert result.exit_code == 0, result.output
    return result.output


def scalar(conn, sql: str, *params):
    return conn.execute(sql, params).fetchone()["v"]


def notes(conn) -> dict[str, int]:
    rows = conn.execute("SELECT code, sum(count) AS n FROM note GROUP BY code").fetchall()
    return {row["code"]: row["n"] for row in rows}


def test_paged_api_with_an_undated_release_and_an_invalid_final_page(atlas_env, conn):
    crawl("sandbox_xa")
    total = len(cached_releases("xa"))
    pages = math.ceil(total / RELEASES_PER_PAGE)
    # The final page is invalid JSON: its releases are lost, with a note; everything before it is stored.
    assert scalar(conn, "SELECT count(*) AS v FROM release") == RELEASES_PER_PAGE * (pages - 1)
    assert scalar(conn, "SELECT count(*) AS v FROM crawl_file") == pages
    codes = notes(conn)
    assert codes["invalid_json"] == 1
    assert codes["next_link_unreadable"] == 1
    assert codes["release_without_date"] >= 1
    crawl_row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (crawl_row["status"], crawl_row["close_reason"]) == ("finished", "finished")
    stored_ocids = scalar(conn, "SELECT count(DISTINCT ocid) AS v FROM release")
    assert scalar(conn, "SELECT count(*) AS v FROM compiled_release") == stored_ocids
    undated = SANDBOX_PUBLISHERS["xa"].faults.undated_release_id
    assert scalar(conn, "SELECT date_text AS v FROM release WHERE release_id = %s", undated) is None


def test_every_body_is_in_the_files_store(atlas_env, conn):
    crawl("sandbox_xb_city")
    files = conn.execute("SELECT path, sha256, url FROM crawl_file").fetchall()
    assert files
    for row in files:
        path = Path(row["path"])
        assert path.is_relative_to(atlas_env / "crawls" / "sandbox_xb_city")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
        assert row["url"].startswith("http://127.0.0.1:")
    assert scalar(conn, "SELECT count(*) AS v FROM release") == len(cached_releases("xb_city"))
    assert {r["ocds_version"] for r in conn.execute("SELECT DISTINCT ocds_version FROM release")} == {"1.0"}


def test_bulk_zip_of_json_lines_with_a_release_without_ocid(atlas_env, conn):
    crawl("sandbox_xb")
    total = len(cached_releases("xb"))
    assert scalar(conn, "SELECT count(*) AS v FROM release") == total - 1
    assert notes(conn)["release_without_ocid"] == 1
    members = {r["member"] for r in conn.execute("SELECT DISTINCT member FROM release")}
    assert all(m.startswith("releases-") and m.endswith(".jsonl") for m in members)
    assert len(members) >= 3


def test_record_packages_and_a_500_that_succeeds_on_retry(atlas_env, conn):
    crawl("sandbox_xc")
    records = cached_records("xc")
    assert scalar(conn, "SELECT count(*) AS v FROM record") == len(records)
    assert scalar(conn, "SELECT count(*) AS v FROM release") == sum(len(r["releases"]) for r in records)
    stats = conn.execute("SELECT stats FROM crawl").fetchone()["stats"]
    assert stats["retry/count"] == 1
    assert "request_failed" not in notes(conn)
    assert scalar(conn, "SELECT count(*) AS v FROM compiled_release WHERE method = 'merged'") > 0


def test_sample_stops_after_n_releases(atlas_env, conn):
    crawl("sandbox_xa", "--sample", "250")
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 250
    row = conn.execute("SELECT close_reason, arguments FROM crawl").fetchone()
    assert row["close_reason"] == "sample"
    assert row["arguments"]["sample"] == 250


def test_date_range_uses_the_publisher_filter(atlas_env, conn):
    crawl("sandbox_xb_city", "--from-date", "2022-01-01", "--until-date", "2022-06-30")
    dates = conn.execute("SELECT min(date) AS lo, max(date) AS hi, count(*) AS n FROM release").fetchone()
    assert dates["n"] > 0
    assert dates["lo"].isoformat() >= "2022-01-01"
    assert dates["hi"].isoformat() < "2022-07-01"


def test_unknown_spider_is_one_clear_error(atlas_env):
    result = runner.invoke(app, ["crawl", "no_such_spider"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "unknown spider 'no_such_spider'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("missing", ["country", "publisher_name", "data_type", "ocds_version"])
def test_spiders_must_declare(missing):
    from crawler.spiders import SimpleSpider

    declarations = {
        "name": "exampleland_x",
        "country": "XL",
        "publisher_name": "Ministry",
        "data_type": "release_package",
        "ocds_version": "1.1",
    }
    del declarations[missing]
    with pytest.raises(TypeError, match=missing):
        type("Broken", (SimpleSpider,), declarations)


def test_spider_declarations_are_checked():
    from crawler.spiders import SimpleSpider

    base = {"name": "exampleland_x", "publisher_name": "M", "data_type": "release_package", "ocds_version": "1.1"}
    with pytest.raises(TypeError, match="ISO 3166-1"):
        type("Broken", (SimpleSpider,), {**base, "country": "Exampleland"})
    with pytest.raises(TypeError, match="data_type"):
        type("Broken", (SimpleSpider,), {**base, "country": "XL", "data_type": "csv"})
    with pytest.raises(TypeError, match="sandbox"):
        type("Broken", (SimpleSpider,), {**base, "country": "XL", "name": "sandbox_x"})
    for name in ("../x", "Exampleland", "exampleland-x", "exampleland_x\n"):  # it names the spider's files
        with pytest.raises(TypeError, match="lower-case letters, digits and '_'"):
            type("Broken", (SimpleSpider,), {**base, "country": "XL", "name": name})


def test_sample_counts_records_not_their_embedded_releases(atlas_env, conn):
    crawl("sandbox_xc", "--sample", "30")
    assert scalar(conn, "SELECT count(*) AS v FROM record") == 30
    assert scalar(conn, "SELECT count(*) AS v FROM release") > 30


def test_scrapy_crawl_directly_compiles_when_the_crawl_closes(atlas_env, conn, sandbox):
    import os
    import subprocess
    import sys

    from aggregator.operate.crawl_runner import PROJECT_ROOT

    env = {**os.environ, "OCDS_ATLAS_SANDBOX_URL": sandbox.url}
    command = [sys.executable, "-m", "scrapy", "crawl", "sandbox_xb_city", "-a", "sample=20", "-s", "LOG_LEVEL=WARNING"]
    subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=True)
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 20
    assert scalar(conn, "SELECT count(*) AS v FROM compiled_release") == scalar(
        conn, "SELECT count(DISTINCT ocid) AS v FROM release"
    )
    assert scalar(conn, "SELECT count(*) AS v FROM compile_queue") == 0
    assert scalar(conn, "SELECT count(*) AS v FROM process") == scalar(
        conn, "SELECT count(*) AS v FROM compiled_release"
    )
