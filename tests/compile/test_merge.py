"""The pure compile functions: order, ties, duplicates, undated releases, records."""

from datetime import UTC, datetime

import ocdsmerge
import pytest

from aggregator.compile.merge import RecordInput, ReleaseInput, compile_ocid, merge_order
from aggregator.compile.rules import Rules
from aggregator.standard import schema_file
from tests.conftest import STANDARD


@pytest.fixture(scope="module")
def merger() -> Rules:
    schema = schema_file("1__1__5", "release-schema.json", str(STANDARD))
    return Rules("1__1__5", (), ocdsmerge.Merger(schema=schema), ())


def release(data_id: int, release_id: str | None, date: str | None, order: int, **body) -> ReleaseInput:
    parsed = datetime.fromisoformat(date) if date else None
    content = {"ocid": "ocds-x-1", "id": release_id, "date": date, "tag": ["tender"], **body}
    if date is None:
        del content["date"]
    return ReleaseInput(data_id, release_id, date, parsed.astimezone(UTC) if parsed else None, order, content)


def test_order_is_date_then_release_id_then_load_order():
    releases = [
        release(1, "b", "2020-01-02T00:00:00Z", 1),
        release(2, "a", "2020-01-02T00:00:00Z", 2),
        release(3, "c", "2020-01-01T00:00:00Z", 3),
        release(4, "a", "2020-01-02T00:00:00Z", 0),
    ]
    assert [r.data_id for r in merge_order(releases)] == [3, 4, 2, 1]
    assert [r.data_id for r in merge_order(reversed(releases))] == [3, 4, 2, 1]


def test_the_same_body_twice_is_merged_once():
    releases = [release(7, "a", "2020-01-01T00:00:00Z", 5), release(7, "a", "2020-01-01T00:00:00Z", 1)]
    assert [r.load_order for r in merge_order(releases)] == [1]


def test_later_release_wins_and_input_is_not_mutated(merger):
    first = release(1, "1", "2020-01-01T00:00:00Z", 1, tender={"id": "t", "title": "old", "status": "active"})
    second = release(2, "2", "2020-02-01T00:00:00Z", 2, tender={"id": "t", "title": "new"})
    before = repr(first.body)
    compiled = compile_ocid(merger, "ocds-x-1", [second, first], [])
    assert compiled.body["tender"] == {"id": "t", "title": "new", "status": "active"}
    assert compiled.method == "merged"
    assert compiled.release_count == 2
    assert compiled.first_date.isoformat() == "2020-01-01T00:00:00+00:00"
    assert repr(first.body) == before


def test_undated_release_is_left_out_with_a_problem(merger):
    dated = release(1, "1", "2020-01-01T00:00:00Z", 1, tender={"id": "t", "title": "kept"})
    undated = release(2, "2", None, 2, tender={"id": "t", "title": "ignored"})
    compiled = compile_ocid(merger, "ocds-x-1", [dated, undated], [])
    assert compiled.body["tender"]["title"] == "kept"
    assert [p.code for p in compiled.problems] == ["release_without_date"]


def test_duplicate_ids_are_counted_warnings(merger):
    parties = [{"id": "1", "name": "a"}, {"id": "1", "name": "b"}]
    compiled = compile_ocid(merger, "ocds-x-1", [release(1, "1", "2020-01-01T00:00:00Z", 1, parties=parties)], [])
    assert compiled.warnings == {"DuplicateIdValueWarning:parties": 1}


def test_linked_releases_use_the_publisher_compiled_release(merger):
    record = {
        "ocid": "ocds-x-1",
        "releases": [{"url": "https://example.org/1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"]}],
        "compiledRelease": {"ocid": "OTHER", "tender": {"id": "t"}},
    }
    compiled = compile_ocid(merger, "ocds-x-1", [], [RecordInput(9, 1, record)])
    assert compiled.method == "publisher_compiled"
    assert compiled.body == {"ocid": "ocds-x-1", "tender": {"id": "t"}}
    assert [p.code for p in compiled.problems] == ["compiled_release_ocid_differs"]


def test_nothing_to_compile(merger):
    record = {"ocid": "ocds-x-1", "releases": [{"url": "u", "date": "d"}], "compiledRelease": {}}
    compiled = compile_ocid(merger, "ocds-x-1", [], [RecordInput(9, 1, record)])
    assert compiled.body is None
    assert [p.code for p in compiled.problems] == ["nothing_to_compile"]


def test_input_hash_changes_with_inputs(merger):
    a = release(1, "1", "2020-01-01T00:00:00Z", 1)
    b = release(2, "2", "2020-02-01T00:00:00Z", 2)
    one = compile_ocid(merger, "ocds-x-1", [a], []).input_hash
    assert one == compile_ocid(merger, "ocds-x-1", [a], []).input_hash
    assert one != compile_ocid(merger, "ocds-x-1", [a, b], []).input_hash


def test_non_string_id_and_unusable_date_are_left_out(merger):
    good = release(1, "1", "2020-01-01T00:00:00Z", 1, tender={"id": "t", "title": "kept"})
    numeric = ReleaseInput(
        2,
        "2",
        "2020-02-01T00:00:00Z",
        datetime(2020, 2, 1, tzinfo=UTC),
        2,
        {"ocid": "ocds-x-1", "id": 2, "date": "2020-02-01T00:00:00Z", "tender": {"id": "t"}},
    )
    two_digit = ReleaseInput(3, "3", "20-03-01T00:00:00Z", None, 3, {"ocid": "ocds-x-1", "id": "3"})
    compiled = compile_ocid(merger, "ocds-x-1", [good, numeric, two_digit], [])
    assert compiled.release_count == 1
    assert sorted(p.code for p in compiled.problems) == ["release_id_not_string", "unusable_date"]


def test_repeated_dates_are_counted(merger):
    same = "2020-01-01T00:00:00Z"
    compiled = compile_ocid(merger, "ocds-x-1", [release(1, "1", same, 1), release(2, "2", same, 2)], [])
    assert compiled.warnings == {"RepeatedDate:date": 1}


def test_several_records_give_an_info_problem(merger):
    records = [
        RecordInput(1, 1, {"ocid": "ocds-x-1", "compiledRelease": {"ocid": "ocds-x-1", "tag": ["a"]}}),
        RecordInput(2, 2, {"ocid": "ocds-x-1", "compiledRelease": {"ocid": "ocds-x-1", "tag": ["b"]}}),
    ]
    compiled = compile_ocid(merger, "ocds-x-1", [], records)
    assert compiled.body["tag"] == ["b"]  # the last loaded record's
    assert [p.code for p in compiled.problems] == ["several_records"]


def test_versioned_on_request(merger):
    releases = [
        release(1, "1", "2020-01-01T00:00:00Z", 1, tender={"id": "t", "title": "a"}),
        release(2, "2", "2020-02-01T00:00:00Z", 2, tender={"id": "t", "title": "b"}),
    ]
    assert compile_ocid(merger, "ocds-x-1", releases, []).versioned is None
    versioned = compile_ocid(merger, "ocds-x-1", releases, [], versioned=True).versioned
    assert [v["value"] for v in versioned["tender"]["title"]] == ["a", "b"]
