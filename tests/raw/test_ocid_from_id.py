"""A release without an ``ocid`` whose ``id`` carries one (Italy's ANAC): the read option ``ocid_from_id``, read
whole and streamed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aggregator.raw.read import Item, Problem, ReadLimits, iter_items, iter_sources, read_source
from aggregator.raw.shapes import ocid_from_id

TINY = ReadLimits(stream_threshold=1)  # every source is streamed
WHOLE = ReadLimits(stream_threshold=1 << 40)  # no source is streamed

WITH_OCID = {"ocid": "ocds-hu01ve-1", "id": "ocds-hu01ve-1-01", "date": "2023-01-10T10:00:00Z", "tag": ["tender"]}
WITHOUT_OCID = {"id": "ocds-hu01ve-7608611-01", "date": "2023-01-20T10:00:00Z", "tag": ["tender"]}


@pytest.mark.parametrize(
    ("release_id", "expected"),
    [
        ("ocds-hu01ve-7608611-01", "ocds-hu01ve-7608611"),
        ("ocds-hu01ve-7608611-01-02", "ocds-hu01ve-7608611"),
        (" ocds-hu01ve-7608611-01 ", "ocds-hu01ve-7608611"),
        ("ocds-hu01ve-7608611", "ocds-hu01ve-7608611"),
        ("ocds-hu01ve", None),  # no process part
        ("ocds--7608611-01", None),  # an empty prefix
        ("123-456-789-01", None),  # no OCID prefix
        ("", None),
        (7608611, None),
        (None, None),
    ],
)
def test_the_ocid_an_id_carries(release_id: Any, expected: str | None) -> None:
    assert ocid_from_id(release_id) == expected


def outputs(value: Any, **options: Any) -> list[tuple[str, Any]]:
    return [
        (o.code, o.data) if isinstance(o, Problem) else (o.kind, (o.data.get("ocid"), o.ordinal))
        for o in iter_items(value, **options)
    ]


def test_a_release_without_ocid_is_skipped_unless_told():
    package = {"uri": "u", "releases": [WITH_OCID, WITHOUT_OCID]}
    assert outputs(package) == [
        ("release", ("ocds-hu01ve-1", 0)),
        ("release_without_ocid", {"id": "ocds-hu01ve-7608611-01", "index": 1}),
    ]
    note = {"id": "ocds-hu01ve-7608611-01", "ocid": "ocds-hu01ve-7608611", "index": 1}
    assert outputs(package, ocid_from_id=True) == [
        ("release", ("ocds-hu01ve-1", 0)),
        ("ocid_from_id", note),
        ("release", ("ocds-hu01ve-7608611", 1)),
    ]


def test_the_derived_ocid_is_in_a_copy_with_a_note():
    release = {**WITHOUT_OCID, "ocid": ""}
    problem, item = iter_items(release, ocid_from_id=True)
    assert isinstance(problem, Problem) and isinstance(item, Item)
    assert (problem.level, problem.code) == ("info", "ocid_from_id")
    assert problem.data == {"id": WITHOUT_OCID["id"], "ocid": "ocds-hu01ve-7608611", "found": ""}
    assert item.data == {**WITHOUT_OCID, "ocid": "ocds-hu01ve-7608611"}
    assert release["ocid"] == ""  # the value read is not changed


def test_an_id_that_carries_no_ocid_is_still_an_error():
    release = {**WITHOUT_OCID, "id": "01"}
    assert outputs({"releases": [release]}, ocid_from_id=True) == [("release_without_ocid", {"id": "01", "index": 0})]


def test_records_are_not_given_an_ocid():
    record = {"releases": [{**WITHOUT_OCID}], "compiledRelease": {**WITHOUT_OCID}}
    assert [code for code, _ in outputs({"records": [record]}, ocid_from_id=True)] == ["record_without_ocid"]


def read_all(path: Path, limits: ReadLimits) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for source in iter_sources(path, limits=limits):
        assert not isinstance(source, Problem)
        for o in read_source(source, limits=limits, ocid_from_id=True):
            found.append((o.code, o.data) if isinstance(o, Problem) else (o.kind, o.data["ocid"], o.ordinal))
    return found


@pytest.mark.parametrize(
    "document",
    [
        {"uri": "u", "releases": [WITH_OCID, WITHOUT_OCID, {**WITH_OCID, "ocid": "ocds-hu01ve-2"}]},
        [{"uri": "u", "releases": [WITHOUT_OCID]}, {"uri": "v", "releases": [WITH_OCID]}],
        WITHOUT_OCID,
    ],
)
def test_streamed_and_whole_reads_derive_the_same(tmp_path, document):
    path = tmp_path / "a.json"
    path.write_bytes(json.dumps(document, indent=1).encode())
    whole = read_all(path, WHOLE)
    assert whole == read_all(path, TINY)
    releases = [entry for entry in whole if entry[0] == "release"]
    assert "ocds-hu01ve-7608611" in [ocid for _, ocid, _ in releases]
    assert [ordinal for _, _, ordinal in releases] == list(range(len(releases)))  # ordinals stay consecutive
    assert [entry[0] for entry in whole].count("ocid_from_id") == 1
