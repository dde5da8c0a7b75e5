"""Spreadsheets converted to release packages with flattentool, and loaded like any other file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest
from openpyxl import Workbook

from aggregator.raw.bulk import expand_paths, load_paths
from aggregator.raw.convert import convert, resolved_release_schema, spreadsheet_format
from aggregator.raw.crawls import PublisherInfo

MAIN = (
    "ocid,id,date,tag,tender/id,tender/value/amount,tender/value/currency,tender/numberOfTenderers\n"
    "ocds-test01-1,1,2020-01-01T00:00:00Z,tender,t1,100.5,USD,3\n"
    "ocds-test01-2,1,2020-01-02T00:00:00Z,tender,t2,200,USD,2\n"
    "ocds-test01-1,2,2020-02-01T00:00:00Z,tenderUpdate,t1,150,USD,4\n"
)
ITEMS = "ocid,id,tender/items/0/id,tender/items/0/quantity\nocds-test01-1,1,i1,5\nocds-test01-1,1,i2,7\n"


def rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def releases(package: bytes | None) -> list[dict]:
    assert package is not None
    return orjson.loads(package)["releases"]


@pytest.fixture
def standard(atlas_env: Path) -> None:
    """The local standard (set by atlas_env), and no schema cached from another test's standard."""
    resolved_release_schema.cache_clear()


@pytest.mark.parametrize(
    ("name", "declared", "expected"),
    [("a/releases.CSV", None, "csv"), ("book.xlsx", None, "xlsx"), ("x.json", None, None), ("x.json", "xlsx", "xlsx")],
)
def test_spreadsheet_format(name, declared, expected):
    assert spreadsheet_format(name, declared) == expected


def test_the_resolved_schema_has_no_reference_left(standard):
    assert b"$ref" not in orjson.dumps(resolved_release_schema("1__1__5"))


def test_a_csv_of_releases_is_typed_by_the_release_schema(standard, tmp_path):
    path = tmp_path / "releases.csv"
    path.write_text(MAIN, encoding="utf-8-sig")  # with a BOM, as spreadsheet programs write
    package, problems = convert(path, "csv")
    assert problems == []
    first = releases(package)[0]
    assert first == {
        "ocid": "ocds-test01-1",
        "id": "1",
        "date": "2020-01-01T00:00:00Z",
        "tag": ["tender"],
        "tender": {"id": "t1", "value": {"amount": 100.5, "currency": "USD"}, "numberOfTenderers": 3},
    }
    assert [(r["ocid"], r["id"]) for r in releases(package)] == [
        ("ocds-test01-1", "1"),
        ("ocds-test01-1", "2"),
        ("ocds-test01-2", "1"),
    ]


def test_a_zip_of_sheets_joins_rows_by_ocid_and_id(standard, tmp_path):
    path = tmp_path / "bulk.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("main.csv", MAIN)
        archive.writestr("items.csv", ITEMS)
        archive.writestr("README.md", "not a sheet")
    package, _ = convert(path, "csv")
    first = releases(package)[0]
    assert first["tender"]["items"] == [{"id": "i1", "quantity": 5}, {"id": "i2", "quantity": 7}]
    package, _ = convert(path, "csv", member_pattern="main*")
    assert "items" not in releases(package)[0]["tender"]


def test_a_directory_of_sheets(standard, tmp_path):
    (tmp_path / "main.csv").write_text(MAIN)
    (tmp_path / "items.csv").write_text(ITEMS)
    package, _ = convert(tmp_path, "csv")
    assert len(releases(package)) == 3
    assert len(releases(package)[0]["tender"]["items"]) == 2


def test_an_xlsx_workbook_with_two_sheets(standard, tmp_path):
    workbook = Workbook()
    workbook.active.title = "main"
    for row in rows(MAIN):
        workbook.active.append(row)
    items = workbook.create_sheet("items")
    for row in rows(ITEMS):
        items.append(row)
    path = tmp_path / "download"  # a name without .xlsx, as a crawled file may have
    workbook.save(path)
    package, problems = convert(path, "xlsx")
    assert problems == []
    first = releases(package)[0]
    assert first["tender"]["value"] == {"amount": 100.5, "currency": "USD"}
    assert [item["id"] for item in first["tender"]["items"]] == ["i1", "i2"]


def test_conversion_warnings_become_problems(standard, tmp_path):
    path = tmp_path / "releases.csv"
    path.write_text(MAIN.replace(",USD,3", ",USD,three"))
    package, problems = convert(path, "csv")
    assert releases(package)[0]["tender"]["numberOfTenderers"] == "three"
    assert [(p.level, p.code, p.data["warning"]) for p in problems] == [
        ("warning", "conversion_warning", "DataErrorWarning")
    ]


def test_a_file_that_is_not_a_workbook_is_a_problem(standard, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"not a workbook")
    package, problems = convert(path, "xlsx")
    assert package is None
    assert [(p.level, p.code) for p in problems] == [("error", "conversion_failed")]


def test_a_zip_without_csv_is_a_problem(standard, tmp_path):
    path = tmp_path / "bulk.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("releases.json", "{}")
    package, problems = convert(path, "csv")
    assert package is None
    assert "no CSV" in problems[0].message


def test_without_the_standard_every_cell_is_text(atlas_env, tmp_path, monkeypatch):
    monkeypatch.setenv("OCDS_ATLAS_STANDARD_URL", str(tmp_path / "nowhere"))
    resolved_release_schema.cache_clear()
    path = tmp_path / "releases.csv"
    path.write_text(MAIN)
    package, problems = convert(path, "csv")
    resolved_release_schema.cache_clear()
    assert releases(package)[0]["tender"]["value"]["amount"] == "100.5"
    assert [p.code for p in problems] == ["converted_without_schema"]


def test_ocds_load_of_a_csv_and_an_xlsx_file(standard, conn, tmp_path):
    csv_path = tmp_path / "releases.csv"
    csv_path.write_text(MAIN)
    workbook = Workbook()
    for row in rows(MAIN.replace("test01", "test02")):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx_path = tmp_path / "releases.xlsx"
    xlsx_path.write_bytes(buffer.getvalue())
    publisher = PublisherInfo(name="csv_test", title="CSV test", country="XZ", ocds_version="1.1")
    _, outcomes = load_paths(conn, publisher, [csv_path, xlsx_path])
    assert [o.releases for o in outcomes] == [3, 3]
    count = conn.execute("SELECT count(DISTINCT ocid) AS n FROM release").fetchone()["n"]
    assert count == 4


def test_a_directory_still_skips_its_csv_files_but_a_given_csv_file_is_loaded(tmp_path):
    (tmp_path / "releases.json").write_text("{}")
    (tmp_path / "notes.csv").write_text(MAIN)
    (tmp_path / "README.md").write_text("docs")
    assert expand_paths([tmp_path]) == [tmp_path / "releases.json"]
    assert expand_paths([tmp_path / "notes.csv"]) == [tmp_path / "notes.csv"]
