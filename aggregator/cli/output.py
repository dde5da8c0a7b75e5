"""What commands print: tables for people that fit the terminal, and exactly one JSON or CSV document for
programs.

In a table, numbers have thousands separators, shares are percentages, booleans are yes/no and times stop at the
minute; long headers are abbreviated with a legend under the table; a table that still does not fit is printed
one record at a time (each field on its own line), never with cells cut to nothing. JSON and CSV keep values
exact: numbers as stored, times in ISO 8601.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from aggregator.raw.text import csv_text

FORMATS = ("table", "csv", "json")
#: Long column names and the short headers a narrow table uses instead (the legend under it says which is which).
ABBREVIATIONS = {
    "compiled_releases": "compiled",
    "contribution": "contrib.",
    "country": "ctry",
    "failed_requests": "failed req.",
    "failing_since": "failing",
    "is_sandbox": "sandbox",
    "last_crawl_at": "last crawl",
    "last_success_at": "last success",
    "missing_share": "missing",
    "n_applicable": "n appl.",
    "n_eligible": "n elig.",
    "n_checked": "n checked",
    "not_accepted_because": "why not accepted",
    "publisher_name": "publisher",
    "records": "rec.",
    "releases": "rel.",
    "stale_since": "stale",
    "suppressed": "supp.",
    "update_frequency": "freq.",
    "warning": "warn.",
}
#: Columns of numbers that are names, shown without thousands separators.
PLAIN_COLUMNS = frozenset({"id", "year", "crawl", "crawl_id", "ppp_year"})
#: Columns holding a fraction of 1, shown as a percentage.
SHARE_COLUMNS = frozenset({"share", "missing_share", "error_rate"})


def is_share(column: str) -> bool:
    return column in SHARE_COLUMNS or column.endswith("_share")


def human(value: Any, kind: str | None = None) -> str:
    """A value as a person reads it in a table; ``kind`` ``share`` (a fraction: a percentage) or ``USD``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "plain":
        return str(value)
    if kind == "share" and isinstance(value, int | float | Decimal):
        return f"{float(value) * 100:.1f} %"
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
        return f"{int(value):,}"
    if isinstance(value, float | Decimal):
        return _decimal(float(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(human(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return str(value)


def _decimal(number: float) -> str:
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:.2f}".rstrip("0").rstrip(".")
    return f"{number:.3f}".rstrip("0").rstrip(".") or "0"


def cells(row: Mapping[str, Any], columns: Sequence[str], kinds: Mapping[str, str] | None = None) -> dict[str, str]:
    """A row's values as table cells (a share column's numbers as percentages)."""
    kinds = kinds or {}
    return {c: human(row[c], kinds.get(c) or _kind(c)) for c in columns}


def _kind(column: str) -> str | None:
    return "share" if is_share(column) else "plain" if column in PLAIN_COLUMNS else None


def fit_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    width: int = 100,
    kinds: Mapping[str, str] | None = None,
) -> RenderableType:
    """A table of ``rows`` (raw values, made readable here) at most ``width`` characters wide, whose cells wrap
    between words, never inside one: with its headers abbreviated and a legend if need be, else one record at a
    time."""
    texts = [cells(row, columns, kinds) for row in rows]
    table = _table(texts, columns, title, {})
    if _width(table) <= width:
        return table
    short = {c: ABBREVIATIONS[c] for c in columns if c in ABBREVIATIONS}
    table = _table(texts, columns, title, short)
    if short:
        table.caption = "; ".join(f"{abbreviation}: {column}" for column, abbreviation in short.items())
        table.caption_justify = "left"
    if _width(table) <= width:
        return table
    return records(texts, columns, title)


def _table(texts: list[dict[str, str]], columns: Sequence[str], title: str | None, short: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column in columns:
        header = short.get(column, column.replace("_", " "))
        numeric = any(t[column][:1].isdigit() or t[column][:1] == "-" for t in texts) and all(
            not t[column] or _numeric(t[column]) for t in texts
        )
        # A column of single words (names, codes, numbers) under a one-word header keeps its width; those of several
        # words wrap, headers included (a header that could not wrap was cut: "orgs by identifi").
        words = all(" " not in t[column] for t in [*texts, {column: header}])
        longest = max((len(word) for t in [*texts, {column: header}] for word in t[column].split()), default=1)
        table.add_column(
            header, justify="right" if numeric else "left", overflow="fold", no_wrap=words, min_width=longest
        )
    for text in texts:
        table.add_row(*(Text(text[c]) for c in columns))  # data, never markup (a title "[/x]" is a title)
    return table


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace(" %", "").lstrip("-").isdigit()


def _width(table: Table) -> int:
    """The narrowest the table can be with each cell wrapped between words (each column as wide as its longest
    word)."""
    console = Console(width=10_000, file=io.StringIO(), markup=False)
    return Measurement.get(console, console.options, table).minimum


def records(texts: list[dict[str, str]], columns: Sequence[str], title: str | None) -> RenderableType:
    """Each row as a block of ``field  value`` lines, for rows too wide for a table."""
    parts: list[RenderableType] = [Text(title, style="italic")] if title else []
    for number, text in enumerate(texts, 1):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for column in columns:
            grid.add_row(column.replace("_", " "), Text(text[column]))
        parts += [Text(f"─ {number} ─", style="dim"), grid]
    return Group(*parts)


def json_document(document: Any) -> str:
    """One JSON document: exact numbers (integral decimals as integers), times in ISO 8601."""
    return json.dumps(document, default=_json_value, ensure_ascii=False, indent=2) + "\n"


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def csv_document(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """One CSV document: a header, then each row with exact values (JSON for lists and objects)."""
    return csv_text([columns, *([_csv_value(row.get(c)) for c in columns] for row in rows)])


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def emit(
    out: Console,
    fmt: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    kinds: Mapping[str, str] | None = None,
) -> None:
    """Print rows in one of FORMATS: JSON (a list of objects) and CSV unstyled on stdout, a table otherwise."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if fmt == "json":
        out.file.write(json_document([{c: row.get(c) for c in columns} for row in rows]))
    elif fmt == "csv":
        out.file.write(csv_document(rows, columns))
    else:
        out.print(fit_table(rows, columns, title=title, width=out.width, kinds=kinds))
