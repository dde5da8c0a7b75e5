"""Retention of the files store (``ocds-atlas prune``), on real crawls of the sandbox into PostgreSQL."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.operate.retention import decide
from tests.conftest import PUBLISHERS

runner = CliRunner()
SPIDER = "sandbox_xb_city"
FIRST_HALF = ("--from-date", "2022-01-01", "--until-date", "2022-06-30")


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def crawl(conn, *args: str, code: int = 0) -> dict:
    invoke("crawl", SPIDER, "--no-compile", *args, code=code)
    return conn.execute("SELECT * FROM crawl ORDER BY id DESC LIMIT 1").fetchone()


def on_disk(path: str) -> list[Path]:
    return [entry for entry in Path(path).rglob("*") if entry.is_file()]


def test_prune_keeps_the_latest_successful_crawls_and_those_still_newest_for_an_ocid(atlas_env, conn):
    full = crawl(conn)
    first, second = crawl(conn, *FIRST_HALF), crawl(conn, *FIRST_HALF)
    failed = crawl(conn, "--from-date", "2099-01-01", code=1)  # stores nothing: not accepted
    assert (full["status"], second["status"], failed["status"]) == ("finished", "finished", "failed")

    # The two latest successful crawls are kept; the full one is older, but the only source of the second half's
    # OCIDs.
    output = invoke("prune", "--keep", "2")
    assert f"kept crawl {full['id']} of {SPIDER}: its releases or records are still the newest of some OCIDs" in output
    assert "deleted the files of 0 crawl(s)" in output

    files = on_disk(first["files_path"])
    size = sum(path.stat().st_size for path in files)
    stored = conn.execute("SELECT count(*) FROM crawl_file WHERE crawl_id = %s", [first["id"]]).fetchone()["count"]
    assert len(files) == stored
    dry = invoke("prune", "--keep", "1", "--dry-run")
    assert f"would delete the files of crawl {first['id']} of {SPIDER}: {len(files)} files" in dry
    assert Path(first["files_path"]).is_dir()

    output = invoke("prune", "--keep", "1")
    assert f"deleted the files of crawl {first['id']} of {SPIDER}: {len(files)} files" in output
    assert not Path(first["files_path"]).exists()
    # Kept: the full crawl (newest for some OCIDs), the latest successful crawl, and the failed crawl after it.
    for kept in (full, second, failed):
        assert on_disk(kept["files_path"]), kept["id"]
    pruned = {row["id"] for row in conn.execute("SELECT id FROM crawl WHERE files_pruned_at IS NOT NULL")}
    assert pruned == {first["id"]}
    note = conn.execute("SELECT * FROM note WHERE code = 'crawl_files_pruned'").fetchone()
    assert (note["crawl_id"], note["level"], note["data"]["files"], note["data"]["bytes"]) == (
        first["id"],
        "info",
        len(files),
        size,
    )
    # The rows stay, and pruning again does nothing.
    assert conn.execute("SELECT count(*) FROM release WHERE crawl_id = %s", [first["id"]]).fetchone()["count"] > 0
    assert "deleted the files of 0 crawl(s)" in invoke("prune", "--keep", "1")
    status = json.loads(runner.invoke(app, ["status", "--format", "json"]).output)
    by_id = {row["id"]: row for row in status["crawls"]}
    assert by_id[first["id"]]["files_pruned_at"] is not None and by_id[second["id"]]["files_pruned_at"] is None


def test_prune_never_touches_running_or_resumable_crawls_nor_loads(atlas_env, conn, monkeypatch):
    resumable, running, latest = crawl(conn, *FIRST_HALF), crawl(conn, *FIRST_HALF), crawl(conn, *FIRST_HALF)
    state = atlas_env / "jobs" / SPIDER / "spider.state"
    state.parent.mkdir(parents=True)
    state.write_bytes(pickle.dumps({"crawl_id": resumable["id"]}))
    conn.execute("UPDATE crawl SET status = 'running' WHERE id = %s", [running["id"]])
    source = PUBLISHERS / "australia_nsw" / "release-package" / "1.json"
    for _ in range(3):
        invoke("load", str(source), "--publisher", "loaded", "--country", "AU")

    monkeypatch.setenv("OCDS_ATLAS_KEEP_CRAWLS", "1")  # the default of --keep
    output = invoke("prune")
    assert f"kept crawl {resumable['id']} of {SPIDER}: it can be resumed" in output
    assert "deleted the files of 0 crawl(s)" in output
    for kept in (resumable, running, latest):
        assert on_disk(kept["files_path"])
    assert source.is_file()

    # Once the crawl no longer runs, it goes.
    conn.execute("UPDATE crawl SET status = 'finished' WHERE id = %s", [running["id"]])
    assert f"deleted the files of crawl {running['id']} of {SPIDER}" in invoke("prune")
    assert not Path(running["files_path"]).exists()


def test_a_bad_keep_setting_is_one_clear_error(atlas_env, monkeypatch):
    monkeypatch.setenv("OCDS_ATLAS_KEEP_CRAWLS", "two")
    assert "OCDS_ATLAS_KEEP_CRAWLS must be a whole number of at least 1, not 'two'" in invoke("prune", code=1)


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ({"id": 1, "still_newest": True, "files_path": "/store/x/1"}, "still the newest"),
        ({"id": 2, "still_newest": False, "files_path": "/store/x/2"}, "can be resumed"),
        ({"id": 3, "still_newest": False, "files_path": "/elsewhere/x/3"}, "not in the files store"),
        ({"id": 4, "still_newest": False, "files_path": "/store/x/4"}, None),
    ],
)
def test_decide(candidate, reason):
    decision = decide(candidate, Path("/store"), resumable={2})
    assert decision == reason or (reason is not None and reason in decision)
