"""The ``ocds-atlas indicators``, ``red-flags`` and ``quality`` commands (registered by aggregator/cli/main.py)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aggregator.cli.app import connect_migrated, connect_reading, out
from aggregator.cli.guard import guarded
from aggregator.cli.output import csv_document as to_csv
from aggregator.cli.output import emit, human, json_document
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
    from aggregator.compare import show

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
    flags: Annotated[
        bool, typer.Option("--flags", help="Red flag counts per country instead (as `red-flags`).")
    ] = False,
) -> None:
    """Indicator values (computed after each compile or normalize; `indicators refresh` to recompute)."""
    from aggregator.compare import red_flags, show

    if ctx.invoked_subcommand:
        return

    _check_format(fmt)
    if by not in EXTRA:
        raise AtlasError(f"unknown level {by!r}: use country, publisher or buyer")
    code = country.upper() if country else None
    with connect_reading() as conn:
        if flags:
            show.render(red_flags.counts(conn, code), COUNT_COLUMNS, fmt, "red flags", out)
            return
        rows = show.values(conn, by, code, year)
    columns = VALUE_COLUMNS[:3] + EXTRA[by] + VALUE_COLUMNS[3:]
    emit(out, fmt, readable_values(rows) if fmt == "table" else rows, columns, title=f"indicators by {by}")


def readable_values(rows: list[dict]) -> list[dict]:
    """Indicator values for a table: shares as percentages, amounts and counts with thousands separators."""
    return [{**row, "value": human(row["value"], _unit(row["indicator"]))} for row in rows]


def _unit(indicator: str) -> str | None:
    from aggregator.compare.catalogue import BY_ID

    item = BY_ID.get(indicator)
    return item.unit if item else None


@indicators_app.command()
@guarded
def explain(
    indicator: Annotated[str, typer.Argument(help="An indicator id (see `indicators catalogue`).")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code.")],
    year: Annotated[int, typer.Option(help="The processes' year.")],
    fmt: Format = "table",
) -> None:
    """The processes an indicator's country-year value counts: OCID, in scope, eligible, what each contributed."""
    from aggregator.compare import show
    from aggregator.compare.catalogue import BY_ID

    _check_format(fmt)
    if indicator not in BY_ID:
        raise AtlasError(f"unknown indicator {indicator!r}: see `ocds-atlas indicators catalogue`")
    with connect_reading() as conn:
        rows = show.explain(conn, indicator, country.upper(), year)
    columns = ("ocid", "in_scope", "eligible", "contribution", "weight")
    kinds = {"contribution": BY_ID[indicator].unit} if BY_ID[indicator].unit == "share" else {}
    emit(out, fmt, rows, columns, title=f"{indicator}, {country.upper()} {year}: {len(rows):,} processes", kinds=kinds)


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


def red_flags_command(
    country: Country = None,
    publisher: Annotated[str | None, typer.Option(help="Only this publisher.")] = None,
    by_publisher: Annotated[bool, typer.Option("--by-publisher", help="Counts per publisher, not country.")] = False,
    listing: Annotated[
        bool, typer.Option("--list", help="One row per flag: publisher, ocid or party, code, what raised it.")
    ] = False,
    code: Annotated[str | None, typer.Option(help="With --list: only this code (R003 … R058).")] = None,
    prepared: Annotated[
        bool,
        typer.Option(
            "--prepared",
            help="Write the --publisher's compiled releases as its red flags read them, after Cardinal's prepare "
            "with its settings (JSON lines, in OCID order), as `ocdscardinal prepare` writes them.",
        ),
    ] = False,
    fmt: Format = "table",
) -> None:
    """Cardinal's eleven red flags, computed per publisher after each compile or normalize: per country (or
    publisher), each code with its name, level (the process, or a party role), how many are flagged, of n, and the
    rate, every code even where none is flagged; or, with --list, every flag."""
    from aggregator.compare import red_flags, show
    from aggregator.compare.redflags.catalogue import BY_CODE

    _check_format(fmt)
    if code is not None and code.upper() not in BY_CODE:
        raise AtlasError(f"unknown red flag {code!r}: use one of {', '.join(BY_CODE)}")
    if prepared:
        if publisher is None:
            raise AtlasError("--prepared needs --publisher")
        _write_prepared(publisher)
        return
    with connect_reading() as conn:
        country_code = country.upper() if country else None
        if listing:
            rows = red_flags.flag_list(conn, country_code, publisher, code.upper() if code else None)
            rows = [row | {"name": BY_CODE[row["code"]].name} for row in rows]
            show.render(rows, LIST_COLUMNS, fmt, f"red flags: {len(rows)}", out)
            return
        rows = red_flags.counts(conn, country_code, publisher, by_publisher or publisher is not None)
    columns = (*COUNT_COLUMNS[:1], "publisher", *COUNT_COLUMNS[1:]) if by_publisher or publisher else COUNT_COLUMNS
    show.render(rows, columns, fmt, "red flags", out)


def _write_prepared(publisher: str) -> None:
    from aggregator.compare import red_flags
    from aggregator.raw.crawls import publisher_by_name

    with connect_reading() as conn, conn.transaction():
        publisher_id = publisher_by_name(conn, publisher)["id"]
        for release, _ in red_flags.prepared_releases(conn, publisher_id, red_flags.settings_of(publisher)):
            out.file.write(json.dumps(release, ensure_ascii=False, separators=(",", ":")) + "\n")


COUNT_COLUMNS = ("country", "code", "name", "level", "flagged", "n", "rate")
LIST_COLUMNS = ("publisher", "ocid", "party_role", "party_id", "code", "name", "value", "details")


def quality(
    publisher: Annotated[str | None, typer.Option(help="Only this publisher.")] = None, fmt: Format = "table"
) -> None:
    """Field coverage and consistency checks per publisher, with failing OCIDs."""
    from aggregator.compare import show

    _check_format(fmt)
    with connect_reading() as conn:
        coverage = show.coverage(conn, publisher)
        checks = show.checks(conn, publisher)
    if fmt == "json":
        out.file.write(json_document({"field_coverage": coverage, "consistency_checks": checks}))
    elif fmt == "csv":
        out.file.write(to_csv(quality_rows(coverage, checks), QUALITY_COLUMNS))
    else:
        emit(out, fmt, coverage, COVERAGE_COLUMNS, title="field coverage")
        emit(out, fmt, checks, CHECK_COLUMNS, title="consistency checks")


COVERAGE_COLUMNS = ("publisher", "field", "n_applicable", "n_present", "share")
CHECK_COLUMNS = ("publisher", "check_id", "n_checked", "n_passed", "n_failed", "examples")
#: Coverage and checks in one CSV: ``part`` says which, ``name`` is the field or the check, ``n`` the processes
#: the field applies to or the check checked, ``n_passed`` those with the field or passing.
QUALITY_COLUMNS = ("publisher", "part", "name", "n", "n_passed", "n_failed", "share", "examples")


def quality_rows(coverage: list[dict], checks: list[dict]) -> list[dict]:
    rows = [
        {
            "publisher": row["publisher"],
            "part": "field_coverage",
            "name": row["field"],
            "n": row["n_applicable"],
            "n_passed": row["n_present"],
            "n_failed": row["n_applicable"] - row["n_present"],
            "share": row["share"],
            "examples": None,
        }
        for row in coverage
    ]
    for row in checks:
        share = row["n_passed"] / row["n_checked"] if row["n_checked"] else None
        rows.append(
            {
                "publisher": row["publisher"],
                "part": "consistency_checks",
                "name": row["check_id"],
                "n": row["n_checked"],
                "n_passed": row["n_passed"],
                "n_failed": row["n_failed"],
                "share": share,
                "examples": row["examples"],
            }
        )
    return rows
