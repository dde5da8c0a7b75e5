"""The bench's floor (tests/bench/floor.py) does the work it times: every body stored once, one compiled release
per OCID, and its database dropped afterwards."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from tests.bench import floor


def release(ocid: str, number: int) -> dict[str, Any]:
    return {
        "ocid": ocid,
        "id": f"{ocid}-{number}",
        "date": f"2024-01-0{number}T00:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {"id": "t", "status": "active" if number == 1 else "complete", "items": [{"id": str(number)}]},
    }


def packages(directory: Path, *groups: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for number, releases in enumerate(groups):
        path = directory / f"package-{number}.json"
        path.write_bytes(orjson.dumps({"version": "1.1", "releases": releases}))
        paths.append(path)
    return paths


def floor_databases(server_url: str) -> list[str]:
    with psycopg.connect(server_url) as conn:
        return [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'atlas_floor_%'")]


def test_the_floor_stores_each_body_once_and_one_compiled_release_per_ocid(tmp_path: Path, server_url: str) -> None:
    # ocds-b's releases run over two packages; the same release twice is one body.
    paths = packages(
        tmp_path,
        [release("ocds-a", 1), release("ocds-a", 2), release("ocds-b", 1)],
        [release("ocds-b", 2), release("ocds-b", 2), release("ocds-c", 1)],
    )
    readings = itertools.count(10.0, 2.5)

    measured = floor.measure(paths, server_url, lambda: next(readings))

    assert measured.stored == {"releases": 5, "compiled": 3}
    assert set(measured.pieces) == {
        "parse the packages",
        "hash the releases",
        "compress the releases",
        "send the bodies",
        "merge each OCID",
        "hash the compiled releases",
        "free the releases",
        "store the bodies (server)",
    }
    assert measured.pieces["store the bodies (server)"] == 2.5
    assert measured.seconds(2) == pytest.approx(measured.cpu / 2)
    assert floor_databases(server_url) == []


def test_an_ocid_that_comes_back_after_it_was_merged_is_an_error(tmp_path: Path, server_url: str) -> None:
    paths = packages(tmp_path, [release("ocds-a", 1)], [release("ocds-b", 1)], [release("ocds-a", 2)])

    with pytest.raises(ValueError, match="ocds-a comes back"):
        floor.measure(paths, server_url, lambda: 0.0)

    assert floor_databases(server_url) == []
