"""The databases ocds-atlas creates sort text by code point, compared byte by byte, and change letters' case as
Unicode says (:func:`aggregator.db.create_database`), on the embedded server and on PostgreSQL 15."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from aggregator import db
from tests.base.test_migrate import extra_servers
from tests.conftest import with_database

WORDS = ["zeta", "Zeta", "éclat", "Éclat", "apple", "Apple", "ocds-b", "ocds-a", "ocds-A", "中文", "~"]


@pytest.fixture(params=["embedded", *extra_servers()])
def server(request: pytest.FixtureRequest, server_url: str) -> str:
    """The URL of the tests' server (PostgreSQL 18), or of another (PostgreSQL 15: see .ci/run)."""
    return server_url if request.param == "embedded" else request.param


@pytest.fixture
def admin(server: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server, autocommit=True) as conn:
        yield conn


@pytest.fixture
def made(admin: psycopg.Connection) -> Iterator[str]:
    name = f"atlas_locale_{uuid.uuid4().hex[:10]}"
    db.create_database(admin, name)
    yield name
    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_text_sorts_by_code_point_and_changes_case_as_unicode_says(server: str, admin: psycopg.Connection, made: str):
    with psycopg.connect(with_database(server, made)) as conn:
        rows = conn.execute("SELECT w FROM unnest(%s::text[]) AS w ORDER BY w", (WORDS,)).fetchall()
        assert [r[0] for r in rows] == sorted(WORDS, key=lambda w: w.encode())
        assert conn.execute("SELECT upper('éclat'), lower('ÉCLAT')").fetchone() == ("ÉCLAT", "éclat")
        encoding = conn.execute("SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = %s", (made,))
        assert encoding.fetchone()[0] == "UTF8"
        provider, collate = conn.execute(
            "SELECT datlocprovider, datcollate FROM pg_database WHERE datname = %s", (made,)
        ).fetchone()
    if admin.info.server_version >= 170000:
        assert provider == "b"  # builtin: C.UTF-8, compared with memcmp
    else:
        assert (provider, collate) == ("c", "C")


def test_a_copy_keeps_its_templates_locale(admin: psycopg.Connection, made: str):
    copy = f"{made}_copy"
    db.create_database(admin, copy, template=made)
    try:
        rows = admin.execute(
            "SELECT datname, datlocprovider, datcollate FROM pg_database WHERE datname IN (%s, %s) ORDER BY datname",
            (made, copy),
        ).fetchall()
        assert rows[0][1:] == rows[1][1:]
    finally:
        admin.execute(f"DROP DATABASE {copy} WITH (FORCE)")


def test_the_clause_follows_the_servers_version():
    assert "LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'" in db.locale_clause(180006)
    assert "LOCALE_PROVIDER builtin" in db.locale_clause(170000)
    assert "LOCALE_PROVIDER libc LC_COLLATE 'C'" in db.locale_clause(150020)
    assert "LOCALE_PROVIDER" not in db.locale_clause(140000) and "LC_COLLATE 'C'" in db.locale_clause(140000)


def test_a_server_that_refuses_the_clause_still_gets_its_database():
    class Refusing:
        """An administrative connection whose server refuses the locale (another encoding's locales)."""

        class info:
            server_version = 180000

        def __init__(self) -> None:
            self.statements: list[str] = []

        def execute(self, statement: psycopg.sql.Composable) -> None:
            text = statement.as_string(None)
            self.statements.append(text)
            if "LOCALE_PROVIDER" in text:
                raise psycopg.errors.InvalidParameterValue('encoding "UTF8" does not match locale')

    conn = Refusing()
    db.create_database(conn, "atlas_x")  # type: ignore[arg-type]
    assert conn.statements[-1] == 'CREATE DATABASE "atlas_x"'
    assert len(conn.statements) == 2
