"""``ocds-atlas publishers``: the spiders' publishers with their health; ``publishers remove NAME`` deletes a
publisher with every row it has."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aggregator.cli.app import connect_migrated, console, out
from aggregator.cli.guard import guarded
from aggregator.cli.output import fit_table
from aggregator.errors import AtlasError

publishers_app = typer.Typer(
    help="The publishers that spiders crawl (`publishers remove NAME` deletes one with all its rows).",
    no_args_is_help=False,
    invoke_without_command=True,
)


@publishers_app.callback()
@guarded
def publishers(
    ctx: typer.Context,
    format: Annotated[
        str, typer.Option("--format", help="table, json, csv, or markdown (the README's table).")
    ] = "table",
    sandbox: Annotated[bool, typer.Option(help="Include the sandbox spiders.")] = False,
    write_readme: Annotated[bool, typer.Option(help="Rewrite the README's publisher table from the spiders.")] = False,
    health: Annotated[
        bool | None,
        typer.Option(
            "--health/--no-health",
            help="Add each publisher's health from the database (status, last crawls, failing and stale since, "
            "due); default: with the table format, when the database is reachable.",
        ),
    ] = None,
) -> None:
    """The publishers that spiders crawl, as the spiders declare them (country, level, shape, licence…), with
    their health when the database is reachable."""
    if ctx.invoked_subcommand:
        return
    from aggregator.operate import publishers as listing

    if format not in ("table", "json", "csv", "markdown"):
        raise AtlasError(f"--format must be table, json, csv or markdown, not {format!r}")
    if health and (format == "markdown" or write_readme):
        raise AtlasError("--health does not apply to the README's table, which holds no health")
    rows = listing.list_publishers(sandbox=sandbox)
    columns = listing.TABLE_COLUMNS if format == "table" else listing.COLUMNS
    if health or (health is None and format == "table" and not write_readme):
        try:
            with listing.health_connection() as conn:
                rows = listing.with_health(rows, listing.read_health(conn))
            columns = listing.TABLE_HEALTH_COLUMNS if format == "table" else columns + listing.HEALTH_COLUMNS
        except AtlasError as error:
            if health:
                raise
            console.print(f"health not shown: {error}", highlight=False)
    if write_readme:
        changed = listing.write_readme([row for row in rows if not row["is_sandbox"]])
        console.print("README.md " + ("updated" if changed else "already up to date"))
        return
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif format == "csv":
        print(listing.to_csv(rows, columns), end="")
    elif format == "markdown":
        print(listing.to_markdown(rows), end="")
    else:
        cells = [{column: listing.table_cell(row[column]) for column in columns} for row in rows]
        out.print(fit_table(cells, columns, title="publishers", width=out.width))


@publishers_app.command()
@guarded
def remove(
    name: Annotated[str, typer.Argument(help="The publisher's key (see `ocds-atlas status`).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking.")] = False,
) -> None:
    """Delete a publisher with every row it has: crawls, files, releases, records, notes, compiled releases,
    normalized rows, indicator values, red flags and quality; its crawls' files in the files store go too. Bodies
    shared with other publishers and files loaded from disk stay. The country's indicators are recomputed."""
    from aggregator.cli.checks import check_publisher_name
    from aggregator.operate.removal import footprint, remove_publisher

    check_publisher_name(name)
    with connect_migrated() as conn:
        held = footprint(conn, name)
        console.print(f"publisher {held.name} ({held.country}, {held.title}): {held.describe()}", highlight=False)
        if not yes and not _confirmed(f"remove {name} and all its rows?"):
            raise AtlasError(f"{name} not removed (--yes removes without asking)")
        remove_publisher(conn, name)
    out.print(f"removed publisher {name}: {held.describe()}", highlight=False)


def _confirmed(question: str) -> bool:
    """The answer, or no when nothing can answer (no terminal, cron)."""
    try:
        return typer.confirm(question, err=True)
    except typer.Abort:
        return False
