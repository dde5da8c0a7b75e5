"""Structured logs (one line when a crawl starts and one when it closes, JSON lines on request) and
``ocds-atlas status --format json``, on real crawls of the sandbox."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.operate.observability import JsonLogRecord

runner = CliRunner()
SPIDER = "sandbox_xb_city"


def log_lines(home: Path) -> list[str]:
    return (home / "logs" / f"{SPIDER}.log").read_text(encoding="utf-8").splitlines()


def count(conn, sql: str, *params: object) -> int:
    return conn.execute(sql, params).fetchone()["n"]


def test_json_logs_have_one_line_per_crawl_start_and_close_with_its_stats(atlas_env, conn, monkeypatch):
    monkeypatch.setenv("OCDS_ATLAS_LOG_FORMAT", "text")  # the option sets it: restored after the test
    args = ["--log-format", "json", "crawl", SPIDER, "--from-date", "2022-01-01", "--until-date", "2022-06-30"]
    result = runner.invoke(app, [*args, "--no-compile"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in log_lines(atlas_env)]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["message"].startswith("Scrapy ")  # even Scrapy's first line
    started = [line for line in lines if line.get("event") == "crawl_started"]
    closed = [line for line in lines if line.get("event") == "crawl_closed"]
    assert len(started) == len(closed) == 1
    crawl = conn.execute("SELECT * FROM crawl").fetchone()
    assert started[0]["crawl_id"] == closed[0]["crawl_id"] == crawl["id"]
    assert started[0]["arguments"]["from_date"] == "2022-01-01"
    line = closed[0]
    assert (line["spider"], line["publisher"], line["close_reason"], line["accepted"]) == (
        SPIDER,
        SPIDER,
        "finished",
        True,
    )
    assert line["files"] == count(conn, "SELECT count(*) AS n FROM crawl_file") > 0
    assert line["releases"] == count(conn, "SELECT count(*) AS n FROM release") > 0
    assert (line["records"], line["failed_requests"], line["errors"], line["reasons"]) == (0, 0, 0, [])
    assert 0 < line["duration_seconds"] < 120
    assert line["message"].startswith(f"crawl {crawl['id']} of {SPIDER} closed (finished): accepted;")


def test_text_logs_say_why_a_crawl_is_not_accepted(atlas_env, conn):
    result = runner.invoke(app, ["crawl", SPIDER, "--from-date", "2099-01-01", "--no-compile"])
    assert result.exit_code == 1, result.output
    crawl_id = conn.execute("SELECT id FROM crawl").fetchone()["id"]
    closed = [line for line in log_lines(atlas_env) if f"crawl {crawl_id} of {SPIDER} closed" in line]
    assert len(closed) == 1
    assert "[ocds_atlas.crawl] INFO:" in closed[0]
    assert "closed (finished): not accepted: it stored no release and no record; 1 files, 0 releases" in closed[0]


def test_status_json_for_monitoring(atlas_env, conn):
    result = runner.invoke(
        app, ["crawl", SPIDER, "--from-date", "2022-01-01", "--until-date", "2022-03-31", "--no-compile"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["status", "--format", "json", "--crawls", "5"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    [crawl] = status["crawls"]
    assert (crawl["publisher"], crawl["status"], crawl["accepted"], crawl["reasons"]) == (SPIDER, "finished", True, [])
    assert crawl["releases"] == count(conn, "SELECT count(*) AS n FROM release") > 0
    assert isinstance(crawl["duration_seconds"], float) and crawl["started_at"].endswith("+00:00")
    [publisher] = status["publishers"]
    assert publisher["name"] == SPIDER and publisher["last_crawl"]["id"] == crawl["id"]
    assert set(publisher["notes"]) == {"info", "warning", "error"}
    # Not compiled yet: every OCID the crawl stored waits in the compile queue.
    ocids = count(conn, "SELECT count(DISTINCT ocid) AS n FROM release")
    assert status["queues"]["compile"] == {"total": ocids, "by_publisher": {SPIDER: ocids}}
    task_queue = conn.execute("SELECT to_regclass('task_queue.procrastinate_jobs') AS t").fetchone()["t"]
    assert ("tasks" in status["queues"]) == (task_queue is not None)

    assert runner.invoke(app, ["status", "--format", "yaml"]).exit_code == 1
    assert runner.invoke(app, ["--log-format", "xml", "status"]).exit_code == 2


def test_json_log_records_keep_tracebacks_inside_the_line():
    handler_output: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            handler_output.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        raise ValueError("boom")
    except ValueError as error:
        record = JsonLogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), (type(error), error, None))
    record.fields = {"crawl_id": 7}
    handler.handle(record)
    [line] = handler_output
    parsed = json.loads(line)
    assert (parsed["message"], parsed["crawl_id"], parsed["level"]) == ("failed here", 7, "ERROR")
    assert "ValueError: boom" in parsed["exception"]
