"""The fast compiled-release merge gives exactly ocdsmerge's result, or says it cannot (and ocdsmerge is used).

Compared on every ocdsmerge fixture, every OCID of every real publisher directory, every sandbox publisher (faults
included), and on releases changed at random in the ways that make merging hard (nulls, empty values, objects
becoming values, repeated and non-string ids, items without id).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import ocdsmerge
import orjson
import pytest

from aggregator.compile import fastmerge
from aggregator.compile.rules import rules_for
from aggregator.raw.read import iter_sources, read_source
from aggregator.raw.shapes import Item, Problem, embedded_releases
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import generate_releases
from tests.conftest import PUBLISHERS, SHARED

FIXTURES = SHARED / "ocds-merge-fixtures"
SCHEMAS = {"1.1": "release-schema-1__1__4.json", "1.0": "release-schema-1__0__3.json", "schema": "schema.json"}
REAL_DIRECTORIES = sorted(p.name for p in PUBLISHERS.iterdir() if p.is_dir()) if PUBLISHERS.is_dir() else []


def reference(merger: ocdsmerge.Merger, releases: list[dict[str, Any]]) -> Any:
    """ocdsmerge's compiled release as canonical bytes (the form it is stored in), or its error's type."""
    try:
        return orjson.dumps(merger.create_compiled_release(copy.deepcopy(releases)), option=orjson.OPT_SORT_KEYS)
    except Exception as error:  # any error: compared by its type
        return type(error)


def fast(merger: ocdsmerge.Merger, releases: list[dict[str, Any]]) -> bytes | None:
    """The fast merge's compiled release as canonical bytes, or None if it left the OCID to ocdsmerge."""
    before = orjson.dumps(releases)
    try:
        compiled = fastmerge.compiled_release(merger, releases)
    except fastmerge.Unsupported:
        return None
    assert orjson.dumps(releases) == before, "the input was changed"
    return orjson.dumps(compiled, option=orjson.OPT_SORT_KEYS)


def assert_same(merger: ocdsmerge.Merger, groups: list[list[dict[str, Any]]]) -> int:
    """Every group merges to ocdsmerge's result; return how many the fast merge handled itself."""
    handled = 0
    for releases in groups:
        result = fast(merger, releases)
        if result is not None:
            assert result == reference(merger, releases), releases[0].get("ocid")
            handled += 1
    return handled


def by_ocid(releases: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Releases grouped by OCID, as the compile path gives them: only those with a string date, in date order."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        if isinstance(release, dict) and isinstance(release.get("date"), str):
            groups[str(release.get("ocid"))].append(release)
    return [sorted(group, key=lambda r: r["date"]) for group in groups.values()]


def directory_releases(directory: Path) -> list[dict[str, Any]]:
    releases = []
    for source in iter_sources(directory):
        if isinstance(source, Problem):
            continue
        for item in read_source(source):
            if isinstance(item, Item):
                releases.extend(embedded_releases(item.data) if item.kind == "record" else [item.data])
    return releases


def fixture_cases() -> list[tuple[str, Path]]:
    if not FIXTURES.is_dir():
        return []
    return [
        (directory, path) for directory in SCHEMAS for path in sorted((FIXTURES / directory).glob("*-compiled.json"))
    ]


@pytest.mark.parametrize(("directory", "expected"), fixture_cases(), ids=lambda v: getattr(v, "stem", v))
def test_ocdsmerge_fixtures(directory, expected):
    merger = ocdsmerge.Merger(schema=json.loads((FIXTURES / SCHEMAS[directory]).read_text()))
    releases = json.loads((FIXTURES / directory / f"{re.sub(r'-compiled$', '', expected.stem)}.json").read_text())
    result = fast(merger, releases)
    if result is not None:
        assert orjson.loads(result) == json.loads(expected.read_text())


def test_most_fixtures_are_handled_without_ocdsmerge():
    handled = 0
    for directory, expected in fixture_cases():
        merger = ocdsmerge.Merger(schema=json.loads((FIXTURES / SCHEMAS[directory]).read_text()))
        source = FIXTURES / directory / f"{re.sub(r'-compiled$', '', expected.stem)}.json"
        handled += fast(merger, json.loads(source.read_text())) is not None
    assert handled >= len(fixture_cases()) * 2 // 3


def test_rule_overrides_are_left_to_ocdsmerge():
    merger = ocdsmerge.Merger(schema={"properties": {}}, rule_overrides={("awards",): ocdsmerge.APPEND})
    with pytest.raises(fastmerge.Unsupported):
        fastmerge.compiled_release(merger, [{"ocid": "a", "date": "2020", "id": "1"}])


@pytest.mark.skipif(not REAL_DIRECTORIES, reason="../shared/data/publishers is not beside the checkout")
@pytest.mark.parametrize("directory", REAL_DIRECTORIES)
def test_real_publisher_releases(directory):
    releases = directory_releases(PUBLISHERS / directory)
    groups = by_ocid(releases)
    for version in ("1.1", "1.0"):
        assert_same(rules_for(version).merger, groups)


@pytest.mark.parametrize("key", sorted(SANDBOX_PUBLISHERS))
def test_sandbox_publisher_releases(key):
    groups = by_ocid(generate_releases(SANDBOX_PUBLISHERS[key]))
    handled = assert_same(rules_for("1.1").merger, groups)
    assert handled >= len(groups) * 9 // 10


def mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A copy of a release with some of its values changed in the ways that make merging hard."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            roll = rng.random()
            if roll < 0.03:
                out[key] = None
            elif roll < 0.05:
                out[key] = {} if isinstance(child, dict) else []
            elif roll < 0.06:
                out[key] = "text" if isinstance(child, (dict, list)) else {"x": child}
            elif roll < 0.07 and key == "id" and depth > 1:
                out[key] = rng.choice([1, None, "1", 1.0])
            elif roll < 0.08 and key == "id":
                continue
            else:
                out[key] = mutate(child, rng, depth + 1)
        return out
    if isinstance(value, list):
        items = [mutate(item, rng, depth + 1) for item in value]
        if items and rng.random() < 0.05:
            items.append(copy.deepcopy(items[0]))
        if rng.random() < 0.03:
            items.append(None)
        return items
    return value


@pytest.mark.parametrize("seed", range(4))
def test_mutated_releases(seed):
    rng = random.Random(seed)
    groups = by_ocid(generate_releases(SANDBOX_PUBLISHERS[sorted(SANDBOX_PUBLISHERS)[seed % len(SANDBOX_PUBLISHERS)]]))
    mutated = [[mutate(release, rng) for release in group] for group in groups[:300]]
    # Dates stay strings and sorted, as the compile path gives them.
    mutated = [
        [{**m, "date": r["date"]} for m, r in zip(group, original, strict=True)]
        for group, original in zip(mutated, groups[:300], strict=True)
    ]
    handled = assert_same(rules_for("1.1").merger, mutated)
    assert 0 < handled < len(mutated)


def test_null_keeps_the_objects_on_its_path_and_removes_the_value():
    merger = rules_for("1.1").merger
    releases = [
        {"ocid": "o", "id": "1", "date": "2020-01-01", "tender": {"title": "a", "value": {"amount": 1}}},
        {"ocid": "o", "id": "2", "date": "2020-02-01", "tender": {"title": None}, "awards": [{"id": "x", "a": None}]},
    ]
    compiled = fastmerge.compiled_release(merger, releases)
    assert compiled == {
        "tag": ["compiled"],
        "id": "o-2020-02-01",
        "date": "2020-02-01",
        "ocid": "o",
        "tender": {"value": {"amount": 1}},
        "awards": [{"id": "x"}],
    }
    assert orjson.dumps(compiled, option=orjson.OPT_SORT_KEYS) == reference(merger, releases)


@pytest.mark.parametrize(
    "second",
    [
        {"tender": "text"},  # an object becomes a value
        {"awards": [{"id": 1}]},  # an id that was a string
        {"awards": [{"id": 1.5}]},  # an id neither a string nor an integer
        {"awards": [{"id": "a"}, {"id": "a"}]},  # one id twice in one array
        {"awards": [{"id": 2}, {"id": "2"}]},  # the same, as ocdsmerge compares ids as text
        {"tender": {"title": None}, "awards": None},  # an array becomes null
    ],
)
def test_shapes_left_to_ocdsmerge(second):
    merger = rules_for("1.1").merger
    first = {"ocid": "o", "id": "1", "date": "2020-01-01", "tender": {"title": "a"}, "awards": [{"id": "1"}]}
    with pytest.raises(fastmerge.Unsupported):
        fastmerge.compiled_release(merger, [first, {"ocid": "o", "id": "2", "date": "2020-02-01", **second}])


def test_integer_ids_merge_like_string_ids():
    merger = rules_for("1.1").merger
    releases = [
        {"ocid": "o", "id": "1", "date": "2020-01-01", "awards": [{"id": 1, "title": "a"}, {"id": 2}]},
        {"ocid": "o", "id": "2", "date": "2020-02-01", "awards": [{"id": 3}, {"id": 1, "status": "active"}]},
    ]
    compiled = fastmerge.compiled_release(merger, releases)
    assert compiled["awards"] == [{"id": 1, "title": "a", "status": "active"}, {"id": 2}, {"id": 3}]
    assert orjson.dumps(compiled, option=orjson.OPT_SORT_KEYS) == reference(merger, releases)
