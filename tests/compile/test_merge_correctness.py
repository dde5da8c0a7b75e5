"""The project's compile path gives exactly what the reference merger (ocdsmerge) gives."""

import json
import re
from pathlib import Path

import ocdsmerge
import pytest

from aggregator.compile.merge import ReleaseInput, compile_ocid, merge_order, merge_releases
from aggregator.compile.rules import Rules
from aggregator.dates import parse_date
from aggregator.standard import schema_file
from tests.conftest import PUBLISHERS, SHARED, STANDARD

FIXTURES = SHARED / "ocds-merge-fixtures"
SCHEMAS = {"1.1": "release-schema-1__1__4.json", "1.0": "release-schema-1__0__3.json", "schema": "schema.json"}
OVERRIDES = {
    "identifier-merge-duplicate-id-append": {("nested", "array"): ocdsmerge.APPEND},
    "identifier-merge-duplicate-id-by-position": {("nested", "array"): ocdsmerge.MERGE_BY_POSITION},
    "identifier-merge-no-id-append": {("nested", "array"): ocdsmerge.APPEND},
}


def inputs(releases: list[dict]) -> list[ReleaseInput]:
    """Releases as the compile path receives them from the database, in load order."""
    return [
        ReleaseInput(
            data_id=i,
            release_id=r.get("id") if isinstance(r.get("id"), str) else None,
            date_text=r.get("date") if isinstance(r.get("date"), str) else None,
            date=parse_date(r.get("date")),
            load_order=i,
            body=r,
        )
        for i, r in enumerate(releases)
    ]


def fixture_cases() -> list[tuple[str, Path]]:
    if not FIXTURES.is_dir():
        return []
    cases = []
    for directory in SCHEMAS:
        for expected in sorted((FIXTURES / directory).glob("*.json")):
            if re.search(r"-(compiled|versioned|append|by-position)$", expected.stem):
                cases.append((directory, expected))
    return cases


@pytest.mark.parametrize(("directory", "expected"), fixture_cases(), ids=lambda v: getattr(v, "stem", v))
def test_ocdsmerge_fixtures(directory, expected):
    schema = json.loads((FIXTURES / SCHEMAS[directory]).read_text())
    name = expected.stem
    source = re.sub(r"-(compiled|versioned|append|by-position)$", "", name)
    releases = json.loads((FIXTURES / directory / f"{source}.json").read_text())
    if name in OVERRIDES:
        # As ocdsmerge's own tests do: the same releases twice (each loaded twice, so not deduplicated).
        releases = releases + releases
    merger = ocdsmerge.Merger(schema=schema, rule_overrides=OVERRIDES.get(name))
    versioned = name.endswith("-versioned")
    merged = merge_releases(Rules(directory, (), merger, ()), merge_order(inputs(releases)), versioned=versioned)
    assert (merged.versioned if versioned else merged.body) == json.loads(expected.read_text())


@pytest.mark.parametrize("n", [1, 2])
def test_cdmx_with_1_0_rules_gives_ocdskit_output(n):
    directory = PUBLISHERS / "mexico_cdmx"
    releases = json.loads((directory / "release-package" / f"release-package-{n}.json").read_text())["releases"]
    schema = schema_file("1__0__3", "release-schema.json", str(STANDARD))
    rules = Rules("1__0__3", (), ocdsmerge.Merger(schema=schema), ())
    merged = merge_releases(rules, merge_order(inputs(releases)), versioned=True)
    expected = directory / "expected-ocdskit-output"
    assert merged.body == json.loads((expected / f"compiled-release-{n}.json").read_text())
    assert merged.versioned == json.loads((expected / f"versioned-release-{n}.json").read_text())
    # And through compile_ocid, the result is upgraded to 1.1: organizations become parties.
    compiled = compile_ocid(rules, releases[0]["ocid"], inputs(releases), [])
    assert "parties" in compiled.body
