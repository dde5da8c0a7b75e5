"""Who may do what: a role that may only read (``ocds-atlas grant-reader ROLE``), and whether this session may
write.

A reader gets what reading needs and nothing that writes: CONNECT on the database, USAGE on ocds-atlas's schemas
(the one its migrations run in, and the task queue's), SELECT on every table and view in them, and default
privileges so that the tables and schemas later migrations create are readable too. The reading commands (status,
publishers, indicators, red-flags, quality, export, report, notes) check that the database is migrated instead of
migrating it (:func:`aggregator.migrate.check_current`), and skip what they would write when the session may not
write (:func:`session`): ``status`` then shows a run whose heartbeat stopped as interrupted without closing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from aggregator.db import query
from aggregator.errors import AtlasError

#: A role name that never needs quoting, so that it is typed as it is in a URL, in psql or in SQL.
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: Names PostgreSQL reserves, or that SQL reads as something else.
RESERVED = frozenset({"public", "none", "current_user", "current_role", "session_user", "user", "all"})


@dataclass(frozen=True)
class Session:
    role: str
    can_write: bool  # may write what every writing command writes first (see select_session)


@dataclass(frozen=True)
class ReaderGrant:
    role: str
    created: bool
    login: bool
    password_set: bool
    database: str
    schemas: tuple[str, ...]
    owners: tuple[str, ...]  # whose later tables and schemas the role may read (default privileges)


def session(conn: psycopg.Connection) -> Session:
    row = conn.execute(query("operate/access", "select_session")).fetchone()
    return Session(row["role"], bool(row["can_write"]))


def check_role_name(name: str) -> str:
    if not ROLE_NAME.match(name) or name.startswith("pg_") or name in RESERVED:
        raise AtlasError(
            f"{name!r} is not a role name ocds-atlas creates: lower-case letters, digits and '_', starting with a "
            "letter or '_', at most 63 characters, not starting with pg_ (e.g. atlas_reader)"
        )
    return name


def grant_reader(
    conn: psycopg.Connection, role: str, *, login: bool = False, password: str | None = None
) -> ReaderGrant:
    """Create ``role`` if it does not exist (NOLOGIN unless ``login`` or a ``password``) and grant it read access,
    in one transaction. Refused, with nothing changed, when the role could then write anything in ocds-atlas's
    schemas (an owner, a superuser, a role granted writes) or could not read all of it."""
    check_role_name(role)
    try:
        with conn.transaction():
            return _grant(conn, role, login or password is not None, password)
    except psycopg.errors.InsufficientPrivilege as error:
        who = conn.execute("SELECT current_user AS role").fetchone()["role"]
        reason = str(error).strip().splitlines()[0]
        raise AtlasError(
            f"{who} may not give {role} read access ({reason}): run grant-reader as the role that owns the tables "
            "(the one that runs `ocds-atlas migrate`) with CREATEROLE, or as a superuser"
        ) from None


def _grant(conn: psycopg.Connection, role: str, login: bool, password: str | None) -> ReaderGrant:
    from aggregator.operate.tasks import SCHEMA as TASK_SCHEMA

    schemas = tuple(
        r["name"] for r in conn.execute(query("operate/access", "select_schemas"), {"task_schema": TASK_SCHEMA})
    )
    existing = conn.execute(query("operate/access", "select_role"), {"role": role}).fetchone()
    if existing and existing["superuser"]:
        raise AtlasError(f"role {role} is a superuser, which may write everything: a reader needs a role of its own")
    name = sql.Identifier(role)
    if existing is None:
        conn.execute(sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(name))
    elif login and not existing["login"]:
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(name))
    if password is not None:
        # Encrypted here (SCRAM, as the server's password_encryption says): the server and its logs never see it.
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(verifier)))
    database = conn.info.dbname
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name))
    for schema in schemas:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), name))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sql.Identifier(schema), name))
    owners = tuple(
        r["name"] for r in conn.execute(query("operate/access", "select_owners"), {"schemas": list(schemas)})
    )
    for owner in owners:
        # In this database, whatever schema: later migrations' tables, and schemas, are readable as they are made.
        for what in ("SELECT ON TABLES", "USAGE ON SCHEMAS"):
            statement = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT " + what + " TO {}")
            conn.execute(statement.format(sql.Identifier(owner), name))
    _check_read_only(conn, role, schemas)
    return ReaderGrant(
        role,
        existing is None,
        login or bool(existing and existing["login"]),
        password is not None,
        database,
        schemas,
        owners,
    )


def _check_read_only(conn: psycopg.Connection, role: str, schemas: tuple[str, ...]) -> None:
    params = {"role": role, "schemas": list(schemas)}
    writes = conn.execute(query("operate/access", "select_writes"), params).fetchall()
    if writes:
        shown = ", ".join(f"{w['privilege']} on {w['object']}" for w in writes[:3])
        more = f" and {len(writes) - 3} more" if len(writes) > 3 else ""
        raise AtlasError(
            f"role {role} may write ({shown}{more}), granted to it, to PUBLIC or to a role it belongs to: it would "
            "not be read-only; revoke those privileges or choose another role. Nothing was changed"
        )
    unreadable = [r["object"] for r in conn.execute(query("operate/access", "select_unreadable"), params)]
    if unreadable:
        raise AtlasError(
            f"role {role} still may not read {', '.join(unreadable[:3])}"
            + (f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else "")
            + ": run grant-reader as the role that owns the tables. Nothing was changed"
        )
    row = conn.execute(query("operate/access", "select_can_connect"), params).fetchone()
    if not row["can_connect"]:
        raise AtlasError(
            f"role {role} may not connect to database {conn.info.dbname}: run grant-reader as its owner. Nothing "
            "was changed"
        )
