"""Compile through the database: incremental, parallel, versioned, extensions."""

import json

import orjson
import pytest
from typer.testing import CliRunner

from aggregator import fetch
from aggregator.cli.main import app
from tests.conftest import PUBLISHERS

runner = CliRunner()
EXTENSION = "https://extensions.example.org/wholelist/extension.json"
PATCH_URL = "https://extensions.example.org/wholelist/release-schema.json"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def package(releases: list[dict], extensions: list[str] | None = None) -> dict:
    value = {
        "uri": "https://example.org/p",
        "publishedDate": "2024-01-01T00:00:00Z",
        "version": "1.1",
        "releases": releases,
    }
    if extensions:
        value["extensions"] = extensions
    return value


def release(ocid: str, rid: str, date: str, **fields) -> dict:
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["tender"], "initiationType": "tender", **fields}


def compiled(conn) -> dict[str, dict]:
    rows = conn.execute(
        "SELECT c.ocid, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id ORDER BY c.ocid"
    ).fetchall()
    return {row["ocid"]: row["body"] for row in rows}


def test_a_changed_release_recompiles_one_ocid(atlas_env, conn, tmp_path):
    assert "(900 compiled as they were loaded)" in invoke(
        "load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM"
    )
    assert "compiled 0 OCIDs" in invoke("compile")
    ocid = next(iter(compiled(conn)))
    changed = release(ocid, "new-release", "2030-01-01T00:00:00Z", tender={"id": "changed", "title": "Changed"})
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(package([changed])))
    invoke("load", str(path), "--publisher", "armenia", "--country", "AM")
    second = invoke("compile")
    assert "compiled 1 OCIDs: 1 written, 0 unchanged" in second
    assert compiled(conn)[ocid]["tender"]["title"] == "Changed"
    assert "compiled 0 OCIDs" in invoke("compile")


def test_unchanged_ocids_are_neither_read_nor_merged(atlas_env, conn, tmp_path, monkeypatch):
    """A re-load that gives the same bodies queues nothing (only the OCID that gained a body is queued); compiling
    them all, only the changed one is read and merged."""
    from aggregator.compile import run as compile_module

    invoke("load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM")
    invoke("compile")
    ocid = next(iter(compiled(conn)))
    invoke("load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM")
    changed = release(ocid, "new-release", "2030-01-01T00:00:00Z", tender={"id": "changed", "title": "Changed"})
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(package([changed])))
    invoke("load", str(path), "--publisher", "armenia", "--country", "AM")
    read, merged = [], []
    inputs, compile_ocid = compile_module.read_inputs, compile_module.compile_ocid

    def spy_inputs(conn, publisher_id, ocids, *, bodies=True):
        if bodies:
            read.extend(ocids)
        return inputs(conn, publisher_id, ocids, bodies=bodies)

    def spy_compile(rules, ocid, *args, **kwargs):
        merged.append(ocid)
        return compile_ocid(rules, ocid, *args, **kwargs)

    monkeypatch.setattr(compile_module, "read_inputs", spy_inputs)
    monkeypatch.setattr(compile_module, "compile_ocid", spy_compile)
    assert [row["ocid"] for row in conn.execute("SELECT ocid FROM compile_queue")] == [ocid]
    assert "compiled 900 OCIDs: 1 written, 899 unchanged" in invoke("compile", "--workers", "1", "--full")
    assert read == merged == [ocid]
    assert compiled(conn)[ocid]["tender"]["title"] == "Changed"


def test_workers_give_the_same_compiled_releases(atlas_env, conn, monkeypatch):
    from aggregator.compile import run as compile_module

    monkeypatch.setattr(compile_module, "PARALLEL_MIN_OCIDS", 0)
    invoke("load", str(PUBLISHERS / "mexico_gacm"), "--publisher", "gacm", "--country", "MX", "--queue-only")
    invoke("load", str(PUBLISHERS / "armenia_armeps"), "--publisher", "armenia", "--country", "AM", "--queue-only")
    assert "compiled 1192 OCIDs: 1192 written" in invoke("compile", "--workers", "2")
    parallel = compiled(conn)
    conn.execute("DELETE FROM compiled_release")
    invoke("compile", "--full", "--workers", "1")
    assert compiled(conn) == parallel
    assert len(parallel) == 292 + 900


def test_versioned_releases_on_request(atlas_env, conn):
    invoke("load", str(PUBLISHERS / "mexico_cdmx" / "release-package"), "--publisher", "cdmx", "--country", "MX")
    invoke("compile")
    assert (
        conn.execute("SELECT count(*) AS n FROM compiled_release WHERE versioned_data_id IS NOT NULL").fetchone()["n"]
        == 0
    )
    output = invoke("compile", "--full", "--versioned")
    assert "0 unchanged" in output  # asking for versioned releases is a change of output
    rows = conn.execute("SELECT d.body FROM compiled_release c JOIN data d ON d.id = c.versioned_data_id").fetchall()
    assert len(rows) == 2
    assert all("releaseID" in json.dumps(row["body"]) for row in rows)


def extension_releases(tmp_path):
    releases = [
        release("ocds-ext-1", "1", "2020-01-01T00:00:00Z", things=[{"id": "a", "x": 1}, {"id": "b"}]),
        release("ocds-ext-1", "2", "2020-02-01T00:00:00Z", things=[{"id": "a", "y": 2}]),
    ]
    path = tmp_path / "ext.json"
    path.write_text(json.dumps(package(releases, [EXTENSION])))
    return path


def test_unavailable_extension_gives_a_note_and_the_core_rules(atlas_env, conn, tmp_path):
    invoke("load", str(extension_releases(tmp_path)), "--publisher", "ext", "--country", "MX")
    invoke("compile")
    # Core rules: identifier merge of the array.
    assert compiled(conn)["ocds-ext-1"]["things"] == [{"id": "a", "x": 1, "y": 2}, {"id": "b"}]
    note = conn.execute("SELECT * FROM note WHERE code = 'extension_unavailable'").fetchone()
    assert note["data"]["extension"] == EXTENSION and note["data"]["ocids"] == 1
    assert conn.execute("SELECT rules FROM compiled_release").fetchone()["rules"] == "1__1__5"


def test_cached_extension_patches_the_rules(atlas_env, conn, tmp_path):
    patch = {"properties": {"things": {"type": "array", "wholeListMerge": True, "items": {"type": "object"}}}}
    path = fetch.cache_path(PATCH_URL)
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(patch))
    invoke("load", str(extension_releases(tmp_path)), "--publisher", "ext", "--country", "MX")
    invoke("compile")
    assert compiled(conn)["ocds-ext-1"]["things"] == [{"id": "a", "y": 2}]
    assert conn.execute("SELECT rules FROM compiled_release").fetchone()["rules"] == f"1__1__5 +{EXTENSION}"


@pytest.mark.parametrize("ocds_version", ["1.0"])
def test_1_0_data_is_upgraded(atlas_env, conn, ocds_version):
    invoke("load", str(PUBLISHERS / "uk_contracts_finder"), "--publisher", "uk", "--country", "GB")
    invoke("compile")
    row = conn.execute(
        "SELECT c.rules, c.ocds_version, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id LIMIT 1"
    ).fetchone()
    assert (row["rules"], row["ocds_version"]) == ("1__0__3", ocds_version)
    assert "parties" in row["body"]
    assert "id" in row["body"]["buyer"]


def test_parallel_load_gives_the_same_compiled_releases(atlas_env, conn, monkeypatch):
    from aggregator.raw import bulk

    monkeypatch.setattr(bulk, "PARALLEL_MIN_BYTES", 0)
    directory = str(PUBLISHERS / "mexico_gacm")
    invoke("load", directory, "--publisher", "one", "--country", "MX", "--workers", "1")
    invoke("load", directory, "--publisher", "two", "--country", "MX", "--workers", "2")
    invoke("compile")
    rows = conn.execute(
        "SELECT p.name, c.ocid, c.data_id FROM compiled_release c JOIN publisher p ON p.id = c.publisher_id"
    ).fetchall()
    by_publisher = {name: {r["ocid"]: r["data_id"] for r in rows if r["name"] == name} for name in ("one", "two")}
    assert by_publisher["one"] == by_publisher["two"]
    assert len(by_publisher["one"]) == 292
