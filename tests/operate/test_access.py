"""A read-only role (``ocds-atlas grant-reader``) runs every reading command, connected as itself, on sandbox data;
writing commands fail with one line; reading commands never migrate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.migrate import available
from aggregator.sandbox.generate import DEFAULT_SEED
from aggregator.sandbox.server import releases_of

runner = CliRunner()
PUBLISHER = "sandbox_xa"
OCIDS = 300  # of the sandbox's XA publisher: enough for every table, quick to load


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_role(url: str, role: str) -> str:
    """The connection string with another user (the test servers trust every local connection: no password)."""
    return make_conninfo(url, user=role)


def use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    db.resolve_url.cache_clear()


@pytest.fixture
def roles(database_url: str) -> Iterator[list[str]]:
    """Roles are the server's, not the database's: each test's own names, dropped after it."""
    made: list[str] = []
    yield made
    with psycopg.connect(database_url, autocommit=True) as admin:
        for role in made:
            admin.execute(f"DROP OWNED BY {role}")  # its privileges and default privileges here
            admin.execute(f"DROP ROLE {role}")


def new_role(roles: list[str]) -> str:
    roles.append(f"reader_{uuid.uuid4().hex[:8]}")
    return roles[-1]


@pytest.fixture
def sandbox_loaded(atlas_env: Path, tmp_path: Path) -> Path:
    """The sandbox's XA publisher (its first OCIDs), loaded, compiled, normalized and its indicators refreshed by
    the owner."""
    releases = releases_of("xa", DEFAULT_SEED)
    ocids = sorted({release["ocid"] for release in releases})[:OCIDS]
    kept = [release for release in releases if release["ocid"] in set(ocids)]
    package = tmp_path / "xa.json"
    package.write_text(json.dumps({"uri": "https://sandbox.test/xa", "version": "1.1", "releases": kept}))
    ok("load", str(package), "--publisher", PUBLISHER, "--country", "XA")
    ok("compile")
    ok("normalize")
    ok("indicators", "refresh")
    return package


def test_a_reader_runs_every_reading_command_and_no_writing_one(
    sandbox_loaded: Path, database_url: str, roles: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    role = new_role(roles)
    granted = ok("grant-reader", role, "--login")
    assert f"created read-only role {role} (may log in)" in granted
    with psycopg.connect(as_role(database_url, role)) as reader:
        assert reader.execute("SELECT current_user").fetchone()[0] == role
    use(monkeypatch, as_role(database_url, role))
    year = _a_year(database_url)

    assert "recent crawls and loads" in ok("status")
    assert json.loads(ok("status", "--format", "json"))["publishers"][0]["name"] == PUBLISHER
    assert "publishers" in ok("publishers", "--health", "--sandbox")
    assert json.loads(ok("indicators", "--country", "XA", "--format", "json"))
    assert json.loads(ok("indicators", "--by", "publisher", "--format", "json"))
    assert json.loads(ok("indicators", "--flags", "--format", "json"))
    assert ok("indicators", "explain", "processes", "--country", "XA", "--year", str(year), "--format", "csv")
    assert ok("indicators", "catalogue")
    assert json.loads(ok("red-flags", "--format", "json"))
    assert isinstance(json.loads(ok("red-flags", "--list", "--format", "json")), list)
    assert ok("red-flags", "--prepared", "--publisher", PUBLISHER).count("\n") == OCIDS
    assert json.loads(ok("quality", "--format", "json"))["field_coverage"]
    assert isinstance(json.loads(ok("notes", "--format", "json")), list)
    export = tmp_path / "export"
    ok("export", str(export))
    assert (export / "datapackage.json").is_file() and (export / "tables" / "process.csv.gz").is_file()
    assert (export / "compiled" / PUBLISHER / "full.jsonl.gz").is_file()
    ok("report", str(tmp_path / "report"), "--downloads", str(export))
    assert (tmp_path / "report" / "index.html").is_file()

    for command in (["load", str(sandbox_loaded), "--publisher", PUBLISHER, "--country", "XA"], ["compile"]):
        result = invoke(*command)
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: permission denied: role {role} may only read this database")
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def _a_year(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT max(year) FROM indicator_value WHERE country = 'XA'").fetchone()[0]


def test_status_shows_a_dead_run_to_a_reader_and_leaves_it_for_the_owner_to_close(
    sandbox_loaded: Path, database_url: str, roles: list[str], monkeypatch: pytest.MonkeyPatch
):
    role = new_role(roles)
    ok("grant-reader", role, "--login")
    with psycopg.connect(database_url, autocommit=True) as owner:
        dead = owner.execute(
            "INSERT INTO crawl (publisher_id, kind, status, started_at, heartbeat_at) "
            "SELECT id, 'load', 'running', now() - interval '2 hours', now() - interval '1 hour' FROM publisher "
            "RETURNING id"
        ).fetchone()[0]
    use(monkeypatch, as_role(database_url, role))
    crawls = json.loads(ok("status", "--format", "json"))["crawls"]
    [shown] = [crawl for crawl in crawls if crawl["id"] == dead]
    assert shown["status"] == "interrupted" and "not closed yet" in shown["close_reason"]
    assert "not closed yet" in ok("status")
    with psycopg.connect(database_url) as owner:
        assert owner.execute("SELECT status FROM crawl WHERE id = %s", (dead,)).fetchone()[0] == "running"

    use(monkeypatch, database_url)
    ok("status")
    with psycopg.connect(database_url) as owner:
        assert owner.execute("SELECT status FROM crawl WHERE id = %s", (dead,)).fetchone()[0] == "interrupted"
        assert owner.execute("SELECT count(*) FROM note WHERE crawl_id = %s", (dead,)).fetchone()[0] == 1


def test_reading_commands_do_not_migrate_and_say_what_to_run(
    atlas_env: Path, empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    use(monkeypatch, empty_database_url)
    reading = [["status"], ["notes"], ["indicators"], ["red-flags"], ["quality"], ["export", str(tmp_path / "e")]]
    for command in reading:
        result = invoke(*command)
        assert result.exit_code == 1, (command, result.output)
        assert result.output.strip() == (
            "error: the database is not initialised (no migration applied): run `ocds-atlas migrate` as the "
            "database's owner; reading commands do not migrate"
        )
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT to_regclass('schema_migration')").fetchone()[0] is None


def test_a_database_behind_is_one_line_for_a_reader_and_only_the_owner_migrates_it(
    atlas_env: Path, database_url: str, roles: list[str], monkeypatch: pytest.MonkeyPatch
):
    role = new_role(roles)
    ok("grant-reader", role, "--login")
    last = available()[-1].name
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("DELETE FROM schema_migration WHERE name = %s RETURNING *", (last,)).fetchone()
    use(monkeypatch, as_role(database_url, role))
    result = invoke("status")
    assert result.exit_code == 1
    assert f"the database is 1 migration(s) behind this ocds-atlas (next: {last})" in result.output
    for command in (["migrate"], ["compile"]):
        result = invoke(*command)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
        assert f"role {role} may not migrate this database; run `ocds-atlas migrate` as the database's owner" in (
            result.output
        )
    with psycopg.connect(database_url, autocommit=True) as conn:  # as if the owner had migrated
        conn.execute("INSERT INTO schema_migration VALUES (%s, %s, %s)", row)
    ok("status")
    assert ok("migrate").strip() == "applied 0 migration(s)"  # nothing pending: the reader may run it


def test_later_tables_and_schemas_are_readable_and_nothing_is_writable(
    atlas_env: Path, database_url: str, roles: list[str]
):
    role = new_role(roles)
    ok("grant-reader", role)
    with psycopg.connect(database_url, autocommit=True) as owner:
        assert owner.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (False,)
        owner.execute("CREATE TABLE later_table (x int)")  # as a later migration would
        owner.execute("CREATE SCHEMA later_schema")
        owner.execute("CREATE TABLE later_schema.t (x int)")
    with psycopg.connect(database_url, autocommit=True) as reader:
        reader.execute(f"SET ROLE {role}")  # NOLOGIN: its members read through it
        for table in ("later_table", "later_schema.t", "publisher", "task_queue.procrastinate_jobs"):
            reader.execute(f"SELECT * FROM {table}")
        for statement in ("INSERT INTO later_table VALUES (1)", "DELETE FROM note", "CREATE TABLE mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)


def test_a_role_that_can_write_or_a_superuser_is_refused_with_nothing_changed(
    atlas_env: Path, database_url: str, roles: list[str]
):
    role = new_role(roles)
    with psycopg.connect(database_url, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role}")
        owner.execute(f"GRANT INSERT ON note TO {role}")
        superuser = owner.execute("SELECT current_user").fetchone()[0]
    result = invoke("grant-reader", role)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: role {role} may write (INSERT on public.note)")
    with psycopg.connect(database_url) as owner:
        assert not owner.execute("SELECT has_table_privilege(%s, 'publisher', 'SELECT')", (role,)).fetchone()[0]
    result = invoke("grant-reader", superuser)
    assert result.exit_code == 1 and "is a superuser" in result.output
    assert invoke("grant-reader", "Bad-Name").output.startswith("error: 'Bad-Name' is not a role name")


def test_a_password_reaches_the_server_encrypted(atlas_env: Path, database_url: str, roles: list[str]):
    role = new_role(roles)
    result = invoke("grant-reader", role, "--password", input="correct horse\n")
    assert result.exit_code == 0, result.output
    with psycopg.connect(database_url) as owner:
        login, secret = owner.execute(
            "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s", (role,)
        ).fetchone()
    assert login and secret.startswith("SCRAM-SHA-256$") and "correct horse" not in secret
