"""Hostile files: one that nests 100,000 levels deep, or that makes reading raise, is a note on that file, and the
files after it are loaded; the load finishes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.raw import load as load_module
from aggregator.raw.depth import MAX_DEPTH, DepthGuard, TooDeep
from aggregator.raw.read import Item, Problem, ReadLimits, iter_sources, read_source
from tests.crawling import ROOT

runner = CliRunner()
DEEP = 100_000
TINY = ReadLimits(stream_threshold=1)  # every source is streamed
WHOLE = ReadLimits(stream_threshold=1 << 40)  # no source is streamed


def package(key: str, count: int = 3) -> bytes:
    releases = [{"ocid": f"ocds-test01-{key}-{n}", "id": "1", "date": "2020-01-01T00:00:00Z"} for n in range(count)]
    return orjson.dumps({"version": "1.1", "releases": releases})


HOSTILE = {
    "array": b"[" * DEEP + b"]" * DEEP,
    "in_package": b'{"version": "1.1", "releases": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "in_release": b'{"releases": [{"ocid": "ocds-test01-x", "x": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}]}",
    "unclosed": b'{"releases": [' + b"[" * DEEP,
}


def outputs(path: Path, limits: ReadLimits) -> list[Item | Problem]:
    found: list[Item | Problem] = []
    for source in iter_sources(path, limits=limits):
        assert not isinstance(source, Problem)
        found.extend(read_source(source, limits=limits))
    return found


@pytest.mark.parametrize("limits", [WHOLE, TINY], ids=["whole", "streamed"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_deep_nesting_is_refused_with_a_note(tmp_path, name, limits):
    path = tmp_path / f"{name}.json"
    path.write_bytes(HOSTILE[name])
    found = outputs(path, limits)
    codes = [o.code for o in found if isinstance(o, Problem)]
    assert "nested_too_deeply" in codes or (name == "unclosed" and codes == ["invalid_json"]), codes
    assert not [o for o in found if isinstance(o, Item)]


def test_deep_nesting_streamed_costs_little_memory(tmp_path):
    """ijson would take tens of gigabytes for 100,000 levels; the guard stops it first (in a child, to measure)."""
    path = tmp_path / "deep.json"
    path.write_bytes(HOSTILE["array"])
    script = (
        "import sys; from pathlib import Path; from aggregator.raw.read import ReadLimits, iter_sources, "
        "read_source\nfor s in iter_sources(Path(sys.argv[1]), limits=ReadLimits(stream_threshold=1)):\n"
        "    print([p.code for p in read_source(s, limits=ReadLimits(stream_threshold=1))])\n"
        # VmHWM: this process's own peak. ru_maxrss would carry the parent's size across fork and exec, so it would
        # measure pytest's memory once the suite has grown it.
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    codes, rss_kb = done.stdout.splitlines()
    assert codes == "['nested_too_deeply']"
    assert int(rss_kb) < 400_000


@pytest.mark.parametrize(
    ("text", "chunk", "refused"),
    [
        (b'{"a": "[[[[[[", "b": "\\"[[[[", "c": "\\\\"}' * 5000, 7, False),  # brackets in strings are not nesting
        (b"[1," * MAX_DEPTH + b"]" * MAX_DEPTH, 1 << 20, False),
        (b"[1," * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), 1 << 20, True),
        (b"[" * (MAX_DEPTH + 1), 3, True),  # across chunks
        (b'{"x": [' * 600 + b"]}" * 600, 5, True),
        (b'[{"x": "\\\\"}, [' * 400 + b"]]" * 400, 11, False),  # an escaped backslash ends its string
    ],
)
def test_the_depth_guard(text, chunk, refused):
    guard = DepthGuard()
    try:
        for start in range(0, len(text), chunk):
            guard.feed(text[start : start + chunk])
    except TooDeep as error:
        assert refused, error
        assert error.problem.code == "nested_too_deeply"
    else:
        assert not refused
        assert guard.depth == 0


def test_a_hostile_file_is_a_note_and_the_files_after_it_load(atlas_env, conn, tmp_path, monkeypatch):
    directory = tmp_path / "publisher"
    directory.mkdir()
    (directory / "a.json").write_bytes(package("a"))
    (directory / "b_deep.json").write_bytes(HOSTILE["array"])
    (directory / "c_raises.json").write_bytes(package("c"))
    (directory / "d.json").write_bytes(package("d"))
    real = load_module.read_source

    def read_source(source, *args, **kwargs):
        if source.name.endswith("c_raises.json"):  # a bug that only this file meets
            raise KeyError("a bug")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(load_module, "read_source", read_source)
    result = runner.invoke(app, ["load", str(directory), "--publisher", "hostile", "--country", "XA"])
    assert result.exit_code == 1 and "2 of 4 files could not be stored" in result.output, result.output
    crawl = conn.execute("SELECT * FROM crawl").fetchone()
    assert crawl["status"] == "finished"
    rows = conn.execute("SELECT ocid FROM release ORDER BY ocid").fetchall()
    assert [row["ocid"] for row in rows] == [f"ocds-test01-{k}-{n}" for k in "ad" for n in range(3)]
    notes = conn.execute(
        "SELECT f.path, n.code, n.level::text AS level, n.message "
        "FROM note n JOIN crawl_file f ON f.id = n.crawl_file_id"
    ).fetchall()
    by_file = {Path(row["path"]).name: (row["level"], row["code"]) for row in notes}
    assert by_file == {"b_deep.json": ("error", "nested_too_deeply"), "c_raises.json": ("error", "file_not_loaded")}
    message = next(row["message"] for row in notes if row["code"] == "file_not_loaded")
    assert "KeyError: 'a bug'" in message
