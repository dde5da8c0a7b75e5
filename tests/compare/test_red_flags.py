"""Red flags through the pipeline: every fixture of Cardinal 0.0.8 (read in place) loaded with ``load --compiled``
as a publisher of its own, with the fixture's settings as that publisher's settings file, compiled and normalized,
its red flags computed in the database, and compared with Cardinal's expected output; the ``prepare`` fixtures
through ``red-flags --prepared``."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from aggregator.compare.redflags.catalogue import CATALOGUE
from tests.compare.test_cardinal_fixtures import FIXTURES, INDICATORS, PREPARE, fixture_settings, read_lines
from tests.indicator_fixtures import invoke

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="Cardinal's fixtures are not on this machine")
GROUPS = {None: "OCID", "buyer": "Buyer", "procuringEntity": "ProcuringEntity", "tenderer": "Tenderer"}


def publisher(kind: str, name: str) -> str:
    return f"cardinal-{kind}-{name.lower().replace('+', '.')}"


def results(conn, name: str) -> dict[str, Any]:
    """The stored flags of a publisher as Cardinal's output: groups, identifiers, codes, values."""
    rows = conn.execute("SELECT * FROM red_flag WHERE publisher = %s", (name,)).fetchall()
    output: dict[str, Any] = {}
    for row in rows:
        group = output.setdefault(GROUPS[row["party_role"]], {})
        group.setdefault(row["ocid"] or row["party_id"], {})[row["code"]] = row["value"]
    return output


def numbered(path: Path, prefix: str, directory: Path) -> Path:
    """Most of Cardinal's prepare fixtures have no ``ocid``, which a compiled release needs: a line without one
    gets one made of its number."""
    lines = [json.dumps(with_ocid(value, prefix, n)) for n, value in enumerate(read_lines(path))]
    target = directory / path.name
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def with_ocid(value: dict[str, Any], prefix: str, line: int) -> dict[str, Any]:
    return value if "ocid" in value else value | {"ocid": f"{prefix}-{line:03}"}


@pytest.fixture
def loaded(atlas_env, monkeypatch, tmp_path) -> list[str]:
    """Every indicator and prepare fixture loaded as a publisher, all in one database, then compiled once."""
    settings = tmp_path / "settings"
    settings.mkdir()
    monkeypatch.setenv("OCDS_ATLAS_RED_FLAG_SETTINGS", str(settings))
    for name in INDICATORS:
        key = publisher("indicators", name)
        (settings / f"{key}.ini").write_text(fixture_settings(name), encoding="utf-8")
        path = FIXTURES / "indicators" / f"{name}.jsonl"
        invoke("load", "--compiled", str(path), "--publisher", key, "--country", "XZ", "--workers", "1")
    for name in PREPARE:
        key = publisher("prepare", name)
        (settings / f"{key}.ini").write_text((FIXTURES / "prepare" / f"{name}.ini").read_text(), encoding="utf-8")
        path = numbered(FIXTURES / "prepare" / f"{name}.jsonl", name, tmp_path)
        invoke("load", "--compiled", str(path), "--publisher", key, "--country", "XZ", "--workers", "1")
    invoke("compile", "--workers", "1")
    return [publisher("indicators", name) for name in INDICATORS]


def test_every_fixture_through_the_pipeline(loaded, conn) -> None:
    compiled = conn.execute(
        "SELECT p.name, count(c.*) AS n, count(DISTINCT pr.id) AS processes FROM publisher p "
        "JOIN compiled_release c ON c.publisher_id = p.id LEFT JOIN process pr ON pr.compiled_release_id = c.id "
        "GROUP BY p.name"
    ).fetchall()
    counts = {row["name"]: (row["n"], row["processes"]) for row in compiled}
    for name in INDICATORS:
        lines = len(read_lines(FIXTURES / "indicators" / f"{name}.jsonl"))
        assert counts[publisher("indicators", name)] == (lines, lines), name

    got = {name: results(conn, publisher("indicators", name)) for name in INDICATORS}
    expected = {name: json.loads((FIXTURES / "indicators" / f"{name}.expected").read_text()) for name in INDICATORS}
    assert got == expected
    assert len(expected) == 15
    check_the_prepare_fixtures(conn)
    check_prepare_issues_are_notes(conn)


def test_outputs(loaded, conn, tmp_path) -> None:
    """``red-flags`` (counts and --list), the export's red_flag table and the report's rates."""
    check_the_red_flags_command()
    check_export_and_report(conn, tmp_path)


def check_the_prepare_fixtures(conn) -> None:
    passed = []
    for name in PREPARE:
        output = invoke("red-flags", "--prepared", "--publisher", publisher("prepare", name))
        prepared = {release["ocid"]: release for release in map(json.loads, output.splitlines())}
        lines = (FIXTURES / "prepare" / f"{name}.output").read_text().splitlines()
        expected = [with_ocid(json.loads(line), name, n) for n, line in enumerate(lines)]
        assert prepared == {release["ocid"]: release for release in expected}, name
        passed.append(name)
    assert len(passed) == 9


def check_prepare_issues_are_notes(conn) -> None:
    """What prepare reports and cannot correct is a note of the publisher, per path and issue."""
    rows = conn.execute(
        "SELECT p.name, n.data, n.count FROM note n JOIN publisher p ON p.id = n.publisher_id "
        "WHERE n.stage = 'compare' AND n.code = 'red_flag_prepare'"
    ).fetchall()
    issues = {(row["name"], row["data"]["path"], row["data"]["issue"]): row["count"] for row in rows}
    # prepare/amount.jsonl: three bids without a currency or a status (its settings redact amounts only).
    assert issues[(publisher("prepare", "amount"), "/bids/details[]/value/currency", "not set")] == 3
    assert issues[(publisher("prepare", "amount"), "/bids/details[]/status", "not set")] == 3
    # prepare/defaults.jsonl: its settings fill every default, so nothing is left to report.
    assert not any(key[0] == publisher("prepare", "defaults") for key in issues)


def check_the_red_flags_command() -> None:
    key = publisher("indicators", "R024")
    counts = json.loads(invoke("red-flags", "--publisher", key, "--format", "json"))
    # Every code, flagged or not, with its name; R024's fixture enables R024 only, yet all are listed.
    assert {row["code"] for row in counts} == {f"R{n:03}" for n in (3, 18, 24, 25, 28, 30, 35, 36, 38, 48, 58)}
    r024 = {row["level"]: row for row in counts if row["code"] == "R024"}
    assert r024["process"]["name"] == "Price close to winning bid"
    assert (r024["process"]["flagged"], r024["tenderer"]["flagged"]) == (2, 2)
    assert all(row["flagged"] == 0 for row in counts if row["code"] != "R024")

    listing = json.loads(invoke("red-flags", "--list", "--publisher", key, "--format", "json"))
    assert {(row["ocid"], row["party_id"], row["code"]) for row in listing} == {
        ("F", None, "R024"),
        ("repeat tenderers", None, "R024"),
        (None, "L", "R024"),
        (None, "W", "R024"),
    }
    process = next(row for row in listing if row["ocid"] == "F")
    assert process["details"]["winner"] == "W" and process["details"]["lower_fence"] > 0
    assert sorted(next(row for row in listing if row["party_id"] == "W")["details"]["ocids"]) == [
        "F",
        "repeat tenderers",
    ]
    lines = invoke("red-flags", "--list", "--publisher", key, "--format", "csv").splitlines()
    assert lines[0] == "publisher,ocid,party_role,party_id,code,name,value,details" and len(lines) == 5


def check_export_and_report(conn, tmp_path) -> None:
    invoke("export", str(tmp_path / "out"))
    with gzip.open(tmp_path / "out" / "tables" / "red_flag.csv.gz", "rt", encoding="utf-8") as f:
        exported = list(csv.DictReader(f))
    assert list(exported[0]) == ["publisher", "ocid", "code", "party_role", "party_id", "details"]
    stored = conn.execute("SELECT * FROM red_flag").fetchall()
    assert len(exported) == len(stored) > 0
    key = publisher("indicators", "R024")
    flagged = {(r["ocid"], r["party_id"], json.loads(r["details"])["value"]) for r in exported if r["publisher"] == key}
    assert flagged == {("F", "", 0.0), ("repeat tenderers", "", 0.0), ("", "L", 0.0), ("", "W", 0.0)}
    table = pq.read_table(tmp_path / "out" / "tables" / "red_flag.parquet")
    assert table.num_rows == len(stored) and table.column_names == list(exported[0])

    invoke("report", str(tmp_path / "report"))
    page = (tmp_path / "report" / "country-xz.html").read_text(encoding="utf-8")
    # R024's rate in XZ: 2 processes flagged of every fixture publisher's processes (n), each code listed.
    processes = conn.execute("SELECT sum(processes) AS n FROM red_flag_run").fetchone()["n"]
    flagged_r024 = conn.execute("SELECT count(*) AS n FROM red_flag WHERE code = 'R024' AND ocid IS NOT NULL")
    rate = f"{100 * flagged_r024.fetchone()['n'] / processes:.1f} %"
    assert "Price close to winning bid" in page and f"(n = {processes})" in page and rate in page
    assert all(flag.name in page for flag in CATALOGUE)
