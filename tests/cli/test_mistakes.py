"""Each CLI mistake is one clear line on stderr and a non-zero exit, with nothing left behind."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from tests.conftest import PUBLISHERS

runner = CliRunner()


def one_error_line(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_unknown_spider_is_one_line_with_suggestions_and_no_log(atlas_env):
    line = one_error_line("crawl", "mexico_cdmxx")
    assert line.startswith("error: unknown spider 'mexico_cdmxx'; did you mean mexico_cdmx")
    assert not (atlas_env / "logs").exists()


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "x/../../y", "Mexico_CDMX", "a b", "x\n", ""])
@pytest.mark.parametrize("listed", [True, False], ids=["listed", "unlisted"])
def test_a_spider_name_that_is_not_one_reaches_no_path(name, listed, atlas_env, monkeypatch, tmp_path):
    """Checked before the spiders are listed, and again where the crawl's paths are made: with spider modules that
    only Scrapy could list (``unlisted``), ``crawl ../../x`` wrote its log outside the home."""
    if not listed:
        monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "somewhere.else")
    before = set(tmp_path.rglob("*"))
    line = one_error_line("crawl", name)
    assert (
        line == f"error: {name!r} is not a spider name: lower-case letters, digits and '_', starting with a "
        "letter or a digit (e.g. mexico_cdmx)"
    )
    assert set(tmp_path.rglob("*")) == before  # no log, no job directory, anywhere
    for argument in (["update", "--publisher", name], ["probe", name]):
        assert one_error_line(*argument) == line


def test_the_crawls_paths_are_made_only_of_spider_names(atlas_env):
    from aggregator.errors import AtlasError
    from aggregator.operate.crawl_runner import job_directory

    assert job_directory("mexico_cdmx") == atlas_env.resolve() / "jobs" / "mexico_cdmx"
    with pytest.raises(AtlasError, match="is not a spider name"):
        job_directory("../../x")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--publisher", "Bad Name", "--country", "MX"], "--publisher 'Bad Name' is not a publisher key"),
        (["--publisher", "cdmx\n", "--country", "MX"], "--publisher 'cdmx\\n' is not a publisher key"),
        (["--publisher", "cdmx", "--country", "Mexico"], "did you mean MX (Mexico)?"),
        (["--publisher", "cdmx", "--country", "MX", "--ocds-version", "2.0"], "use 1.0 or 1.1"),
        (["--publisher", "cdmx", "--country", "MX", "--encoding", "klingon"], "unknown encoding 'klingon'"),
    ],
)
def test_load_arguments_are_checked_before_the_database(args, expected, atlas_env, conn):
    path = str(PUBLISHERS / "mexico_cdmx" / "release-package")
    assert expected in one_error_line("load", path, *args)
    assert conn.execute("SELECT count(*) AS n FROM publisher").fetchone()["n"] == 0


@pytest.mark.parametrize(
    "url", ["nonsense", "postgres://u:secret@127.0.0.1:port/db", "host=127.0.0.1 port=abc password=secret"]
)
def test_a_malformed_database_url_is_one_line(url, atlas_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    db.resolve_url.cache_clear()
    line = one_error_line("status")
    assert "DATABASE_URL" in line and "secret" not in line


@pytest.mark.parametrize(
    "url",
    [
        "host=127.0.0.1 port=1 user=atlas password=secret dbname=atlas",
        "host=127.0.0.1 port=1 password='a secret' dbname=atlas",
        "host=127.0.0.1 port=1 password = 'it\\'s secret' dbname=atlas",
        "postgresql://atlas:secret@127.0.0.1:1/atlas",
        "postgresql://atlas@127.0.0.1:1/atlas?password=secret&connect_timeout=5",
    ],
)
def test_a_server_that_cannot_be_reached_is_one_line_without_the_password(url, atlas_env, monkeypatch):
    """Port 1 of this machine: nothing listens there."""
    monkeypatch.setenv("DATABASE_URL", url)
    db.resolve_url.cache_clear()
    line = one_error_line("status")
    assert line.startswith("error: cannot connect to PostgreSQL at ") and "127.0.0.1" in line
    assert "secret" not in line and "***" in line


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"this is not json", "bad.json", "[invalid_json]"),
        (b"", "empty.json", "[empty_file]"),
        (b"a,b\n1,2\n", "table.csv", "[release_without_ocid]"),
    ],
)
def test_a_load_that_stores_nothing_exits_1_says_why_and_leaves_no_publisher(
    content, name, reason, atlas_env, conn, tmp_path
):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = runner.invoke(app, ["load", str(bad), "--publisher", "nothing", "--country", "MX"])
    assert result.exit_code == 1, result.output
    assert f"{bad}: not stored: " in result.output and reason in result.output
    assert "error: 1 of 1 files could not be stored" in result.output
    for table in ("publisher", "crawl", "crawl_file", "note"):
        assert conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table


def test_a_load_with_one_bad_file_keeps_the_good_ones_and_exits_1(atlas_env, conn, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    good = PUBLISHERS / "mexico_cdmx" / "release-package" / "release-package-1.json"
    result = runner.invoke(app, ["load", str(good), str(bad), "--publisher", "cdmx", "--country", "MX"])
    assert result.exit_code == 1, result.output
    assert f"{bad}: not stored: " in result.output and str(good) not in result.output.replace(str(bad), "")
    assert "error: 1 of 2 files could not be stored" in result.output
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] > 0
    note = conn.execute("SELECT code FROM note").fetchone()
    assert note["code"] == "invalid_json"


DISK_FULL = """
CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device'
        USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
END $$;
CREATE TRIGGER disk_full BEFORE INSERT ON task_queue.procrastinate_jobs FOR EACH ROW EXECUTE FUNCTION public.disk_full()
"""


def test_a_database_error_says_its_cause(atlas_env, conn, monkeypatch):
    """The task queue's library wraps the database's error in its own, which says only "Database error."."""
    from aggregator.compile import run

    path = str(PUBLISHERS / "mexico_cdmx" / "release-package")
    assert runner.invoke(app, ["load", path, "--publisher", "cdmx", "--country", "MX"]).exit_code == 0
    conn.execute(DISK_FULL)  # the disk fills up as compile queues its batches
    monkeypatch.setattr(run, "PARALLEL_MIN_OCIDS", 0)
    line = one_error_line("compile", "--workers", "2")
    assert line == (
        'error: ConnectorException: Database error.; caused by DiskFull: could not extend file "base/1/2": '
        "No space left on device"
    )


def test_an_error_is_described_with_its_causes():
    from aggregator.errors import AtlasError, describe

    try:
        try:
            try:
                raise KeyError("x")
            except KeyError:
                raise OSError("first line\nHINT: and the others") from None
        except OSError as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError as error:
        assert describe(error) == "RuntimeError: wrapped; caused by OSError: first line"  # no KeyError: suppressed
    try:
        try:
            raise ValueError("bad")
        except ValueError as error:
            raise AtlasError("what a person reads, which names the bad value") from error
    except AtlasError as error:
        assert describe(error) == "what a person reads, which names the bad value"
