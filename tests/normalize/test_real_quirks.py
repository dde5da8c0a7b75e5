"""Two publishers' quirks, on their real data (../shared/data/publishers), through load, compile and normalize:
Uganda's packages say no OCDS version yet hold 1.1 parties (not to be upgraded as 1.0), and Taiwan lists its
tenderers without ``numberOfTenderers`` (counted)."""

from __future__ import annotations

import json

import pytest

from aggregator.standard import release_schema
from tests.conftest import PUBLISHERS
from tests.indicator_fixtures import invoke

pytestmark = pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="../shared/data/publishers is not here")


def compiled(conn, publisher: str) -> list[dict]:
    rows = conn.execute(
        "SELECT c.ocds_version, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id "
        "JOIN publisher p ON p.id = c.publisher_id WHERE p.name = %s ORDER BY c.ocid",
        (publisher,),
    ).fetchall()
    return [row["body"] | {"_version": row["ocds_version"]} for row in rows]


def test_uganda_keeps_its_1_1_parties(atlas_env, conn) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft4Validator(release_schema("1__1__5"))
    inputs = sorted((PUBLISHERS / "uganda_gpp").rglob("*.json"))
    for path in inputs:
        release = {k: v for k, v in json.loads(path.read_text()).items() if k != "packageInfo"}
        assert list(validator.iter_errors(release)) == [], path.name

    invoke("load", str(PUBLISHERS / "uganda_gpp"), "--publisher", "uganda_gpp", "--country", "UG", "--workers", "1")
    invoke("compile", "--publisher", "uganda_gpp", "--workers", "1")

    releases = compiled(conn, "uganda_gpp")
    assert len(releases) == len(inputs) == 10
    for release in releases:
        assert release.pop("_version") == "1.1"
        assert [error.message for error in validator.iter_errors(release)] == [], release["ocid"]
        # The buyer 19 (a number) and the party "19" are one organization, not two.
        assert len(release["parties"]) == 1
        assert str(release["buyer"]["id"]) == release["parties"][0]["id"]
    rows = conn.execute("SELECT count(*) AS n FROM process_party pp JOIN process p ON p.id = pp.process_id")
    assert rows.fetchone()["n"] == 10


def test_taiwan_counts_its_listed_tenderers(atlas_env, conn) -> None:
    invoke("load", str(PUBLISHERS / "taiwan_aac"), "--publisher", "taiwan_aac", "--country", "TW", "--workers", "1")
    invoke("compile", "--publisher", "taiwan_aac", "--workers", "1")

    listed = {}
    for path in (PUBLISHERS / "taiwan_aac").rglob("*.json"):
        release = json.loads(path.read_text())
        assert "numberOfTenderers" not in release["tender"]
        listed[release["ocid"]] = len({t["identifier"]["id"] for t in release["tender"]["tenderers"]})
    rows = conn.execute("SELECT ocid, number_of_tenderers FROM process WHERE ocid LIKE 'ocid-6as3t2-%'").fetchall()
    assert {row["ocid"]: row["number_of_tenderers"] for row in rows} == listed
    # 2014's single-bid processes (one tenderer) now count for single_bid_share.
    assert sorted(listed.values()).count(1) == 5
