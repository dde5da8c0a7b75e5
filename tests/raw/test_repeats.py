"""Repeats: a directory loaded again stores nothing again (each file noted as already stored), two loads at once
store each file once, and an OCID is queued for compile only when it gains a body it did not have."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from aggregator.cli.main import app
from tests.conftest import PUBLISHERS
from tests.crawling import ROOT

runner = CliRunner()
DIRECTORY = PUBLISHERS / "mexico_cdmx" / "release-package"


def load(directory: Path, publisher: str = "cdmx", *options: str) -> str:
    result = runner.invoke(app, ["load", str(directory), "--publisher", publisher, "--country", "MX", *options])
    assert result.exit_code == 0, result.output
    return result.output


def counts(conn) -> dict[str, int]:
    tables = ("release", "record", "raw_data", "package_data", "crawl", "crawl_file")
    return {table: conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] for table in tables}


def queued(conn) -> list[str]:
    return [row["ocid"] for row in conn.execute("SELECT ocid FROM compile_queue ORDER BY ocid")]


def test_the_same_directory_loaded_again_stores_no_row_and_queues_nothing(atlas_env, conn):
    load(DIRECTORY)
    runner.invoke(app, ["compile"])
    first = counts(conn)
    assert queued(conn) == []
    output = load(DIRECTORY)
    second = counts(conn)
    files = first["crawl_file"]
    assert second == {**first, "crawl": 2, "crawl_file": 2 * files}
    assert queued(conn) == []  # nothing gained: nothing to compile
    skipped = conn.execute(
        "SELECT f.stored_as, f.releases, o.releases AS original, n.level::text AS level FROM crawl_file f "
        "JOIN crawl_file o ON o.id = f.stored_as "
        "JOIN note n ON n.crawl_file_id = f.id AND n.code = 'file_already_stored' "
        "WHERE f.crawl_id = 2"
    ).fetchall()
    assert len(skipped) == files
    assert all(row["releases"] == row["original"] and row["level"] == "info" for row in skipped)
    assert f"{first['release']} releases" in " ".join(output.split())  # the files hold them, stored once
    status = runner.invoke(app, ["status", "--format", "json"])
    publisher = orjson.loads(status.output)["publishers"][0]
    assert publisher["releases"] == first["release"]  # not counted twice


def test_a_changed_file_is_stored_and_only_the_ocids_that_gained_a_body_are_queued(atlas_env, conn, tmp_path):
    directory = tmp_path / "copy"
    shutil.copytree(DIRECTORY, directory)
    load(directory)
    runner.invoke(app, ["compile"])
    path = sorted(directory.glob("*.json"))[0]
    value = orjson.loads(path.read_bytes())
    changed = value["releases"][0]
    changed["tender"] = {**changed.get("tender", {}), "title": "a new title"}
    value["publishedDate"] = "2030-01-01T00:00:00Z"  # another file, the other releases unchanged
    path.write_bytes(orjson.dumps(value))
    before = counts(conn)
    load(directory)
    after = counts(conn)
    assert after["release"] == before["release"] + len(value["releases"])  # the changed file is stored
    assert after["raw_data"] == before["raw_data"] + 1  # one new body
    assert queued(conn) == [changed["ocid"]]  # the others gained nothing


def test_a_sample_reading_is_never_taken_for_the_whole_file(atlas_env, conn):
    from aggregator.raw.crawls import PublisherInfo, open_crawl, upsert_publisher
    from aggregator.raw.load import LoadOptions, load_file

    publisher_id = upsert_publisher(conn, PublisherInfo("cdmx", "cdmx", "MX"))
    crawl_id = open_crawl(conn, publisher_id, "load", {}, None)
    path = sorted(DIRECTORY.glob("*.json"))[0]
    partial = load_file(conn, publisher_id=publisher_id, crawl_id=crawl_id, path=path, options=LoadOptions(limit=1))
    whole = load_file(conn, publisher_id=publisher_id, crawl_id=crawl_id, path=path)
    again = load_file(conn, publisher_id=publisher_id, crawl_id=crawl_id, path=path)
    assert (partial.releases, whole.releases > 1, again.releases) == (1, True, whole.releases)
    assert again.notes == {"info": 1}
    assert counts(conn)["release"] == 1 + whole.releases


def test_two_loads_at_once_store_each_file_once(atlas_env, conn, database_url):
    load(DIRECTORY)
    alone = counts(conn)["release"]
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "load", str(DIRECTORY)]
    command += ["--publisher", "twice", "--country", "MX"]
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True}
    children = [subprocess.Popen(command, cwd=ROOT, env=os.environ, **pipes) for _ in range(2)]
    outputs = [child.communicate(timeout=300)[1] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    rows = conn.execute(
        "SELECT count(*) AS n FROM release r JOIN publisher p ON p.id = r.publisher_id WHERE p.name = 'twice'"
    ).fetchone()
    assert rows["n"] == alone  # no duplicate
    waited = [output for output in outputs if "another load of twice is running: waiting for it to end" in output]
    assert len(waited) <= 1
    statuses = conn.execute(
        "SELECT status FROM crawl c JOIN publisher p ON p.id = c.publisher_id WHERE p.name = 'twice'"
    )
    assert [row["status"] for row in statuses] == ["finished", "finished"]
