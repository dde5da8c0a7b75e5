"""Reading a large source in bounded memory: what :func:`aggregator.raw.read.read_source` does past its threshold.

- **Encoding** (:mod:`aggregator.raw.utf8`). The first 4 MB decide it, as :func:`aggregator.raw.text.decode` does for a
  whole file (BOM, given encoding, UTF-8, mostly UTF-8, else detected); the text is then decoded chunk by chunk
  (undecodable bytes replaced), NUL characters removed, and handed to the JSON parser as UTF-8. Notes are the
  same as for small files; an encoding error found past the sample is noted at the end.
- **JSON lines** (the first line a whole JSON value, then another line) are read line by line
  (:mod:`aggregator.raw.lines`): a line longer than the threshold is written to a file of its own and read as one
  large document is (below), its items numbered on from the lines before it.
- **One JSON document** is parsed with ijson (yajl2_c): a package's ``releases`` or ``records`` (at
  ``root_path`` when given, e.g. ``releasePackage``) are yielded one by one, each with the package's metadata.
  Metadata keys may follow the array: they are found from the document's last megabyte, read backwards from its
  closing brace (:mod:`aggregator.raw.tail`), or, when that can't tell (``root_path`` given, a member after the
  array larger than that), by a second pass that skips the array. (A last member larger than a megabyte that is
  an array of objects is taken to be the releases or records array.) An array at the root (or at ``root_path``)
  is read element by element; anything else (a single huge release, say) is read whole.

Not streamed: concatenated JSON documents (the content after the first document is an ``invalid_json`` note),
elements of an array (each is read whole).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
import orjson

from aggregator.raw.depth import DepthGuard, GuardedStream, TooDeep
from aggregator.raw.lines import LongLine, is_json_lines, json_lines
from aggregator.raw.shapes import PACKAGE_KEYS, Item, Problem, iter_items
from aggregator.raw.sources import CHUNK, READ_ERRORS, ArchiveTooLarge, ReadLimits, Source
from aggregator.raw.tail import members_after
from aggregator.raw.text import Itemized, items_of_values, root_path_not_found, truncated
from aggregator.raw.utf8 import Counters, Plan, Utf8Stream, plan_encoding

#: How much of a document's end is read to find the metadata after its array.
TAIL = 1 << 20
ITEM_KEYS = ("releases", "records")


def read_large(
    source: Source, encoding: str | None, root_path: str | None, limits: ReadLimits, ocid_from_id: bool = False
) -> Iterator[Item | Problem]:
    """The items and problems of a source too large to read whole (see the module's docstring); ``ocid_from_id``
    as :func:`aggregator.raw.shapes.iter_items` says."""
    try:
        plan = plan_encoding(source, encoding)
    except READ_ERRORS as error:
        yield truncated(source.name, error)
        return
    yield from plan.problems
    reader = _Reader(source, plan)
    try:
        if _is_json_lines(reader, limits.line_threshold):
            lines = _json_lines(reader, limits.line_threshold, root_path, ocid_from_id)
            yield from items_of_values(lines, root_path, ocid_from_id)
        else:
            yield from _document(reader, root_path or "", ocid_from_id)
    except (ArchiveTooLarge, TooDeep) as error:
        yield error.problem
        return
    except ijson.JSONError as error:
        yield _ijson_error(error)
    except READ_ERRORS as error:
        yield truncated(source.name, error)
    yield from reader.most_read().problems()


@dataclass
class _Reader:
    """Opens the source as UTF-8, as often as the reading needs (each pass a new stream)."""

    source: Source
    plan: Plan
    passes: list[Counters] = field(default_factory=list)

    def open(self, guarded: bool = True) -> IO[bytes]:
        """A new UTF-8 stream of the source; ``guarded`` for ijson, which must not read past
        :data:`aggregator.raw.depth.MAX_DEPTH` levels (JSON lines are read line by line with orjson, which stops
        there itself)."""
        assert self.source.open is not None
        noted = any(p.code in ("decode_errors", "encoding_detected") for p in self.plan.problems)
        self.passes.append(Counters(self.plan.encoding, noted))
        stream = Utf8Stream(self.source.open(), self.plan, self.passes[-1])
        return GuardedStream(stream, DepthGuard(name=self.source.name)) if guarded else stream

    def most_read(self) -> Counters:
        """What the pass that read the most met (passes read the same bytes, some of them only in part)."""
        return max(self.passes, key=lambda counters: counters.read, default=Counters(self.plan.encoding, True))

    def tail(self, size: int) -> bytes:
        """The last ``size`` bytes of the UTF-8 text: by seeking when the source is a plain UTF-8 file."""
        assert self.source.open is not None
        if self.plan.encoding == "utf-8" and self.source.size is not None:
            with self.source.open() as raw:
                raw.seek(max(0, self.source.size - size))
                return raw.read().replace(b"\x00", b"")
        tail = b""
        with self.open(guarded=False) as stream:
            while chunk := stream.read(CHUNK):
                tail = (tail + chunk)[-size:]
        return tail


# JSON lines


def _is_json_lines(reader: _Reader, threshold: int) -> bool:
    with io.BufferedReader(reader.open(guarded=False), CHUNK) as stream:
        return is_json_lines(stream, threshold)


def _json_lines(
    reader: _Reader, threshold: int, root_path: str | None, ocid_from_id: bool
) -> Iterator[Any | Problem | Itemized]:
    """Each line's value; for a line longer than ``threshold``, its items, read as a large document is."""
    with io.BufferedReader(reader.open(guarded=False), CHUNK) as stream:
        for line in json_lines(stream, threshold):
            yield Itemized(_long_line(line, root_path, ocid_from_id)) if isinstance(line, LongLine) else line


def _long_line(line: LongLine, root_path: str | None, ocid_from_id: bool) -> Iterator[Item | Problem]:
    """A line's items, from its UTF-8 text in a file of its own; each problem says which line."""
    source = Source(f"line {line.number}", line.path.read_bytes, lambda: line.path.open("rb"), line.size)
    reader = _Reader(source, Plan("utf-8", False, []))
    try:
        for output in _document(reader, root_path or "", ocid_from_id):
            yield output if isinstance(output, Item) else _on_line(output, line.number)
    except TooDeep as error:
        yield _on_line(error.problem, line.number)
    except ijson.JSONError as error:
        yield _on_line(_ijson_error(error), line.number)


def _on_line(problem: Problem, number: int) -> Problem:
    return Problem(problem.level, problem.code, problem.message, {**problem.data, "line": number})


def _ijson_error(error: Exception) -> Problem:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    message = f"Invalid JSON: {reason}; what was read before was kept."
    return Problem("error", "invalid_json", message, {"error": reason})


# One document


@dataclass
class Layout:
    """What is at the prefix of a document: a ``package`` (its array's key, the metadata before the array), an
    ``object`` read whole, ``values`` to read one by one at ``prefix``, or nothing (``missing``)."""

    kind: str
    prefix: str
    key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _document(reader: _Reader, prefix: str, ocid_from_id: bool) -> Iterator[Item | Problem]:
    with reader.open() as stream:
        layout = _discover(stream, prefix)
    if layout.kind == "missing":
        yield root_path_not_found(prefix, None)
    elif layout.kind == "object":
        yield from items_of_values([layout.metadata], None, ocid_from_id)
    elif layout.kind == "values":
        yield from _values(reader, layout.prefix, "item" in prefix.split("."), ocid_from_id)
    else:
        yield from _package(reader, layout, ocid_from_id)


def _discover(stream: IO[bytes], prefix: str) -> Layout:
    if "item" in prefix.split("."):
        return Layout("values", prefix)
    events = ijson.parse(stream, use_float=True, buf_size=CHUNK)
    for path, event, _ in events:
        if path == prefix:
            if event == "start_map":
                return _scan_map(events, prefix, stop_at_array=True)
            return Layout("values", _join(prefix, "item") if event == "start_array" else prefix)
    return Layout("missing", prefix)


def _scan_map(events: Iterator[tuple[str, str, Any]], prefix: str, stop_at_array: bool) -> Layout:
    """Read the members of the map at ``prefix`` (its ``start_map`` read): up to its releases or records array if
    ``stop_at_array``, else all of them, skipping that array."""
    metadata: dict[str, Any] = {}
    found: str | None = None
    for path, event, value in events:
        if path != prefix:
            continue
        if event == "end_map":
            return Layout("package" if found else "object", prefix, found, metadata)
        key = value
        _, first, scalar = next(events)
        if key in ITEM_KEYS and first == "start_array" and found in (None, key):
            found = key
            if stop_at_array:
                return Layout("package", prefix, key, metadata)
            _skip(events)
        else:
            metadata[key] = _build(events, first, scalar)
    return Layout("missing", prefix)


def _build(events: Iterator[tuple[str, str, Any]], first: str, value: Any) -> Any:
    """The value whose first event is (``first``, ``value``), reading the rest of its events."""
    if first not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(first, value)
    depth = 1
    for _, event, scalar in events:
        builder.event(event, scalar)
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            break
    return builder.value


def _skip(events: Iterator[tuple[str, str, Any]]) -> None:
    depth = 1
    for _, event, _ in events:
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            return


def _join(prefix: str, step: str) -> str:
    return f"{prefix}.{step}" if prefix else step


def _values(
    reader: _Reader, prefix: str, root_path: bool = False, ocid_from_id: bool = False
) -> Iterator[Item | Problem]:
    """Each value at ``prefix`` (each element, when it ends with ``item``), read whole. With none: an empty
    array's note, or, for a ``root_path``, a note if its first array is missing."""
    count = 0

    def values() -> Iterator[Any]:
        nonlocal count
        with reader.open() as stream:
            for value in ijson.items(stream, prefix, use_float=True, buf_size=CHUNK):
                count += 1
                if value != []:  # an empty array inside an array is nothing, as in a small file
                    yield value

    yield from items_of_values(values(), None, ocid_from_id)
    if count == 0 and root_path:
        first_array = prefix[: prefix.index("item")].rstrip(".")
        with reader.open() as stream:
            if _discover(stream, first_array).kind == "missing":
                yield root_path_not_found(prefix, None)
    elif count == 0 and prefix.endswith("item"):
        yield from iter_items([])


# Packages


def _package(reader: _Reader, layout: Layout, ocid_from_id: bool) -> Iterator[Item | Problem]:
    assert layout.key is not None
    metadata = {**layout.metadata, **_metadata_after(reader, layout)}
    if layout.key == "releases" and _not_a_release_package(metadata):
        # a record, or a package with both arrays: read it whole
        yield from _values(reader, layout.prefix, ocid_from_id=ocid_from_id)
        return
    with reader.open() as stream:
        entries = ijson.items(stream, f"{_join(layout.prefix, layout.key)}.item", use_float=True, buf_size=CHUNK)
        yield from _package_items(entries, layout.key, metadata, ocid_from_id)


def _not_a_release_package(metadata: dict[str, Any]) -> bool:
    """As :func:`aggregator.raw.shapes.iter_items` tells a record (or a record package) from a release package."""
    if "records" in metadata or "compiledRelease" in metadata or "versionedRelease" in metadata:
        return True
    return "ocid" in metadata and not PACKAGE_KEYS.intersection(metadata)


def _package_items(
    entries: Iterator[Any], key: str, metadata: dict[str, Any], ocid_from_id: bool
) -> Iterator[Item | Problem]:
    """Items sharing one metadata dict, numbered as :func:`aggregator.raw.shapes.iter_items` numbers them."""
    kind = key[:-1]
    ordinal = 0
    index = -1
    for index, entry in enumerate(entries):
        ocid = entry.get("ocid") if isinstance(entry, dict) else None
        if isinstance(ocid, str) and ocid.strip():
            yield Item(kind, entry, metadata, ordinal)
            ordinal += 1
            continue
        for found in iter_items({key: [entry]}, ordinal, ocid_from_id):
            if isinstance(found, Item):  # the OCID its id carries
                yield Item(kind, found.data, metadata, ordinal)
                ordinal += 1
            else:
                yield Problem(found.level, found.code, found.message, {**found.data, "index": index})
    if index < 0:
        yield from iter_items({key: []})


def _metadata_after(reader: _Reader, layout: Layout) -> dict[str, Any]:
    """The members of the package that follow its array: from the document's tail if it tells, else by a pass
    over the whole document that skips the array."""
    assert layout.key is not None
    if not layout.prefix:
        segment = members_after(reader.tail(TAIL), layout.key)
        if segment is not None:
            try:
                return orjson.loads(segment)
            except orjson.JSONDecodeError:
                pass
    with reader.open() as stream:
        events = ijson.parse(stream, use_float=True, buf_size=CHUNK)
        try:
            for path, event, _ in events:
                if path == layout.prefix and event == "start_map":
                    return _scan_map(events, layout.prefix, stop_at_array=False).metadata
        except ijson.JSONError:
            pass  # the reading of the items meets it too, and notes it after the items before it
    return {}
