"""Indicator values, red flags and quality as tables, CSV or JSON (what the CLI prints)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aggregator.compare.facts import indicators_query
from aggregator.db import query
from aggregator.raw.text import csv_text

FORMATS = ("table", "csv", "json")


def values(conn: psycopg.Connection, level: str, country: str | None, year: int | None) -> list[dict[str, Any]]:
    params = {"level": level, "country": country, "year": year}
    return conn.execute(query("compare/indicators", "select_values"), params).fetchall()


def explain(conn: psycopg.Connection, indicator: str, country: str, year: int) -> list[dict[str, Any]]:
    params = {"indicator": indicator, "country": country, "year": year}
    return conn.execute(indicators_query("select_explain"), params).fetchall()


def coverage(conn: psycopg.Connection, publisher: str | None) -> list[dict[str, Any]]:
    return conn.execute(query("compare/quality", "select_coverage"), {"publisher": publisher}).fetchall()


def checks(conn: psycopg.Connection, publisher: str | None) -> list[dict[str, Any]]:
    return conn.execute(query("compare/quality", "select_checks"), {"publisher": publisher}).fetchall()


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, title: str, out: Console) -> None:
    """Print rows in one of FORMATS: CSV and JSON unstyled on stdout, a table otherwise."""
    if fmt == "json":
        out.print_json(json.dumps([{c: row[c] for c in columns} for row in rows], default=str))
    elif fmt == "csv":
        out.file.write(csv_text([columns, *([_cell(row[c]) for c in columns] for row in rows)]))
    else:
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(Text(_cell(row[c])) for c in columns))  # data, never markup
        out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
