"""Any source's text as a stream of valid UTF-8 without NUL characters, its encoding decided from its first bytes
as :func:`aggregator.raw.text.decode` decides it for a whole file (BOM, given encoding, UTF-8, mostly UTF-8, else
detected), then decoded chunk by chunk, undecodable bytes replaced."""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from typing import IO, Any

from aggregator.raw.shapes import Problem
from aggregator.raw.sources import CHUNK, Source, read_head
from aggregator.raw.text import UTF16_32_BOMS, detect, mostly_utf8

#: How many bytes decide the encoding.
SAMPLE = 4 << 20


@dataclass
class Plan:
    """How the bytes of a source become UTF-8."""

    encoding: str
    bom: bool
    problems: list[Problem]


@dataclass
class Counters:
    """What the decoding met, reported once the source is read."""

    encoding: str
    noted: bool  # a decoding note was already given from the sample
    nuls: int = 0
    replaced_at: int | None = None
    read: int = 0  # bytes of the source read

    def problems(self) -> list[Problem]:
        found = []
        if self.replaced_at is not None and not self.noted:
            message = f"The text is not valid {self.encoding}; undecodable bytes were replaced."
            data = {"encoding": self.encoding, "position": self.replaced_at}
            found.append(Problem("warning", "decode_errors", message, data))
        if self.nuls:
            message = f"{self.nuls} NUL characters were removed from the text."
            found.append(Problem("warning", "nul_removed", message, {"count": self.nuls}))
        return found


def plan_encoding(source: Source, encoding: str | None) -> Plan:
    """How to read the source as UTF-8, decided from its first :data:`SAMPLE` bytes, with the notes to give."""
    assert source.open is not None
    with source.open() as stream:
        sample, _ = read_head(stream, SAMPLE)  # an error in the sample is met again, and noted, when reading
    problems: list[Problem] = []
    bom = sample.startswith(codecs.BOM_UTF8)
    if bom:
        sample = sample[len(codecs.BOM_UTF8) :]
        encoding = encoding or "utf-8"
        problems.append(Problem("info", "bom_removed", "A byte order mark was removed from the start of the text.", {}))
    if encoding:
        try:
            return Plan(codecs.lookup(encoding).name, bom, problems)
        except LookupError:
            message = f"The encoding {encoding!r} is unknown, so the encoding was detected instead."
            problems.append(Problem("warning", "unknown_encoding", message, {"encoding": encoding}))
    return Plan(_sample_encoding(sample, problems), bom, problems)


def _sample_encoding(sample: bytes, problems: list[Problem]) -> str:
    if not sample.startswith(UTF16_32_BOMS):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            return "utf-8"
        except UnicodeDecodeError as error:
            position = error.start
        if mostly_utf8(sample) is not None:
            message = "The text is mostly valid UTF-8; undecodable bytes were replaced."
            problems.append(Problem("warning", "decode_errors", message, {"encoding": "utf-8", "position": position}))
            return "utf-8"
    else:
        position = 0
    detected = detect(sample)
    message = f"The text is not valid UTF-8 and was decoded as {detected} (detected)."
    problems.append(Problem("warning", "encoding_detected", message, {"encoding": detected, "position": position}))
    return codecs.lookup(detected).name


class Utf8Stream(io.RawIOBase):
    """The bytes of a stream in another encoding (or in UTF-8 with errors) as valid UTF-8 without NULs."""

    def __init__(self, raw: IO[bytes], plan: Plan, counters: Counters) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(plan.encoding)(errors="replace")
        self._utf8 = plan.encoding == "utf-8"
        self._skip = len(codecs.BOM_UTF8) if plan.bom else 0
        self._counters = counters
        self._pending = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            chunk = self._raw.read(CHUNK)
            self._pending = self._convert(chunk) if chunk else self._finish()
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _convert(self, chunk: bytes) -> bytes:
        if self._skip:
            chunk, self._skip = chunk[self._skip :], 0
        if self._utf8 and chunk.isascii() and not self._decoder.getstate()[0]:
            data = chunk
        else:
            text = self._decoder.decode(chunk)
            if "\ufffd" in text and self._counters.replaced_at is None:
                original = chunk.count("\ufffd".encode()) if self._utf8 else 0
                if text.count("\ufffd") > original:
                    self._counters.replaced_at = self._offset
            data = text.encode("utf-8", errors="surrogatepass")
        self._offset += len(chunk)
        self._counters.read = self._offset
        if b"\x00" in data:
            self._counters.nuls += data.count(b"\x00")
            data = data.replace(b"\x00", b"")
        return data

    def _finish(self) -> bytes:
        self._done = True
        return self._decoder.decode(b"", final=True).encode("utf-8").replace(b"\x00", b"")

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_utf8(source: Source, encoding: str | None = None) -> Utf8Stream:
    """A stream of a source's text as UTF-8, its encoding decided as :func:`aggregator.raw.stream.read_large`
    decides it."""
    assert source.open is not None
    plan = plan_encoding(source, encoding)
    return Utf8Stream(source.open(), plan, Counters(plan.encoding, True))
