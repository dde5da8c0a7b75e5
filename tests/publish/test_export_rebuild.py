"""Downloads that can be joined across rebuilds: two databases loaded with the same inputs (in another order, so
that every internal id differs) give the same bytes; a re-export rewrites only the compiled parts, and reads again
only the parts of the tables of processes, that changed."""

import gzip
import json
import subprocess
import uuid
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.publish.export import export
from tests.conftest import PUBLISHERS, _create, _drop

runner = CliRunner()
LOADS = [("portugal_impic", "PT"), ("paraguay_dncp", "PY"), ("mexico_cdmx", "MX")]
needs_publishers = pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="../shared/data/publishers is not beside us")


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def second_database(server_url: str, template_database: str):
    name = f"atlas_test_{uuid.uuid4().hex[:12]}"
    url = _create(server_url, name, template_database)
    yield url
    _drop(server_url, name)


def build(monkeypatch, url: str, loads: list[tuple[str, str]], out: Path, home: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(home))  # its own cache of table parts
    db.resolve_url.cache_clear()
    for directory, country in loads:
        invoke("load", str(PUBLISHERS / directory), "--publisher", directory, "--country", country)
    invoke("compile")
    invoke("indicators", "refresh", "--full")
    invoke("export", str(out))


@needs_publishers
def test_two_builds_of_the_same_inputs_give_the_same_bytes(atlas_env, second_database, monkeypatch, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    build(monkeypatch, db.resolve_url(), LOADS, first, tmp_path / "home-1")
    build(monkeypatch, second_database, LOADS[::-1], second, tmp_path / "home-2")
    with db.connect(second_database) as conn:  # the ids did differ
        ids = conn.execute("SELECT id FROM publisher WHERE name = 'mexico_cdmx'").fetchone()["id"]
    assert ids == 1
    one, two = files_of(first), files_of(second)
    assert set(one) == set(two)
    assert "tables/publisher.csv.gz" in one and "tables/quality_check.csv.gz" in one
    assert [name for name in one if one[name] != two[name]] == []  # datapackage.json and SHA256SUMS included
    # The cached parts of the tables of processes hold the same rows (their names are each database's own).
    assert part_summaries(tmp_path / "home-1") == part_summaries(tmp_path / "home-2") != {}


def part_summaries(home: Path) -> dict[str, dict]:
    root = home / "cache" / "export-parts"
    return {
        p.parent.relative_to(root).as_posix() + "/" + p.name.split("-")[0]: json.loads(p.read_text())
        for p in root.rglob("*.json")
    }


def cached_parts(home: Path) -> set[str]:
    root = home / "cache" / "export-parts"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def change_one_release(conn, tmp_path: Path) -> tuple[dict, str]:
    """Load and compile :func:`changed_release`; return it and its year."""
    release, year = changed_release(conn)
    package = tmp_path / "change" / "package.json"
    package.parent.mkdir()
    package.write_bytes(orjson.dumps({"uri": "x", "publishedDate": "2024-01-01T00:00:00Z", "releases": [release]}))
    invoke("load", str(package), "--publisher", "paraguay_dncp", "--country", "PY")
    invoke("compile")
    return release, year


def changed_release(conn) -> tuple[dict, str]:
    """A new release of one Paraguayan OCID, dated in its first release's year, and that year."""
    row = conn.execute(
        "SELECT c.ocid, extract(year FROM c.first_date)::int AS year FROM compiled_release c "
        "JOIN publisher p ON p.id = c.publisher_id WHERE p.name = 'paraguay_dncp' AND c.first_date IS NOT NULL "
        "ORDER BY c.ocid LIMIT 1"
    ).fetchone()
    release = {
        "ocid": row["ocid"],
        "id": "changed-1",
        "date": f"{row['year']}-12-31T00:00:00Z",
        "tag": ["tenderUpdate"],
        "tender": {"id": "changed", "title": "changed by the test"},
    }
    return release, str(row["year"])


@needs_publishers
def test_a_re_export_rewrites_only_the_parts_that_changed(atlas_env, conn, tmp_path):
    for directory, country in LOADS:
        invoke("load", str(PUBLISHERS / directory), "--publisher", directory, "--country", country)
    invoke("compile")
    out = tmp_path / "out"
    first = {f.path: f for f in export(conn, out)}
    assert all(f.written for f in first.values())
    before = {path: path.stat().st_mtime_ns for path in first}

    unchanged = {f.path: f for f in export(conn, out)}  # nothing changed: no compiled file is written again
    assert [f.path.name for f in unchanged.values() if f.kind.startswith("compiled") and f.written] == []
    assert all(path.stat().st_mtime_ns == before[path] for path in unchanged if "compiled" in path.parts)

    release, year = change_one_release(conn, tmp_path)
    again = {f.path: f for f in export(conn, out)}
    rewritten = sorted(
        f.path.relative_to(out).as_posix() for f in again.values() if f.kind.startswith("compiled") and f.written
    )
    assert rewritten == [f"compiled/paraguay_dncp/{year}.jsonl.gz", "compiled/paraguay_dncp/full.jsonl.gz"]
    for path, file in again.items():
        if file.kind.startswith("compiled") and not file.written:
            assert path.stat().st_mtime_ns == before[path]
    with gzip.open(out / "compiled" / "paraguay_dncp" / "full.jsonl.gz") as f:
        lines = [json.loads(line) for line in f]
    assert any(r["ocid"] == release["ocid"] and r["tender"].get("title") == "changed by the test" for r in lines)
    assert subprocess.run(["gzip", "-t", str(out / "compiled" / "paraguay_dncp" / "full.jsonl.gz")]).returncode == 0

    # The incremental result is exactly what a fresh export gives; a part altered on disk is written again.
    fresh = tmp_path / "fresh"
    export(conn, fresh)
    assert files_of(out) == files_of(fresh)
    damaged = out / "compiled" / "mexico_cdmx" / "full.jsonl.gz"
    data = damaged.read_bytes()
    damaged.write_bytes(data[:20] + bytes([data[20] ^ 0xFF]) + data[21:])  # the same size, other bytes
    repaired = {f.path: f for f in export(conn, out)}
    assert repaired[damaged].written and files_of(out) == files_of(fresh)


@needs_publishers
def test_the_tables_of_processes_read_again_only_the_parts_that_changed(atlas_env, conn, tmp_path, monkeypatch):
    for directory, country in LOADS:
        invoke("load", str(PUBLISHERS / directory), "--publisher", directory, "--country", country)
    invoke("compile")
    out = tmp_path / "out"
    first = {f.path.relative_to(out).as_posix(): f for f in export(conn, out)}
    assert first["tables/award.csv.gz"].written and first["tables/award.parquet"].written
    parts = cached_parts(atlas_env)
    assert {p.split("/")[0] for p in parts} == {
        "process", "award", "contract", "process_party", "organization_identifier", "processes"
    }  # fmt: skip
    unchanged = {f.path.relative_to(out).as_posix(): f for f in export(conn, out)}
    assert [n for n, f in unchanged.items() if n.startswith("tables/process") and f.written] == []
    assert cached_parts(atlas_env) == parts

    _, year = change_one_release(conn, tmp_path)
    again = {f.path.relative_to(out).as_posix(): f for f in export(conn, out)}
    assert again["tables/process.csv.gz"].written and again["tables/processes.parquet"].written
    # Only that publisher's year was read again, in every table of processes.
    new = cached_parts(atlas_env) - parts
    assert {(p.split("/")[1], p.split("/")[2].split("-")[0]) for p in new} == {("paraguay_dncp", year)}
    assert len(new) == 18 and len(cached_parts(atlas_env)) == len(parts)  # the old files of that part are gone

    # A buyer renamed by other processes changes the rows of processes that name it.
    buyer = conn.execute(
        "SELECT buyer_org_key FROM process WHERE buyer_org_key IS NOT NULL ORDER BY ocid LIMIT 1"
    ).fetchone()["buyer_org_key"]
    conn.execute("UPDATE organization SET name = 'Renamed by the test' WHERE org_key = %s", (buyer,))
    export(conn, out)
    with gzip.open(out / "tables" / "processes.csv.gz", "rt") as f:
        assert "Renamed by the test" in f.read()

    # The result is exactly what an export without any cached part gives.
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path / "other-home"))
    fresh = tmp_path / "fresh"
    export(conn, fresh)
    assert files_of(out) == files_of(fresh)
    assert subprocess.run(["gzip", "-t", str(out / "tables" / "award.csv.gz")]).returncode == 0
