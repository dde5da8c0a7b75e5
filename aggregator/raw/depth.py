"""How deeply JSON is nested, checked on its bytes before an incremental parser sees them. Pure.

ijson names every value by its path (``item.item.item…``): a document nested N levels deep costs it memory in N², and
100,000 levels take tens of gigabytes. No OCDS is nested more than a few dozen levels, so a stream nested more than
``MAX_DEPTH`` levels is refused with a note (``nested_too_deeply``) before the parser reads that far.

The check runs at C speed on each chunk: escaped quotes are dropped, only brackets and quotes kept, and of them the
brackets outside strings (split on quotes, carrying whether a string is open across chunks). They are counted in
pieces: the depth moves by their balance, and only a piece with enough openers to pass the limit is looked at
closely, its matched pairs cancelled pass by pass (``[]``, ``{}``), as many passes as it is deep. Whole documents
read with orjson need no such check: orjson refuses past 1,024 levels, and the standard library's parser, tried
after it, raises RecursionError, which :mod:`aggregator.raw.text` turns into the same note.
"""

from __future__ import annotations

import io
from typing import IO, Any

from aggregator.raw.shapes import Problem

#: Deeper than this, JSON is refused (orjson, which reads whole documents, stops at 1,024).
MAX_DEPTH = 1000
#: Brackets are counted in pieces of this many: a piece that cannot pass the limit needs no closer look.
PIECE = 512
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


def too_deep(name: str | None = None) -> Problem:
    data: dict[str, Any] = {"max_depth": MAX_DEPTH}
    if name:
        data["name"] = name
    message = f"The JSON is nested more than {MAX_DEPTH} levels deep, as no OCDS is: it was not read."
    return Problem("error", "nested_too_deeply", message, data)


class TooDeep(Exception):
    """Raised by :class:`DepthGuard` (so out of a parser reading a guarded stream); carries the note."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class DepthGuard:
    """Fed a JSON text's bytes in order, chunk by chunk; raises :class:`TooDeep` once they nest past ``limit``."""

    def __init__(self, limit: int = MAX_DEPTH, name: str | None = None) -> None:
        self.limit = limit
        self.name = name
        self.depth = 0  # at the end of what was fed
        self.in_string = False
        self.carry = b""  # trailing backslashes, whose meaning depends on the next chunk

    def feed(self, chunk: bytes) -> None:
        data = self.carry + chunk if self.carry else chunk
        kept = data.rstrip(b"\\")
        self.carry, data = data[len(kept) :], kept
        if b'\\"' in data:  # an escaped quote, or an escaped backslash before a closing quote
            if b"\\\\" in data:
                data = data.replace(b"\\\\", b"")
            data = data.replace(b'\\"', b"")
        parts = data.translate(None, _NOT_STRUCTURE).split(b'"')
        outside = b"".join(parts[1 if self.in_string else 0 :: 2])
        if len(parts) % 2 == 0:
            self.in_string = not self.in_string
        for start in range(0, len(outside), PIECE):
            self._nest(outside[start : start + PIECE])

    def _nest(self, brackets: bytes) -> None:
        openers = brackets.count(b"[") + brackets.count(b"{")
        if self.depth + openers <= self.limit:
            self.depth = max(0, self.depth + 2 * openers - len(brackets))
            return
        brackets = b"[" * self.depth + brackets
        passes = 0
        while (cancelled := brackets.replace(b"[]", b"").replace(b"{}", b"")) != brackets:
            brackets = cancelled
            passes += 1
        last_closer = max(brackets.rfind(b"]"), brackets.rfind(b"}"))
        self.depth = len(brackets) - last_closer - 1
        if passes + self.depth > self.limit:
            raise TooDeep(too_deep(self.name))


class GuardedStream(io.RawIOBase):
    """A stream that hands on what it reads from ``inner`` after :class:`DepthGuard` has seen it."""

    def __init__(self, inner: IO[bytes], guard: DepthGuard) -> None:
        super().__init__()
        self.inner = inner
        self.guard = guard

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        if not data:
            return 0
        self.guard.feed(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.inner.close()
        super().close()
