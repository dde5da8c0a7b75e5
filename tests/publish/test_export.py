"""Downloads: compiled releases per publisher and year, the tables as CSV and Parquet keyed by publisher and OCID,
indicators, the data package and checksums, checked against the database."""

import csv
import gzip
import hashlib
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import frictionless
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.publish import tables as export_tables
from aggregator.publish.datapackage import licence_entry
from aggregator.publish.downloads import DOWNLOADS, describe
from aggregator.publish.tables import csv_cell
from tests.conftest import PUBLISHERS

runner = CliRunner()
LOADS = [("uk_contracts_finder", "GB"), ("portugal_impic", "PT"), ("paraguay_dncp", "PY"), ("mexico_cdmx", "MX")]
NORMALIZED_TABLES = ("process", "award", "contract", "organization", "organization_identifier", "process_party")
PER_PROCESS = ("process", "award", "contract", "process_party", "organization_identifier", "processes")
INDICATOR_ROWS = [
    ("single_bid_share", "country", "GB", None, None, 2017, 0.25, 120, 150, 0.2, False),
    ("single_bid_share", "publisher", "PT", "portugal_impic", None, 2018, None, 0, 100, 1.0, True),
    ("processes", "buyer", "PY", None, "PY-RUC-80000000-1", 2016, 7.0, 7, 7, 0.0, True),
]

# frictionless (5.21) leaves the files of non-tabular resources open after checking their hashes.
frictionless_leaks_files = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def count(conn, statement: str) -> int:
    return conn.execute(statement).fetchone()["n"]


def read_csv_gz(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def jsonl(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="../shared/data/publishers is not beside the checkout")
@frictionless_leaks_files
def test_export_agrees_with_the_database(atlas_env, conn, tmp_path, monkeypatch):
    monkeypatch.setattr(export_tables, "BATCH_ROWS", 100)  # several batches: several Parquet row groups
    for directory, country in LOADS:
        invoke("load", str(PUBLISHERS / directory), "--publisher", directory, "--country", country)
    invoke("compile")
    conn.execute(
        "UPDATE publisher SET licence = 'OGL v2', url = 'https://www.contractsfinder.service.gov.uk' "
        "WHERE name = 'uk_contracts_finder'"
    )
    conn.execute("UPDATE publisher SET licence = 'CC-BY-4.0' WHERE name = 'portugal_impic'")
    insert_indicators(conn)
    out = tmp_path / "out"
    output = invoke("export", str(out))
    assert "SHA256SUMS" in output

    assert_compiled_files(conn, out)
    assert_tables(conn, out)
    assert_indicators(out)
    assert_package(conn, out)
    assert_checksums(out)

    # The same data give the same bytes.
    first = (out / "SHA256SUMS").read_text()
    invoke("export", str(out))
    assert (out / "SHA256SUMS").read_text() == first


def insert_indicators(conn) -> None:
    if conn.execute("SELECT to_regclass('indicator_value') IS NULL AS absent").fetchone()["absent"]:
        conn.execute(
            "CREATE TABLE indicator_value (indicator text, level text, country char(2), publisher text, "
            "buyer_org_key text, year integer, value double precision, n_eligible integer, n_total integer, "
            "missing_share double precision, suppressed boolean, computed_at timestamptz NOT NULL DEFAULT now())"
        )
    conn.execute("DELETE FROM indicator_value")
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO indicator_value (indicator, level, country, publisher, buyer_org_key, year, value, "
            "n_eligible, n_total, missing_share, suppressed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            INDICATOR_ROWS,
        )


def assert_compiled_files(conn, out) -> None:
    for directory, _ in LOADS:
        folder = out / "compiled" / directory
        full = jsonl(folder / "full.jsonl.gz")
        expected = conn.execute(
            "SELECT c.ocid, extract(year FROM c.first_date AT TIME ZONE 'UTC')::int AS year FROM compiled_release c "
            "JOIN publisher p ON p.id = c.publisher_id WHERE p.name = %s",
            (directory,),
        ).fetchall()
        by_year: dict[str, list[str]] = {}
        for row in sorted(expected, key=lambda r: r["ocid"].encode()):
            by_year.setdefault("undated" if row["year"] is None else str(row["year"]), []).append(row["ocid"])
        parts = {
            path.name.removesuffix(".jsonl.gz"): [r["ocid"] for r in jsonl(path)]
            for path in folder.glob("*.jsonl.gz")
            if path.name != "full.jsonl.gz"
        }
        assert parts == by_year  # one file per year, each by OCID (bytewise)
        # full.jsonl.gz is the years' files one after the other, byte for byte: each release compressed once.
        order = sorted(parts, key=lambda name: (name == "undated", name))
        assert (folder / "full.jsonl.gz").read_bytes() == b"".join(
            (folder / f"{name}.jsonl.gz").read_bytes() for name in order
        )
        assert [r["ocid"] for r in full] == [ocid for name in order for ocid in parts[name]]
        assert (folder / "full.jsonl.gz").read_bytes()[4:8] == b"\0\0\0\0"  # mtime 0


def assert_tables(conn, out) -> None:
    for table in NORMALIZED_TABLES:
        n = count(conn, f"SELECT count(*) AS n FROM {table}")
        rows = read_csv_gz(out / "tables" / f"{table}.csv.gz")
        assert len(rows) == n, table
        parquet = pq.ParquetFile(out / "tables" / f"{table}.parquet")
        assert parquet.metadata.num_rows == n, table
        groups = [parquet.metadata.row_group(i).num_rows for i in range(parquet.metadata.num_row_groups)]
        assert max(groups) == 100 and len(groups) < n // 100 + 20, table  # batches of 100 rows, short at a part's end
        assert list(rows[0]) == parquet.schema_arrow.names
        # Keys that survive a rebuild: no database id, no clock.
        for internal in ("id", "process_id", "compiled_release_id", "publisher_id", "output_hash", "normalized_at"):
            assert internal not in rows[0], (table, internal)
    assert count(conn, "SELECT count(*) AS n FROM process") > 300
    processes = {(r["publisher"], r["ocid"]) for r in read_csv_gz(out / "tables" / "process.csv.gz")}
    assert len(processes) == count(conn, "SELECT count(*) AS n FROM process")  # (publisher, ocid) is a key
    for table in PER_PROCESS:
        rows = read_csv_gz(out / "tables" / f"{table}.csv.gz")
        assert rows and {(r["publisher"], r["ocid"]) for r in rows} <= processes, table  # every row joins
    publishers = {r["publisher"]: r for r in read_csv_gz(out / "tables" / "publisher.csv.gz")}
    assert set(publishers) == {d for d, _ in LOADS}
    uk = publishers["uk_contracts_finder"]
    assert (uk["country"], uk["licence"], uk["url"]) == ("GB", "OGL v2", "https://www.contractsfinder.service.gov.uk")
    for row in publishers.values():  # the dates its processes are counted in: tender period's start, else release
        first, last = (
            conn.execute(
                "SELECT (min(coalesce(tender_start, release_date)) AT TIME ZONE 'UTC')::date AS a, "
                "(max(coalesce(tender_start, release_date)) AT TIME ZONE 'UTC')::date AS b FROM process x "
                "JOIN publisher p ON p.id = x.publisher_id WHERE p.name = %s",
                (row["publisher"],),
            )
            .fetchone()
            .values()
        )
        assert (row["coverage_start"], row["coverage_end"]) == (str(first), str(last))
    # Quality results are downloads too.
    checks = read_csv_gz(out / "tables" / "quality_check.csv.gz")
    assert len(checks) == count(conn, "SELECT count(*) AS n FROM quality_check") > 0
    assert len(read_csv_gz(out / "tables" / "field_coverage.csv.gz")) == count(
        conn, "SELECT count(*) AS n FROM field_coverage"
    )
    # Exact numbers in the CSV files, doubles in Parquet; both the same amounts.
    usd = conn.execute("SELECT sum(amount_usd) AS s FROM award").fetchone()["s"]
    assert sum(Decimal(r["amount_usd"]) for r in read_csv_gz(out / "tables" / "award.csv.gz") if r["amount_usd"]) == usd
    awards = pq.read_table(out / "tables" / "award.parquet", columns=["amount_usd"]).column(0).to_pylist()
    assert sum(a for a in awards if a is not None) == pytest.approx(float(usd))

    processes = pq.read_table(out / "tables" / "processes.parquet")
    assert processes.num_rows == count(conn, "SELECT count(*) AS n FROM process")
    assert len(read_csv_gz(out / "tables" / "processes.csv.gz")) == processes.num_rows  # CSV as well as Parquet
    assert set(processes.column("country").to_pylist()) == {"GB", "PT", "PY", "MX"}
    assert set(processes.column("publisher").to_pylist()) == {d for d, _ in LOADS}
    for name in ("award_amount_usd", "award_amount_eur", "tender_amount_usd", "year", "buyer_name", "level"):
        assert name in processes.schema.names
    total = sum(v for v in processes.column("award_amount_usd").to_pylist() if v is not None)
    assert total == pytest.approx(float(usd))


def assert_indicators(out) -> None:
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["indicator"], r["level"], r["country"]) for r in rows] == sorted(
        (r[0], r[1], r[2]) for r in INDICATOR_ROWS
    )
    suppressed = {r["country"]: r["suppressed"] for r in rows}
    assert suppressed == {"GB": "false", "PT": "true", "PY": "true"}
    assert next(r for r in rows if r["country"] == "PT")["value"] == ""  # NULL, never 0


def assert_package(conn, out) -> None:
    descriptor = json.loads((out / "datapackage.json").read_text())
    assert list(frictionless.Package.metadata_validate(descriptor)) == []
    paths = {r["path"] for r in descriptor["resources"]}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert paths == written - {"datapackage.json", "SHA256SUMS"}
    report = frictionless.validate(out / "datapackage.json")
    # Parquet data need frictionless[parquet] (pandas), not installed: pyarrow reads them above. Everything else,
    # the CSV files' rows against their schemas and foreign keys, the compiled files' hashes and sizes, is valid.
    checked = [task for task in report.tasks if not task.place.endswith(".parquet")]
    assert {t.place for t in checked} == {p for p in paths if not p.endswith(".parquet")}
    assert all(task.valid for task in checked), [(t.place, t.flatten(["type", "message"])[:3]) for t in checked]
    assert sum(t.stats["rows"] for t in checked if t.place == "tables/process.csv.gz") == count(
        conn, "SELECT count(*) AS n FROM process"
    )
    by_name = {r["name"]: r for r in descriptor["resources"]}
    assert by_name["compiled-uk_contracts_finder-full"]["licenses"] == [{"name": "OGL-v2", "title": "OGL v2"}]
    assert "licenses" not in by_name["compiled-paraguay_dncp-full"]  # not stated
    assert {"name": "OGL-v2", "title": "OGL v2"} in descriptor["licenses"]
    types = {f["name"]: f["type"] for f in by_name["award-parquet"]["schema"]["fields"]}
    assert types["amount_usd"] == "number" and types["date"] == "datetime" and types["supplier_org_keys"] == "array"
    assert by_name["process-csv"]["schema"]["primaryKey"] == ["publisher", "ocid"]
    assert by_name["award-csv"]["schema"]["foreignKeys"] == [
        {"fields": ["publisher", "ocid"], "reference": {"resource": "process-csv", "fields": ["publisher", "ocid"]}}
    ]
    described = [f for r in descriptor["resources"] for f in r.get("schema", {}).get("fields", [])]
    assert len(described) > 250 and all(f["description"] for f in described)
    sources = json.dumps(descriptor["sources"])
    assert "https://www.contractsfinder.service.gov.uk" in sources and "OGL v2" in sources
    assert "HM Revenue" in sources  # GBP amounts converted with HMRC rates… or the ECB's, at least one of them
    assert "European Central Bank" in sources or "International Monetary Fund" in sources
    newest = conn.execute(
        "SELECT (max(coalesce(tender_start, release_date)) AT TIME ZONE 'UTC')::date AS d FROM process"
    ).fetchone()["d"]
    assert descriptor["created"] == f"{newest}T00:00:00Z"  # from the data, not the clock


def assert_checksums(out) -> None:
    lines = (out / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert set(listed) == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"SHA256SUMS"}


@frictionless_leaks_files
def test_an_empty_database_exports_headers_and_removes_stale_files(atlas_env, conn, tmp_path):
    out = tmp_path / "out"
    stale = out / "compiled" / "gone" / "2019.jsonl.gz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    invoke("export", str(out))
    assert not stale.exists()
    with (out / "indicators.csv").open(encoding="utf-8") as f:
        header = "indicator,level,country,publisher,buyer_org_key,year,value,n_eligible,n_total,missing_share,"
        assert f.read() == header + "suppressed\n"  # no computed_at: a clock's time would differ between builds
    assert read_csv_gz(out / "tables" / "process.csv.gz") == []
    assert pq.ParquetFile(out / "tables" / "processes.parquet").metadata.num_rows == 0
    descriptor = json.loads((out / "datapackage.json").read_text())
    assert "created" not in descriptor  # no data, no date (and never the clock's)
    report = frictionless.validate(out / "datapackage.json")
    assert all(t.valid for t in report.tasks if not t.place.endswith(".parquet"))


def test_every_field_of_every_download_is_described(conn):
    for download in DOWNLOADS:
        if (
            download.needs
            and conn.execute("SELECT to_regclass(%s) IS NULL AS absent", (download.needs,)).fetchone()["absent"]
        ):
            continue
        params = {"publisher_id": 0, "years": []} if download.by_part else None
        cursor = conn.execute(query("publish/downloads", download.name) + " LIMIT 0", params)
        for column in cursor.description[:-1] if download.by_part else cursor.description:  # not the part's
            assert describe(download.name, column.name), (download.name, column.name)
    with pytest.raises(AtlasError, match=r"process\.no_such_field has no description"):
        describe("process", "no_such_field")


def test_cells_are_read_back_by_table_schema_defaults(tmp_path):
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-01-02T03:04:05Z"
    assert csv_cell(date(2024, 1, 2)) == "2024-01-02"
    assert csv_cell(["buyer", "supplier"]) == '["buyer", "supplier"]'
    assert csv_cell(Decimal("1234.50")) == "1234.50"
    schema = frictionless.Schema.from_descriptor(
        {"fields": [{"name": "d", "type": "datetime"}, {"name": "a", "type": "array"}]}
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [["d", "a"], [csv_cell(datetime(2024, 1, 2, tzinfo=UTC)), csv_cell(["x", 'y "z"'])]]
    )
    path = tmp_path / "cells.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    resource = frictionless.Resource("cells.csv", basepath=str(tmp_path), schema=schema)
    assert resource.validate().valid


def test_licences_become_data_package_licences():
    assert licence_entry(None) is None
    assert licence_entry("https://creativecommons.org/licenses/by/4.0/")["path"].startswith("https://")
    assert licence_entry("CC-BY-4.0") == {"name": "CC-BY-4.0", "title": "CC-BY-4.0"}
    assert licence_entry("datos.gob.mx libreusomx") == {
        "name": "datos.gob.mx-libreusomx",
        "title": "datos.gob.mx libreusomx",
    }


def test_csv_files_write_each_cell_as_csv_cell_does(tmp_path):
    from contextlib import ExitStack

    from aggregator.publish.tables import Column, CsvSink

    types = ("text", "numeric", "float8", "bool", "date", "timestamptz", "_text", "int4")
    columns = [Column(f"c{i}", t) for i, t in enumerate(types)]
    rows = [
        ("x", Decimal("1.50"), 0.1 + 0.2, True, date(2024, 1, 2), datetime(2024, 1, 2, 3, tzinfo=UTC), ["a", "b"], 7),
        (None, None, None, False, None, None, None, None),
    ]
    with ExitStack() as stack:
        CsvSink(stack, tmp_path / "t.csv", columns).write(rows)
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(
        [[c.name for c in columns]] + [[csv_cell(v) for v in r] for r in rows]
    )
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == expected.getvalue()
