"""Cells a spreadsheet would run as a formula are downloaded exactly as published, and the README names the
columns that can carry them."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.sandbox.generate import DEFAULT_SEED
from aggregator.sandbox.server import releases_of

README = Path(__file__).resolve().parents[2] / "README.md"
FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
#: Left as they are, so that the releases still merge and their parties keep their roles.
STRUCTURAL = {"roles", "tag", "date"}
TITLE = '=HYPERLINK("http://x","y")'
runner = CliRunner()


def hostile(value: Any, key: str | None = None) -> Any:
    """Every string a publisher writes, but the structural ones, starting with '='."""
    if isinstance(value, dict):
        return {k: hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, key) for v in value]
    return "=" + value if isinstance(value, str) and key not in STRUCTURAL else value


def mark(release: dict[str, Any]) -> dict[str, Any]:
    """The values checked one by one: a formula, a negative number as text, and each other first character (a tab
    or a carriage return in raw dates: normalize trims the text fields)."""
    if "tender" in release:
        release["tender"] |= {"title": TITLE, "procurementMethodDetails": "+details"}
    for party in release.get("parties", []):
        if "supplier" in party["roles"]:
            party["name"] = "-5"
    for award in release.get("awards", []):
        award |= {"title": "+1+1", "status": "=pending", "date": "\r2020-01-01T00:00:00Z"}
    for contract in release.get("contracts", []):
        contract |= {"title": "@SUM(1,1)", "dateSigned": "\t2020-02-01T00:00:00Z"}
    return release


@pytest.fixture
def exported(atlas_env: Path, tmp_path: Path) -> Path:
    releases = releases_of("xa", DEFAULT_SEED)
    ocids = sorted({release["ocid"] for release in releases})[:20]
    chosen = [hostile(release) for release in releases if release["ocid"] in ocids]
    chosen = [mark(release) if release["ocid"] == "=" + ocids[0] else release for release in chosen]
    package = tmp_path / "hostile.json"
    package.write_text(json.dumps({"uri": "https://x.test", "version": "1.1", "releases": chosen}), encoding="utf-8")
    for command in (["load", str(package), "--publisher", "hostile", "--country", "XA"], ["compile"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["export", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    return tmp_path / "export"


def read_csv(path: Path) -> list[dict[str, str]]:
    return read_with_header(path)[1]


def read_with_header(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def the_row(export: Path, table: str, **where: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The one CSV row, and the same row of the Parquet file, matching ``where``."""
    [row] = [r for r in read_csv(export / "tables" / f"{table}.csv.gz") if where.items() <= r.items()]
    rows = pq.read_table(export / "tables" / f"{table}.parquet").to_pylist()
    [typed] = [r for r in rows if all(r[k] == v for k, v in where.items())]
    return row, typed


def test_formula_cells_are_downloaded_exactly_as_published(exported: Path):
    ocid = "=ocds-sbxa01-000001"
    cells = {
        ("process", "title"): TITLE,
        ("process", "procurement_method_details_raw"): "+details",
        ("processes", "title"): TITLE,
        ("award", "title"): "+1+1",
        ("award", "status"): "=pending",
        ("award", "date_raw"): "\r2020-01-01T00:00:00Z",
        ("contract", "title"): "@SUM(1,1)",
        ("contract", "date_signed_raw"): "\t2020-02-01T00:00:00Z",
    }
    for (table, column), value in cells.items():
        row, typed = the_row(exported, table, publisher="hostile", ocid=ocid)
        assert row[column] == value == typed[column], (table, column)
    supplier, typed = the_row(exported, "process_party", publisher="hostile", ocid=ocid, name="-5")
    assert "supplier" in supplier["roles"] and typed["name"] == "-5"
    raw = gzip.decompress((exported / "tables" / "process.csv.gz").read_bytes()).decode()
    assert '"=HYPERLINK(""http://x"",""y"")"' in raw and "'=" not in raw  # CSV quoting only, no quote prefix


def test_the_readme_names_every_column_that_can_carry_them(exported: Path):
    listed = readme_columns()
    found: dict[str, set[str]] = {}
    for path in sorted(exported.rglob("*.csv*")):
        header, rows = read_with_header(path)
        name = path.relative_to(exported).as_posix()
        assert listed.get(name, set()) <= set(header), name  # no column named that the file does not have
        for row in rows:
            found.setdefault(name, set()).update(k for k, v in row.items() if v.startswith(FORMULA_FIRST))
    found = {name: columns for name, columns in found.items() if columns}
    assert found and all(columns <= listed.get(name, set()) for name, columns in found.items()), found
    after = re.search(r"<!-- formula-cells:end -->\n\n(.*?)\n\n", README.read_text(encoding="utf-8"), re.S)
    assert after and "pandas" in after.group(1) and "Text" in after.group(1)  # how to open them safely


def readme_columns() -> dict[str, set[str]]:
    text = README.read_text(encoding="utf-8")
    section = re.search(r"<!-- formula-cells:begin.*?-->(.*?)<!-- formula-cells:end -->", text, re.S)
    assert section, "the README's downloads section does not list the columns that can start like a formula"
    columns = {}
    for line in re.findall(r"^- (.*)$", section.group(1), re.M):
        file, names = line.split(":", 1)
        columns[file.strip(" `")] = set(re.findall(r"`([a-z_]+)`", names))
    return columns
