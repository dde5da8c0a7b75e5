"""Scrapyd: the spiders' egg deployed with ``scrapyd-deploy`` to a real Scrapyd on 127.0.0.1, a sandbox crawl
scheduled through its HTTP API landing in the same database as a local crawl, and ``ocds-atlas update
--via-scrapyd`` scheduling there."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.errors import AtlasError
from aggregator.operate import scrapyd
from tests.httpserver import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
runner = CliRunner()
#: An extra spider that only the egg holds: its being listed shows that the node runs the egg's spiders.
EGG_ONLY_SPIDER = """
from spiders.sandbox_xb_city import SandboxXbCitySpider


class SandboxEggOnlySpider(SandboxXbCitySpider):
    name = "sandbox_egg_only"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def node(atlas_env: Path, tmp_path: Path) -> Iterator[str]:
    """A Scrapyd on 127.0.0.1 whose jobs write to the test's database and home (its environment is theirs)."""
    directory = tmp_path / "scrapyd"
    directory.mkdir()
    port = free_port()
    (directory / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {directory / 'eggs'}\nlogs_dir = {directory / 'logs'}\ndbs_dir = {directory / 'dbs'}\n"
        "items_dir =\nmax_proc = 2\npoll_interval = 0.2\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "SCRAPY_SETTINGS_MODULE")}
    url = f"http://127.0.0.1:{port}/"
    with (directory / "scrapyd.out").open("wb") as log:
        process = subprocess.Popen([BIN / "scrapyd"], cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(url, process, directory / "scrapyd.out")
            yield url
        finally:
            process.terminate()
            process.wait(15)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scrapyd exited: {log.read_text()[-2000:]}")
        try:
            scrapyd._call(url, "daemonstatus.json")
            return
        except AtlasError:
            time.sleep(0.1)
    raise AssertionError(f"scrapyd did not start: {log.read_text()[-2000:]}")


def deploy(url: str, tmp_path: Path) -> dict:
    """``scrapyd-deploy`` with the target of the project's scrapy.cfg (its URL pointed at the test's node), the egg
    built from the project's spiders plus one the checkout does not have."""
    spiders = tmp_path / "egg" / "spiders"
    shutil.copytree(ROOT / "spiders", spiders, ignore=shutil.ignore_patterns("__pycache__"))
    (spiders / "sandbox_egg_only.py").write_text(EGG_ONLY_SPIDER)
    egg = scrapyd.build_egg(tmp_path / "ocds_atlas.egg", spiders)
    config = configparser.ConfigParser()
    config.read(ROOT / "scrapy.cfg")
    config["deploy"]["url"] = url
    project_dir = tmp_path / "deploy"
    project_dir.mkdir()
    with (project_dir / "scrapy.cfg").open("w") as f:
        config.write(f)
    command = [BIN / "scrapyd-deploy", "--egg", str(egg), "--version", "r1"]
    result = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for(url: str, job: str, timeout: float = 60) -> dict:
    """Poll listjobs.json until the job is finished; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = {j["id"]: j for j in scrapyd.list_jobs(url)["finished"]}
        if job in finished:
            return finished[job]
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish in {timeout} s")


def crawl_facts(conn: psycopg.Connection, crawl_id: int) -> dict:
    """What a crawl stored, in terms that two crawls of the same data share."""
    crawl = conn.execute("SELECT * FROM crawl WHERE id = %s", (crawl_id,)).fetchone()
    releases = conn.execute(
        "SELECT ocid, release_id, date_text FROM release WHERE crawl_id = %s ORDER BY 1, 2, 3", (crawl_id,)
    ).fetchall()
    notes = conn.execute(
        "SELECT code, sum(count) AS n FROM note WHERE crawl_id = %s GROUP BY code ORDER BY code", (crawl_id,)
    ).fetchall()
    files = conn.execute("SELECT count(*) AS n FROM crawl_file WHERE crawl_id = %s", (crawl_id,)).fetchone()["n"]
    return {
        "status": (crawl["status"], crawl["close_reason"]),
        "arguments": crawl["arguments"],
        "files": files,
        "releases": [tuple(r.values()) for r in releases],
        "notes": [tuple(n.values()) for n in notes],
    }


def test_a_crawl_scheduled_on_scrapyd_lands_in_the_database_like_a_local_one(node, tmp_path, atlas_env, conn, sandbox):
    reply = deploy(node, tmp_path)
    assert (reply["status"], reply["project"], reply["version"]) == ("ok", "ocds_atlas", "r1")
    listed = scrapyd._call(node, "listspiders.json?project=ocds_atlas")["spiders"]
    assert {"sandbox_xb_city", "sandbox_egg_only", "sandbox_xa"} <= set(listed)

    arguments = {"sample": "30", "from_date": "2022-01-01", "until_date": "2022-06-30"}
    job = scrapyd.schedule(node, "sandbox_xb_city", arguments, settings={"OCDS_ATLAS_SANDBOX_URL": sandbox.url})
    finished = wait_for(node, job)
    log = (tmp_path / "scrapyd" / finished["log_url"].lstrip("/")).read_text()
    assert "Spider closed (sample)" in log

    remote = conn.execute("SELECT id FROM crawl").fetchone()["id"]
    # The job compiled and normalized what it stored when it closed, on the node.
    assert conn.execute("SELECT count(*) AS n FROM compile_queue").fetchone()["n"] == 0
    distinct = conn.execute("SELECT count(DISTINCT ocid) AS n FROM release").fetchone()["n"]
    assert conn.execute("SELECT count(*) AS n FROM compiled_release").fetchone()["n"] == distinct > 0
    for row in conn.execute("SELECT path, sha256 FROM crawl_file WHERE crawl_id = %s", (remote,)):
        path = Path(row["path"])
        assert path.is_relative_to(atlas_env / "crawls" / "sandbox_xb_city")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]

    local_args = ["--sample", "30", "--from-date", "2022-01-01", "--until-date", "2022-06-30"]
    result = runner.invoke(app, ["crawl", "sandbox_xb_city", *local_args])
    assert result.exit_code == 0, result.output
    local = conn.execute("SELECT max(id) AS id FROM crawl").fetchone()["id"]
    remote_facts, local_facts = crawl_facts(conn, remote), crawl_facts(conn, local)
    assert remote_facts == local_facts
    assert remote_facts["status"] == ("finished", "sample") and len(remote_facts["releases"]) == 30


def test_update_via_scrapyd_schedules_on_a_live_node(node, tmp_path, atlas_env, conn, sandbox, monkeypatch):
    deploy(node, tmp_path)
    monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", sandbox.url)
    result = runner.invoke(app, ["update", "--via-scrapyd", node, "--publisher", "sandbox_xb_city"])
    assert result.exit_code == 0, result.output
    assert "1 scheduled" in result.output and "not compiled here" in result.output
    (job,) = [job["id"] for jobs in scrapyd.list_jobs(node).values() for job in jobs]
    wait_for(node, job)
    crawl = conn.execute("SELECT * FROM crawl").fetchone()
    assert crawl["status"] == "finished" and crawl["arguments"]["incremental"] is True
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] > 0
    assert conn.execute("SELECT count(*) AS n FROM compile_queue").fetchone()["n"] == 0

    again = runner.invoke(app, ["update", "--via-scrapyd", node, "--include-sandbox"])
    assert again.exit_code == 0, again.output
    assert "nothing was due" in again.output  # just crawled on the node: not due


# The egg and the client, without a node


def test_the_egg_holds_the_spiders_and_names_the_settings(tmp_path):
    egg = scrapyd.build_egg(tmp_path / "a.egg")
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        assert archive.read("EGG-INFO/entry_points.txt").decode() == "[scrapy]\nsettings = crawler.settings\n"
    assert {"spiders/__init__.py", "spiders/sandbox_xa.py", "EGG-INFO/PKG-INFO"} <= names
    assert not any(name.startswith(("aggregator/", "crawler/")) for name in names)  # installed on the node
    assert scrapyd.build_egg(tmp_path / "b.egg").read_bytes() == egg.read_bytes()  # same spiders, same bytes
    with pytest.raises(AtlasError, match="not a package of spiders"):
        scrapyd.build_egg(tmp_path / "c.egg", tmp_path)


def test_the_client_sends_credentials_and_reports_refusals():
    with LocalServer() as server:
        server.route("/schedule.json", lambda r: Reply.json({"status": "error", "message": "no such spider"}))
        server.route("/listjobs.json", lambda r: Reply.json({"status": "ok", "pending": [{"spider": "a"}]}))
        base = server.url.replace("http://", "http://atlas:s3cret@")
        with pytest.raises(AtlasError, match=r"refused schedule\.json: no such spider") as error:
            scrapyd.schedule(base, "x", {})
        assert "s3cret" not in str(error.value)
        assert server.requests[0].headers["Authorization"] == "Basic YXRsYXM6czNjcmV0"
        assert scrapyd.active_jobs(server.url) == ["a"]
    with pytest.raises(AtlasError, match="http\\(s\\)://host:port"):
        scrapyd.schedule("ftp://example.org", "x", {})


def test_the_egg_command(tmp_path, capsys):
    assert scrapyd.main(["egg", str(tmp_path / "out" / "atlas.egg")]) == 0
    assert zipfile.is_zipfile(tmp_path / "out" / "atlas.egg")
    assert "settings crawler.settings" in capsys.readouterr().out
    assert scrapyd.main(["eggs"]) == 2
    assert "usage: python -m aggregator.operate.scrapyd egg PATH" in capsys.readouterr().out
