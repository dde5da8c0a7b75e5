"""The ``ocds-atlas`` Typer application: how commands are registered, the consoles, shared options."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer

from aggregator import db, settings
from aggregator.cli.guard import guarded
from aggregator.operate.pipeline import make_console


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
    from aggregator.cli.checks import check_database_url
    from aggregator.migrate import migrate

    check_database_url(settings.database_url())
    conn = db.connect(autocommit=True)
    migrate(conn)
    return conn
