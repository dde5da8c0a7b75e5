"""Our red flags against Cardinal's own CLI on real publishers' data: each publisher is loaded and compiled, its
compiled releases exported, and ``ocdscardinal prepare`` then ``indicators`` run on the export with the settings
file our red flags read; every flag (process or party, code, value) must be the same on both sides.

Runs only where CARDINAL_BIN names an ``ocdscardinal`` binary (cardinal-rs 0.0.8; the README's "Red flags" says how
to build one offline); skipped else."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aggregator.compare.redflags.files import DATA, settings_path
from tests.conftest import PUBLISHERS
from tests.indicator_fixtures import invoke

CARDINAL = Path(os.environ.get("CARDINAL_BIN", "cardinal-bin-not-set"))
#: Every publisher in ../shared/data/publishers: Armenia and Prozorro with settings of their own (bid statuses,
#: redactions), the others on Cardinal's defaults (default.ini).
REAL = [
    ("armenia_armeps", "AM"),
    ("ukraine_prozorro", "UA"),
    ("mexico_gacm", "MX"),
    ("paraguay_dncp", "PY"),
    ("uk_contracts_finder", "GB"),
    ("australia_nsw", "AU"),
    ("canada_buyandsell", "CA"),
    ("canada_montreal", "CA"),
    ("colombia_cce", "CO"),
    ("ecuador_sercop", "EC"),
    ("honduras_portal", "HN"),
    ("mexico_apf", "MX"),
    ("mexico_cdmx", "MX"),
    ("mexico_inai", "MX"),
    ("mexico_jalisco", "MX"),
    ("mexico_nuevo_leon", "MX"),
    ("mexico_shcp", "MX"),
    ("portugal_impic", "PT"),
    ("taiwan_aac", "TW"),
    ("uganda_gpp", "UG"),
]
#: Cardinal's output groups and our red_flag.party_role.
GROUPS = {"OCID": None, "Buyer": "buyer", "ProcuringEntity": "procuringEntity", "Tenderer": "tenderer"}


Flags = dict[tuple[str | None, str, str], float]


def cardinal_flags(result: dict[str, dict[str, dict[str, float]]]) -> Flags:
    """Cardinal's ``indicators --no-meta`` output as (party role or None, ocid or party id, code) → value."""
    return {
        (GROUPS[group], key, code): value
        for group, items in result.items()
        for key, codes in items.items()
        for code, value in codes.items()
    }


def our_flags(rows: list[dict[str, Any]]) -> Flags:
    """``red-flags --list --format json`` as the same keys."""
    return {
        (row["party_role"], row["party_id"] if row["party_role"] else row["ocid"], row["code"]): row["value"]
        for row in rows
    }


def agreement(ours: Flags, theirs: Flags) -> dict[str, tuple[int, int, int]]:
    """Per code: flags on both sides, Cardinal's only, ours only."""
    codes = sorted({code for _, _, code in ours} | {code for _, _, code in theirs})
    return {
        code: (
            sum(1 for key in ours if key[2] == code and key in theirs),
            sum(1 for key in theirs if key[2] == code and key not in ours),
            sum(1 for key in ours if key[2] == code and key not in theirs),
        )
        for code in codes
    }


def run_cardinal(compiled: Path, settings: Path, work: Path) -> Flags:
    plain = work / "compiled.jsonl"
    plain.write_bytes(gzip.decompress(compiled.read_bytes()))
    prepared, errors = work / "prepared.jsonl", work / "errors.csv"
    command = [str(CARDINAL), "prepare", "--settings", str(settings), "--output", str(prepared)]
    subprocess.run([*command, "--errors", str(errors), str(plain)], check=True, capture_output=True)
    command = [str(CARDINAL), "indicators", "--settings", str(settings), "--no-meta", str(prepared)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return cardinal_flags(json.loads(output))


def test_flag_keys() -> None:
    result = {"OCID": {"ocds-1": {"R036": 1.0}}, "Tenderer": {"T1": {"R038": 0.5}}}
    rows = [
        {"ocid": "ocds-1", "party_role": None, "party_id": None, "code": "R036", "value": 1.0},
        {"ocid": None, "party_role": "tenderer", "party_id": "T1", "code": "R038", "value": 0.5},
    ]

    assert cardinal_flags(result) == our_flags(rows) == {(None, "ocds-1", "R036"): 1.0, ("tenderer", "T1", "R038"): 0.5}


@pytest.mark.skipif(not CARDINAL.is_file(), reason="CARDINAL_BIN names no ocdscardinal binary (see README: Red flags)")
@pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="../shared/data/publishers is not here")
@pytest.mark.parametrize(("publisher", "country"), REAL, ids=[name for name, _ in REAL])
def test_equal_to_cardinal(atlas_env, publisher: str, country: str, tmp_path: Path) -> None:
    invoke("load", str(PUBLISHERS / publisher), "--publisher", publisher, "--country", country, "--workers", "1")
    invoke("compile", "--publisher", publisher, "--workers", "1")
    invoke("export", str(tmp_path / "export"))
    compiled = tmp_path / "export" / "compiled" / publisher / "full.jsonl.gz"

    theirs = run_cardinal(compiled, settings_path(publisher, [DATA]), tmp_path)
    ours = our_flags(json.loads(invoke("red-flags", "--list", "--publisher", publisher, "--format", "json")))

    print(publisher, agreement(ours, theirs))  # the agreement table, with pytest -s
    assert sorted(set(ours) - set(theirs), key=str) == []
    assert sorted(set(theirs) - set(ours), key=str) == []
    assert ours == pytest.approx(theirs)
