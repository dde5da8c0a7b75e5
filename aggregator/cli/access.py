"""``ocds-atlas grant-reader ROLE``: a role that may read everything ocds-atlas stores and write nothing."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aggregator.cli.app import command, connect_migrated, console, out
from aggregator.errors import AtlasError

#: The commands a reader may run (they check that the database is migrated instead of migrating it).
READING_COMMANDS = ("status", "publishers", "indicators", "red-flags", "quality", "export", "report", "notes")


@command("grant-reader")
def grant_reader(
    role: Annotated[str, typer.Argument(help="The role: created if it does not exist (e.g. atlas_reader).")],
    login: Annotated[
        bool,
        typer.Option(
            "--login", help="The role may log in (as the server's pg_hba.conf says: peer, certificate, password…)."
        ),
    ] = False,
    password: Annotated[
        bool,
        typer.Option(
            "--password",
            help="Set the role's password (implies --login): asked twice without echo in a terminal, else read from "
            "the first line of stdin. Sent to the server already encrypted.",
        ),
    ] = False,
) -> None:
    """Give a role read-only access: CONNECT on the database, USAGE on ocds-atlas's schemas, SELECT on every table
    and view (and, by default privileges, on those later migrations create), and nothing that writes. The role is
    created NOLOGIN (a group: GRANT it to the people's own roles) unless --login or --password is given. Run it as
    the role that runs `ocds-atlas migrate`. A role that can write anything there (an owner, a superuser, a role
    granted writes) is refused, with nothing changed."""
    from aggregator.operate.access import check_role_name
    from aggregator.operate.access import grant_reader as grant

    check_role_name(role)
    secret = _read_password(role) if password else None
    with connect_migrated() as conn:
        done = grant(conn, role, login=login, password=secret)
    verb = "created" if done.created else "granted"
    owners = ", ".join(done.owners)
    out.print(
        f"{verb} read-only role {role} ({'may log in' if done.login else 'NOLOGIN'}"
        f"{', password set' if done.password_set else ''}) on database {done.database}: CONNECT; USAGE and SELECT on "
        f"every table and view of {', '.join(done.schemas)}; and, by default privileges, on those {owners} make later",
        highlight=False,
        soft_wrap=True,
    )
    commands = ", ".join(READING_COMMANDS)
    if done.login:
        line = f"it may run {commands} with DATABASE_URL=postgresql://{role}@HOST:PORT/{done.database}"
    else:
        line = f"it cannot log in: GRANT {role} TO a role that does, and that role may run {commands}"
    console.print(line, highlight=False, soft_wrap=True)


def _read_password(role: str) -> str:
    if sys.stdin.isatty():
        secret = typer.prompt(f"password for {role}", hide_input=True, confirmation_prompt=True, err=True)
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise AtlasError("--password: the password is empty")
    return secret
