"""Whether a body is OCDS of the kind a spider expects (``scrapy probe``'s verdict), from whole bodies and from
their first bytes only."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import tarfile
import zipfile

import pytest

from aggregator.raw.expect import classify_body, expected_kind

RELEASES = [{"ocid": f"ocds-p1-{i}", "id": "1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]} for i in range(40)]
PACKAGE = json.dumps({"version": "1.1", "releases": RELEASES}).encode()
RECORDS = json.dumps({"version": "1.1", "records": [{"ocid": "a", "releases": [{"ocid": "a", "id": "1"}]}]}).encode()
LINES = b"\n".join(json.dumps(release).encode() for release in RELEASES)


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def tarred(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_expected_kind():
    assert [expected_kind(t) for t in ("release_package", "record_package_list", "compiled_release", "record")] == [
        "release",
        "record",
        "release",
        "record",
    ]


@pytest.mark.parametrize(
    ("body", "data_type", "cut", "found"),
    [
        (PACKAGE, "release_package", False, "40 releases"),
        (PACKAGE[:600], "release_package", True, "releases (first bytes)"),
        (RECORDS, "record_package", False, "1 record"),
        (LINES[:500], "compiled_release", True, "releases (first bytes)"),
        (gzip.compress(PACKAGE), "release_package", False, "40 releases in a gzip archive"),
        (gzip.compress(PACKAGE)[:200], "release_package", True, "in a gzip archive (first bytes)"),
        (bz2.compress(PACKAGE), "release_package", False, "40 releases in a bz2 archive"),
        (zipped(("README.md", b"read me"), ("data/a.json", PACKAGE)), "release_package", False, "in a zip archive"),
        (tarred("a.json", PACKAGE), "release_package", False, "40 releases in a tar archive"),
    ],
)
def test_ocds_of_the_expected_kind(body, data_type, cut, found):
    verdict = classify_body(body, data_type, cut=cut)
    assert verdict.ok, verdict
    assert verdict.found.endswith(found) and verdict.problem is None


def test_ocds_at_the_root_path():
    body = json.dumps({"data": [{"releases": RELEASES[:2]}]}).encode()
    assert classify_body(body, "release_package", root_path="data.item").found == "2 releases"
    assert not classify_body(body, "release_package").ok


@pytest.mark.parametrize(
    ("body", "data_type", "found", "problem"),
    [
        (b"", "release_package", "an empty body", "the answer is empty"),
        (b"<!DOCTYPE html><html>Maintenance</html>", "release_package", "an HTML page", "not OCDS: Invalid JSON"),
        (b'{"error": "no such page"}', "release_package", "not OCDS", "not OCDS: A JSON value was skipped"),
        (RECORDS, "release_package", "1 record", "OCDS of another shape: releases were expected (release_package)"),
        (PACKAGE, "record_package", "40 releases", "OCDS of another shape: records were expected"),
        (b"PK\x03\x04broken", "release_package", "a corrupt zip archive", "cannot decompress it"),
    ],
)
def test_what_is_not_what_the_spider_expects(body, data_type, found, problem):
    verdict = classify_body(body, data_type)
    assert not verdict.ok
    assert verdict.found == found and verdict.problem.startswith(problem), verdict


def test_a_cut_html_page_is_not_ocds():
    verdict = classify_body(b"<html>" + b"x" * 5000, "release_package", cut=True)
    assert not verdict.ok and verdict.found == "an HTML page"
