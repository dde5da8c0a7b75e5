"""JSON lines in bounded memory: each line up to a threshold is read whole, as in a small file; a longer line is
written to a file of its own, to be read as a large document is (:mod:`aggregator.raw.stream`). Read whole, a
line of 200 MB took 965 MB; each line is at most the threshold in memory now, whatever its length."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from aggregator.raw.depth import DepthGuard, GuardedStream, TooDeep
from aggregator.raw.shapes import Problem
from aggregator.raw.sources import CHUNK
from aggregator.raw.text import parse_line


@dataclass(frozen=True)
class LongLine:
    """A line longer than the threshold, written to ``path`` (its number and offset, for notes): it exists while
    the reading of the lines waits for the next one."""

    path: Path
    number: int
    offset: int
    size: int


class RestOfLine(io.RawIOBase):
    """A stream of one line: ``head`` (its start, already read), then the stream up to the line's end (its
    newline included), and no further: the stream is then at the next line (and stays open)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._stream = stream
        self._done = head.endswith(b"\n")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._next(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def drain(self) -> None:
        """Read to the end of the line, whatever was read of it."""
        while self._next(CHUNK):
            pass

    def _next(self, size: int) -> bytes:
        if self._head:
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        if self._done:
            return b""
        chunk = self._stream.readline(size)
        self._done = not chunk or chunk.endswith(b"\n")
        return chunk


def is_json_lines(stream: IO[bytes], threshold: int) -> bool:
    """Whether the first non-blank line is a whole JSON value and another non-blank line follows. A first line
    longer than ``threshold`` is checked by an incremental parse, without building its value."""
    first = _next_line(stream, threshold)
    if not first:
        return False
    if _long(first, threshold):
        if not _one_value(RestOfLine(first, stream)):
            return False
    elif not first.endswith(b"\n"):
        return False
    else:
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError:
            return False
    return bool(_next_line(stream, threshold))


def json_lines(stream: IO[bytes], threshold: int) -> Iterator[Any | Problem | LongLine]:
    """Each non-blank line's value (or the problem that it is not JSON), or, for a line longer than ``threshold``,
    the line in a file of its own (removed once the next line is asked for)."""
    number = offset = 0
    while line := stream.readline(threshold + 1):
        number += 1
        if _long(line, threshold):
            with _spooled(RestOfLine(line, stream)) as (path, size):
                yield LongLine(path, number, offset, size)
            offset += size
            continue
        if line.strip():
            yield parse_line(line, number, offset)
        offset += len(line)


def _next_line(stream: IO[bytes], threshold: int) -> bytes:
    """The next non-blank line, at most ``threshold`` + 1 bytes of it; empty at the end."""
    while (line := stream.readline(threshold + 1)) and not line.strip():
        pass
    return line


def _long(line: bytes, threshold: int) -> bool:
    return len(line) > threshold and not line.endswith(b"\n")


def _one_value(line: RestOfLine) -> bool:
    """Whether the line holds exactly one JSON value (read to its end either way)."""
    try:
        for _ in ijson.parse(GuardedStream(line, DepthGuard()), buf_size=CHUNK):
            pass
    except (ijson.JSONError, TooDeep):
        return False
    finally:
        line.drain()
    return True


@contextlib.contextmanager
def _spooled(line: IO[bytes]) -> Iterator[tuple[Path, int]]:
    with tempfile.TemporaryDirectory(prefix="ocds-atlas-line-") as directory:
        path = Path(directory) / "line.json"
        size = 0
        with path.open("wb") as spool:
            while chunk := line.read(CHUNK):
                spool.write(chunk)
                size += len(chunk)
        yield path, size
