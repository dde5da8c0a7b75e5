"""Tables that fit 100 columns with every word whole, numbers for people; JSON and CSV exact, one document."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console

from aggregator.cli import output
from aggregator.cli.progress import Counts, CrawlProgress


def rendered(renderable, width=100) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue().splitlines()


def test_numbers_for_people():
    assert output.human(541800000.0) == "541,800,000"
    assert output.human(0.1843, "share") == "18.4 %"
    assert output.human(12345) == "12,345"
    assert output.human(Decimal("3.000")) == "3"
    assert output.human(True) == "yes" and output.human(False) == "no"
    assert output.human(2021, "plain") == "2021"
    assert output.human(None) == ""
    assert output.human(datetime(2024, 5, 1, 12, 30, 45, tzinfo=UTC)) == "2024-05-01 12:30"


WIDE = [
    {
        "id": 1,
        "publisher": "uk_contracts_finder_releases",
        "compiled_releases": 123456,
        "missing_share": 0.25,
        "suppressed": True,
        "not_accepted_because": "more than 15 % of requests failed; it stored nothing",
        "update_frequency": "monthly",
        "failing_since": datetime(2024, 1, 2, tzinfo=UTC),
        "year": 2023,
    }
]


def test_a_wide_table_fits_100_columns_with_whole_words_and_a_legend():
    columns = list(WIDE[0])
    lines = rendered(output.fit_table(WIDE, columns, width=100))
    text = "\n".join(lines)
    assert max(len(line.rstrip()) for line in lines) <= 100
    for word in ("uk_contracts_finder_releases", "123,456", "25.0 %", "yes", "2023", "2024-01-02", "requests"):
        assert word in text
    assert "…" not in text
    assert "compiled: compiled_releases" in text  # the legend of the abbreviations


def test_a_table_too_wide_for_any_columns_becomes_records():
    row = {f"column_{i}": f"value_number_{i}" for i in range(12)}
    lines = rendered(output.fit_table([row], list(row), width=100))
    assert max(len(line.rstrip()) for line in lines) <= 100
    assert any(line.startswith("column 11") and "value_number_11" in line for line in lines)


def test_json_and_csv_are_one_exact_document():
    rows = [{"value": 541800000.12345, "share": 0.123456789, "at": datetime(2024, 1, 1, tzinfo=UTC), "data": {"a": 1}}]
    document = json.loads(output.json_document(rows))
    assert document == [
        {"value": 541800000.12345, "share": 0.123456789, "at": "2024-01-01T00:00:00+00:00", "data": {"a": 1}}
    ]
    parsed = list(csv.DictReader(io.StringIO(output.csv_document(rows, list(rows[0])))))
    assert parsed == [
        {"value": "541800000.12345", "share": "0.123456789", "at": "2024-01-01T00:00:00+00:00", "data": '{"a": 1}'}
    ]


def test_crawl_progress_logs_a_line_every_n_seconds_outside_a_terminal():
    now = [0.0]
    counts = iter([None, Counts(3, 2, 1500, 0), None])
    console = Console(width=200, file=io.StringIO(), color_system=None)
    progress = CrawlProgress("sandbox_xa", lambda: next(counts), console, every=10, clock=lambda: now[0])
    for now[0] in (1, 5, 10, 15, 20.5, 25, 31):
        progress()
    lines = console.file.getvalue().splitlines()
    assert lines == [
        "crawling sandbox_xa: 0 pages, 0 files loaded, 0 releases, 0 records (0:00:10)",
        "crawling sandbox_xa: 3 pages, 2 files loaded, 1,500 releases, 0 records (0:00:20)",
        "crawling sandbox_xa: 3 pages, 2 files loaded, 1,500 releases, 0 records (0:00:31)",
    ]


def test_a_crawl_outside_a_terminal_logs_its_counts(atlas_env):
    from typer.testing import CliRunner

    from aggregator.cli.main import app

    result = CliRunner().invoke(app, ["crawl", "sandbox_xc", "--log-every", "0.2", "--no-compile"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("crawling sandbox_xc: ")]
    assert lines, result.output
    last = [line for line in result.output.splitlines() if line.startswith("crawled sandbox_xc: ")]
    assert len(last) == 1 and " 0 pages" not in last[0] and " 0 releases" not in last[0], result.output
