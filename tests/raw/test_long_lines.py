"""JSON lines whose lines are long: a line longer than ``ReadLimits.line_threshold`` is read as a large document
is, in bounded memory (a 200 MB line took 965 MB read whole), with the items a line read whole gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from aggregator.raw.read import Item, Problem, ReadLimits, iter_sources, read_source
from tests.crawling import ROOT

WHOLE = ReadLimits(stream_threshold=1 << 40)  # the file read whole, each line parsed whole
STREAMED = ReadLimits(stream_threshold=1)  # the file streamed, each line parsed whole
LONG = ReadLimits(stream_threshold=1, line_threshold=2_000)  # the file streamed, long lines too


def package(prefix: str, count: int) -> dict[str, Any]:
    releases = [{"ocid": f"ocds-test01-{prefix}-{n}", "id": "1", "title": "x" * 50} for n in range(count)]
    return {"version": "1.1", "publisher": {"name": prefix}, "releases": releases, "uri": f"http://x/{prefix}"}


LINES = {
    "short": package("a", 2),
    "long": package("b", 200),  # its uri after its releases, found from the line's end
    "record": {"version": "1.1", "records": [{"ocid": f"ocds-test01-r{n}", "releases": []} for n in range(80)]},
    "release": {"ocid": "ocds-test01-bare", "id": "1", "date": "2020-01-01T00:00:00Z"},
}


def outputs(path: Path, limits: ReadLimits, root_path: str | None = None) -> list[Item | Problem]:
    found: list[Item | Problem] = []
    for source in iter_sources(path, limits=limits):
        assert not isinstance(source, Problem)
        found.extend(read_source(source, root_path=root_path, limits=limits))
    return found


def items(found: list[Item | Problem]) -> list[tuple[Any, ...]]:
    return [(o.kind, o.data, o.package, o.ordinal) for o in found if isinstance(o, Item)]


def codes(found: list[Item | Problem]) -> list[str]:
    return [o.code for o in found if isinstance(o, Problem)]


@pytest.mark.parametrize("envelope", [None, "data"])
@pytest.mark.parametrize(
    "order", [["long", "short", "record", "release"], ["short", "long", "release", "record"]], ids=["first", "inner"]
)
def test_a_long_line_gives_the_items_it_gives_read_whole(tmp_path, order, envelope):
    """First, the long line is only known to be a whole value by an incremental parse: a first line over 16 MB
    made the file one document (its other lines an ``invalid_json`` note)."""
    values = [{envelope: LINES[key]} if envelope else LINES[key] for key in order]
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"\n\n".join(orjson.dumps(value) for value in values))  # blank lines, no final newline
    whole = outputs(path, WHOLE, envelope)
    assert len(items(whole)) == 2 + 200 + 80 + 1 and codes(whole) == []
    assert items(outputs(path, STREAMED, envelope)) == items(whole)
    assert items(outputs(path, LONG, envelope)) == items(whole)
    assert codes(outputs(path, LONG, envelope)) == []


def test_a_long_line_that_is_not_json_keeps_its_items_before_the_error_and_the_lines_after(tmp_path):
    long = orjson.dumps(package("b", 200))
    lines = [orjson.dumps(package("a", 2)), long[: len(long) // 2], orjson.dumps(LINES["release"])]
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    found = outputs(path, LONG)
    [problem] = [o for o in found if isinstance(o, Problem)]
    assert problem.code == "invalid_json" and problem.data["line"] == 2
    kept = [item[1]["ocid"] for item in items(found)]
    assert kept[:2] == ["ocds-test01-a-0", "ocds-test01-a-1"] and kept[-1] == "ocds-test01-bare"
    assert 50 < len(kept) - 3 <= 100  # about half the long line's releases
    assert [item[3] for item in items(found)] == list(range(len(kept)))


def test_a_long_line_is_read_in_bounded_memory(tmp_path):
    """A 40 MB line, read whole and then as a document (its lines over 4 MB), each in a child process of its own:
    the peak memory (VmHWM) of the first is more than 3 times the second's."""
    path = tmp_path / "long.jsonl"
    with path.open("wb") as f:
        f.write(orjson.dumps(LINES["short"]) + b"\n")
        f.write(b'{"version": "1.1", "releases": [')
        release = orjson.dumps({"ocid": "ocds-test01-long", "id": "1", "tender": {"title": "x" * 1000}})
        f.write(b",".join([release] * 40_000) + b"]}\n")
        f.write(orjson.dumps(LINES["release"]) + b"\n")
    script = (
        "import sys; from pathlib import Path; from aggregator.raw.read import Item, ReadLimits, iter_sources, "
        "read_source\nlimits = ReadLimits(stream_threshold=1, line_threshold=int(sys.argv[2]))\n"
        "print(sum(isinstance(o, Item) for s in iter_sources(Path(sys.argv[1]), limits=limits) "
        "for o in read_source(s, limits=limits)))\n"
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"
    )
    peaks = {}
    for threshold in (1 << 40, 4 << 20):
        command = [sys.executable, "-c", script, str(path), str(threshold)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        count, peak = done.stdout.split()
        assert int(count) == 2 + 40_000 + 1
        peaks[threshold] = int(peak) // 1024
    whole, streamed = peaks.values()
    assert whole > 3 * streamed, peaks


def test_a_first_line_longer_than_16_mb_is_still_json_lines(tmp_path):
    """Past 16 MB, the first line was not read to tell: the file was taken as one document, its other lines lost
    (an ``invalid_json`` note: trailing garbage)."""
    path = tmp_path / "first.jsonl"
    release = orjson.dumps({"ocid": "ocds-test01-long", "id": "1", "tender": {"title": "x" * 1000}})
    with path.open("wb") as f:
        f.write(b'{"version": "1.1", "releases": [' + b",".join([release] * 17_000) + b"]}\n")
        f.write(orjson.dumps(LINES["release"]) + b"\n")
    found = outputs(path, STREAMED)  # the default line threshold: 16 MB
    assert path.stat().st_size > 16 << 20
    assert codes(found) == [] and len(items(found)) == 17_001
