"""The ``ocds-atlas`` Typer application: how commands are registered, the consoles, shared options."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer

from aggregator import db, settings
from aggregator.cli.guard import guarded
from aggregator.errors import AtlasError
from aggregator.operate.consoles import make_console


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command whose failures exit non-zero with one clear line, without a traceback
    (set OCDS_ATLAS_DEBUG=1 to see it)."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        return app.command(name)(guarded(function))

    return decorate


app = typer.Typer(
    help="Crawl OCDS publishers, store what they publish with provenance, compile and export it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = make_console(stderr=True)
out = make_console()

DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


@app.callback()
def observe(
    ctx: typer.Context,
    log_format: Annotated[
        str | None,
        typer.Option(help="Crawl logs as text or json (JSON lines); default: OCDS_ATLAS_LOG_FORMAT, else text."),
    ] = None,
) -> None:
    """Before every command: Sentry when SENTRY_DSN is set, tagged with the command; the crawls' log format."""
    from aggregator.operate import observability

    if log_format is not None:
        if log_format not in observability.LOG_FORMATS:
            raise typer.BadParameter(f"text or json, not {log_format!r}", param_hint="--log-format")
        os.environ["OCDS_ATLAS_LOG_FORMAT"] = log_format  # crawls run in a child process, which reads it
    guarded(observability.init_sentry)("cli", command=ctx.invoked_subcommand)


def connect_migrated():
    """A connection for a command that writes: the database migrated first, and this role able to write (else one
    line saying so, before any work)."""
    from aggregator.cli.checks import check_database_url
    from aggregator.operate.access import session

    check_database_url(settings.database_url())
    conn = db.connect(autocommit=True)
    try:
        run_migrations(conn)
        who = session(conn)
        if not who.can_write:
            raise AtlasError(
                f"permission denied: role {who.role} may only read this database (or the server is read-only), and "
                "this command writes: run it as the database's owner"
            )
    except BaseException:
        conn.close()
        raise
    return conn


def connect_reading():
    """A connection for a command that only reads: nothing migrated, nothing written; a database that is not
    migrated to this version is one line saying to run `ocds-atlas migrate`."""
    from aggregator.cli.checks import check_database_url
    from aggregator.migrate import check_current

    check_database_url(settings.database_url())
    conn = db.connect(autocommit=True)
    try:
        check_current(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def run_migrations(conn: Any) -> list[str]:
    """Migrate; a role that may not (a reader) is one line saying who may."""
    import psycopg

    from aggregator.migrate import migrate

    try:
        return migrate(conn)
    except psycopg.errors.InsufficientPrivilege as error:
        role = conn.execute("SELECT current_user AS role").fetchone()["role"]
        reason = str(error).strip().splitlines()[0]
        raise AtlasError(
            f"{reason}: role {role} may not migrate this database; run `ocds-atlas migrate` as the database's owner"
        ) from None
