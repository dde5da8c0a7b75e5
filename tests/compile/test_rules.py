"""Merge rules read from the schema here are ocdsmerge's, and a process that compiles with the fast merge does not
import ocdsmerge (nor jsonref and requests with it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ocdsmerge.exceptions import DuplicateIdValueWarning
from ocdsmerge.rules import get_merge_rules

from aggregator.compile import fastmerge
from aggregator.compile.rules import merge_rules, rules_for
from aggregator.standard import schema_file
from tests.conftest import SHARED, STANDARD

FIXTURES = SHARED / "ocds-merge-fixtures"
FIXTURE_SCHEMAS = sorted(FIXTURES.glob("*schema*.json")) if FIXTURES.is_dir() else []
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tag", ["1__0__3", "1__1__5"])
def test_the_standards_rules_are_ocdsmerges(tag):
    schema = schema_file(tag, "release-schema.json", str(STANDARD))
    rules = merge_rules(schema)
    assert rules == get_merge_rules(schema)
    assert rules[("tag",)] == "omitWhenMerged"
    if tag == "1__1__5":
        assert rules[("parties", "roles")] == "wholeListMerge"


@pytest.mark.parametrize("path", FIXTURE_SCHEMAS, ids=lambda p: p.name)
def test_the_fixtures_schemas_rules_are_ocdsmerges(path):
    """ocdsmerge's own test schemas, the versioned release validation schemas among them (390 rules, references to
    references within references)."""
    schema = json.loads(path.read_text())
    assert merge_rules(schema) == get_merge_rules(schema)


def test_references_are_followed_as_jsonref_follows_them():
    schema = {
        "properties": {
            "a": {"$ref": "#/definitions/A", "omitWhenMerged": True},  # the reference's other fields are not read
            "b": {"$ref": "#/definitions/B"},  # a reference to a reference
            "c": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
            "d": {"type": "array", "items": {"$ref": "#/definitions/Item~1Slash"}},  # an escaped pointer
            "e": {"$ref": "#/definitions/A/properties/x"},  # a pointer through an object
            "f": {"type": "array", "items": {"type": "object", "properties": {"$ref": "#/definitions/Props"}}},
            "g": {"type": ["array", "null"], "mergeStrategy": "ocdsVersion"},
            "h": {"type": "object", "properties": {"i": {"mergeStrategy": "ocdsOmit"}}},
        },
        "definitions": {
            "A": {"type": "object", "properties": {"x": {"type": "array", "items": {"type": "string"}}}},
            "B": {"$ref": "#/definitions/A"},
            "Item": {"type": "object", "properties": {"id": {"type": "string"}, "y": {"omitWhenMerged": True}}},
            "Item/Slash": {"type": "object", "properties": {"z": {"type": "string"}}},
            "Props": {"name": {"type": "string"}},
        },
    }
    rules = merge_rules(schema)
    assert rules == get_merge_rules(schema)
    assert rules == {
        ("a", "x"): "wholeListMerge",
        ("b", "x"): "wholeListMerge",
        ("c", "y"): "omitWhenMerged",
        ("d",): "wholeListMerge",
        ("e",): "wholeListMerge",
        ("f",): "wholeListMerge",
        ("g",): "wholeListMerge",
        ("h", "i"): "omitWhenMerged",
    }


def test_a_reference_to_another_document_is_left_to_ocdsmerge(monkeypatch):
    calls = []
    monkeypatch.setattr("ocdsmerge.rules.get_merge_rules", lambda schema: calls.append(schema) or {("x",): "rule"})
    schema = {"properties": {"a": {"$ref": "https://example.org/schema.json#/definitions/A"}}}
    assert merge_rules(schema) == {("x",): "rule"}
    assert calls == [schema]


def test_the_merger_merges_as_ocdsmerges_merger(atlas_env):
    merger = rules_for("1.1").merger
    releases = [
        {"ocid": "o", "id": "1", "date": "2020-01-01", "awards": [{"id": "a", "title": "x"}, {"id": "a"}]},
        {"ocid": "o", "id": "2", "date": "2020-02-01", "tender": {"title": "t"}},
    ]
    with pytest.raises(fastmerge.Unsupported):  # one id twice in an array: only ocdsmerge merges it
        fastmerge.compiled_release(merger, releases)
    with pytest.warns(DuplicateIdValueWarning):
        compiled = merger.create_compiled_release(releases)
    assert compiled["tender"] == {"title": "t"} and compiled["awards"] == [{"id": "a", "title": "x"}]
    with pytest.warns(DuplicateIdValueWarning):
        assert len(merger.create_versioned_release(releases)["awards"]) == 1


def test_a_load_worker_imports_neither_ocdsmerge_nor_requests(atlas_env):
    """What a load worker imports and does before it merges with the fast merge: ocdsmerge, jsonref and requests
    (0.2 CPU s), the encoding detector and the incremental parser are left out until something needs them."""
    code = (
        "import sys\n"
        "import aggregator.raw.bulk, aggregator.compile.held\n"
        "from aggregator.compile import fastmerge\n"
        "from aggregator.compile.rules import rules_for\n"
        "merger = rules_for('1.1').merger\n"
        "fastmerge.compiled_release(merger, [{'ocid': 'o', 'id': '1', 'date': '2020-01-01'}])\n"
        "names = ('ocdsmerge', 'jsonref', 'requests', 'ocdskit', 'charset_normalizer', 'ijson', 'procrastinate')\n"
        "print(' '.join(n for n in names if n in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
