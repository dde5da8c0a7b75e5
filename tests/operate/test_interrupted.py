"""Loads that die: killed with SIGKILL at several points, a load is closed as interrupted by the next command (its
heartbeat stopped), its rows kept but not compiled; run again, it gives the rows, notes and compiled releases of a
load that was never interrupted. Two compiles at once take turns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from tests.crawling import ROOT

runner = CliRunner()
FILES = 8
RELEASES = 1500


@pytest.fixture
def fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setenv("OCDS_ATLAS_HEARTBEAT_SECONDS", "0.1")
    return 0.1 * 4  # the lease: four silent heartbeats


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files of release packages, the same OCIDs across files (so that compiling merges), one of them invalid."""
    path = tmp_path_factory.mktemp("interrupted")
    for n in range(FILES):
        releases = [
            {"ocid": f"ocds-test01-{i % 700}", "id": f"{n}-{i}", "date": f"2020-01-{1 + n:02d}T00:00:00Z"}
            for i in range(RELEASES)
        ]
        (path / f"{n:02d}.json").write_bytes(orjson.dumps({"version": "1.1", "releases": releases}))
    (path / "05.json").write_bytes(b'{"version": "1.1", "releases": [')  # a note, in every run
    return path


def load(directory: Path, publisher: str) -> None:
    result = runner.invoke(app, ["load", str(directory), "--publisher", publisher, "--country", "XA", "--workers", "1"])
    # 05.json is invalid on purpose: said, and the load exits 1 (the other files are stored)
    assert result.exit_code == 1 and "1 of 8 files could not be stored" in result.output, result.output


def last_crawl(conn, publisher: str) -> dict:
    return conn.execute(
        "SELECT c.* FROM crawl c JOIN publisher p ON p.id = c.publisher_id WHERE p.name = %s "
        "ORDER BY c.id DESC LIMIT 1",
        (publisher,),
    ).fetchone()


def rows_of(conn, crawl_id: int) -> list[tuple]:
    rows = conn.execute(
        "SELECT f.path, r.member, r.ordinal, r.ocid, r.release_id, r.date, r.data_id, r.package_data_id "
        "FROM release r JOIN crawl_file f ON f.id = r.crawl_file_id WHERE r.crawl_id = %s ORDER BY f.id, r.ordinal",
        (crawl_id,),
    )
    return [(Path(row["path"]).name, *list(row.values())[1:]) for row in rows]


def notes_of(conn, crawl_id: int) -> list[tuple]:
    rows = conn.execute(
        "SELECT f.path, n.stage, n.level::text AS level, n.code, n.message, n.data, n.count FROM note n "
        "LEFT JOIN crawl_file f ON f.id = n.crawl_file_id WHERE n.crawl_id = %s",
        (crawl_id,),
    )
    return sorted((Path(row["path"] or "").name, *list(row.values())[1:6], row["count"]) for row in rows)


def compiled_of(conn, publisher: str) -> list[tuple]:
    rows = conn.execute(
        "SELECT c.ocid, c.data_id, c.release_count FROM compiled_release c JOIN publisher p ON p.id = c.publisher_id "
        "WHERE p.name = %s ORDER BY c.ocid",
        (publisher,),
    )
    return [tuple(row.values()) for row in rows]


def kill_after(directory: Path, publisher: str, conn, loaded: int) -> None:
    """Start a load in a child and kill it (SIGKILL) once ``loaded`` files are stored."""
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "load", str(directory)]
    command += ["--publisher", publisher, "--country", "XA", "--workers", "1"]
    child = subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            row = conn.execute(
                "SELECT count(f.loaded_at) AS n, count(c.id) AS crawls FROM crawl c "
                "JOIN publisher p ON p.id = c.publisher_id LEFT JOIN crawl_file f ON f.crawl_id = c.id "
                "WHERE p.name = %s AND c.status = 'running'",
                (publisher,),
            ).fetchone()
            if row["crawls"] and row["n"] >= loaded:
                break
            time.sleep(0.005)
        assert child.poll() is None, child.communicate()[1]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()


@pytest.mark.parametrize("loaded", [0, 1, 4])
def test_a_load_killed_then_run_again_equals_a_load_never_interrupted(
    atlas_env, conn, directory, fast_heartbeat, loaded
):
    load(directory, "whole")
    whole = last_crawl(conn, "whole")

    kill_after(directory, "killed", conn, loaded)
    killed = last_crawl(conn, "killed")
    assert killed["status"] == "running"  # as the process left it
    time.sleep(fast_heartbeat + 0.3)
    status = runner.invoke(app, ["status", "--format", "json"])
    crawls = {crawl["id"]: crawl for crawl in orjson.loads(status.output)["crawls"]}
    assert crawls[killed["id"]]["status"] == "interrupted"
    interrupted = last_crawl(conn, "killed")
    assert interrupted["ended_at"] == interrupted["heartbeat_at"]
    note = conn.execute("SELECT * FROM note WHERE crawl_id = %s AND code = 'load_interrupted'", (killed["id"],))
    assert note.fetchone()["level"] == "warning"

    runner.invoke(app, ["compile"])
    assert compiled_of(conn, "killed") == []  # kept, not compiled
    stored = len(rows_of(conn, killed["id"]))
    assert stored % RELEASES == 0 and stored >= loaded * RELEASES * 0.8  # whole files only
    output = runner.invoke(app, ["status", "--format", "json"]).output
    publishers = {p["name"]: p for p in orjson.loads(output)["publishers"]}
    assert publishers["killed"]["releases"] == 0 and publishers["killed"]["interrupted_releases"] == stored

    load(directory, "killed")
    rerun = last_crawl(conn, "killed")
    assert rerun["status"] == "finished"
    assert rows_of(conn, rerun["id"]) == rows_of(conn, whole["id"])
    assert notes_of(conn, rerun["id"]) == notes_of(conn, whole["id"])
    runner.invoke(app, ["compile"])
    assert compiled_of(conn, "killed") == compiled_of(conn, "whole")
    assert len(compiled_of(conn, "whole")) == 700


def test_two_compiles_at_once_take_turns(atlas_env, conn, directory):
    load(directory, "both")
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "compile", "--workers", "1"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    children = [subprocess.Popen(command, cwd=ROOT, env=os.environ, **pipes) for _ in range(2)]
    outputs = [child.communicate(timeout=600)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    assert all("Traceback" not in output and "error" not in output for output in outputs), outputs
    assert len(compiled_of(conn, "both")) == 700
