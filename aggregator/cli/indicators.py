"""The ``ocds-atlas indicators``, ``red-flags`` and ``quality`` commands (registered by aggregator/cli/main.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from aggregator.cli.app import connect_migrated, out
from aggregator.cli.guard import guarded
from aggregator.compare import show
from aggregator.compare.catalogue import BY_ID
from aggregator.errors import AtlasError

indicators_app = typer.Typer(
    help="Indicators per country, publisher or buyer and year (see `indicators catalogue`).",
    no_args_is_help=False,
    invoke_without_command=True,
)

Country = Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")]
Year = Annotated[int | None, typer.Option(help="The processes' year (tender start, else release date).")]
Format = Annotated[str, typer.Option("--format", help="table, csv or json.")]
VALUE_COLUMNS = ("indicator", "country", "year", "value", "n_eligible", "n_total", "missing_share", "suppressed")
EXTRA = {"country": (), "publisher": ("publisher",), "buyer": ("buyer_org_key",)}


def _check_format(fmt: str) -> None:
    if fmt not in show.FORMATS:
        raise AtlasError(f"unknown format {fmt!r}: use one of {', '.join(show.FORMATS)}")


@indicators_app.callback()
@guarded
def indicators(
    ctx: typer.Context,
    country: Country = None,
    year: Year = None,
    by: Annotated[str, typer.Option(help="country, publisher or buyer.")] = "country",
    fmt: Format = "table",
    flags: Annotated[bool, typer.Option("--flags", help="Red flag counts per country and year instead.")] = False,
) -> None:
    """Indicator values (computed after each compile or normalize; `indicators refresh` to recompute)."""
    if ctx.invoked_subcommand:
        return

    _check_format(fmt)
    if by not in EXTRA:
        raise AtlasError(f"unknown level {by!r}: use country, publisher or buyer")
    code = country.upper() if country else None
    with connect_migrated() as conn:
        if flags:
            rows = show.flag_counts(conn, code, year)
            show.render(rows, ("country", "year", "flag", "processes", "of_processes"), fmt, "red flags", out)
            return
        rows = show.values(conn, by, code, year)
    columns = VALUE_COLUMNS[:3] + EXTRA[by] + VALUE_COLUMNS[3:]
    show.render(rows, columns, fmt, f"indicators by {by}", out)


@indicators_app.command()
@guarded
def explain(
    indicator: Annotated[str, typer.Argument(help="An indicator id (see `indicators catalogue`).")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code.")],
    year: Annotated[int, typer.Option(help="The processes' year.")],
    fmt: Format = "table",
) -> None:
    """The processes an indicator's country-year value counts: OCID, in scope, eligible, what each contributed."""

    _check_format(fmt)
    if indicator not in BY_ID:
        raise AtlasError(f"unknown indicator {indicator!r}: see `ocds-atlas indicators catalogue`")
    with connect_migrated() as conn:
        rows = show.explain(conn, indicator, country.upper(), year)
    columns = ("ocid", "in_scope", "eligible", "contribution", "weight")
    show.render(rows, columns, fmt, f"{indicator}, {country.upper()} {year}: {len(rows)} processes", out)


@indicators_app.command()
@guarded
def refresh(
    full: Annotated[bool, typer.Option(help="Every process, not only those changed.")] = False,
    only: Annotated[
        list[str] | None, typer.Option(help="Only this part: indicators, red_flags or quality (repeatable).")
    ] = None,
) -> None:
    """Recompute indicators, red flags and quality checks for what was normalized since (all, with --full)."""
    from aggregator.compare.refresh import PARTS
    from aggregator.operate.pipeline import indicators_with_progress

    unknown = sorted(set(only or ()) - set(PARTS))
    if unknown:
        raise AtlasError(f"unknown part {unknown[0]!r}: use {', '.join(PARTS)}")
    with connect_migrated() as conn:
        indicators_with_progress(conn, full=full, parts=tuple(only or PARTS))


@indicators_app.command()
@guarded
def catalogue() -> None:
    """The methodology: each indicator's definition, eligible processes, method and minimum sample (Markdown)."""
    from aggregator.compare.catalogue import methodology_markdown

    out.file.write(methodology_markdown() + "\n")


def red_flags(country: Country = None, year: Year = None, fmt: Format = "table") -> None:
    """Red flag counts per country and year (R003, R018, R024, R028, R036)."""

    _check_format(fmt)
    with connect_migrated() as conn:
        rows = show.flag_counts(conn, country.upper() if country else None, year)
    show.render(rows, ("country", "year", "flag", "processes", "of_processes"), fmt, "red flags", out)


def quality(
    publisher: Annotated[str | None, typer.Option(help="Only this publisher.")] = None, fmt: Format = "table"
) -> None:
    """Field coverage and consistency checks per publisher, with failing OCIDs."""

    _check_format(fmt)
    with connect_migrated() as conn:
        coverage = show.coverage(conn, publisher)
        checks = show.checks(conn, publisher)
    show.render(coverage, ("publisher", "field", "n_applicable", "n_present", "share"), fmt, "field coverage", out)
    columns = ("publisher", "check_id", "n_checked", "n_passed", "n_failed", "examples")
    show.render(checks, columns, fmt, "consistency checks", out)
