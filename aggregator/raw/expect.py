"""Whether a response body is what a spider expects: OCDS of its declared data type. Pure (bytes in, a verdict out),
for ``scrapy probe``, which reads only the first bytes of each answer.

The body may be cut (``cut``: the probe stopped reading): an archive's first member is decompressed as far as the
bytes go, JSON lines lose their last, partial line, and a single document cut short is read item by item (ijson)
up to the cut. The items found are classified by :func:`aggregator.raw.shapes.iter_items`, as a load would.
"""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import ijson

from aggregator.raw.shapes import Item, Problem
from aggregator.raw.sources import skipped, sniff
from aggregator.raw.text import decode, items_of_values, iter_values

#: Where a cut document's first items may be, below the spider's ``root_path``: ijson prefixes.
_CUT_PREFIXES = ("releases.item", "records.item", "item", "item.releases.item", "item.records.item", "")


@dataclass(frozen=True)
class Verdict:
    """``ok`` when the body holds OCDS of the expected kind; ``found`` says what it holds ("3 releases", "an HTML
    page"); ``problem`` why it is not what was expected."""

    ok: bool
    found: str
    problem: str | None = None


def expected_kind(data_type: str) -> str:
    """``record`` for the record data types, ``release`` for the others (compiled releases are releases)."""
    return "record" if data_type.startswith("record") else "release"


def classify_body(
    body: bytes, data_type: str, *, root_path: str | None = None, encoding: str | None = None, cut: bool = False
) -> Verdict:
    """What ``body`` holds, against what a spider of ``data_type`` expects."""
    if not body.strip():
        return Verdict(False, "an empty body", "the answer is empty")
    try:
        raw, archive, cut = _unpacked(body, cut)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as error:
        return Verdict(False, f"a corrupt {sniff(body)} archive", f"cannot decompress it: {error}")
    if raw is None:
        return Verdict(True, f"a {archive} archive (not checked further)")
    text, _ = decode(raw, encoding)
    items, problems = _items(text, root_path, cut)
    where = f" in a {archive} archive" if archive else ""
    if not items:
        what = "an HTML page" if text.lstrip()[:1] == "<" else "not OCDS"
        reason = problems[0].message if problems else "no release or record in it"
        return Verdict(False, what + where, f"not OCDS: {reason}")
    kinds = Counter(item.kind for item in items)
    found = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(kinds.items())) + where
    expected = expected_kind(data_type)
    if expected not in kinds:
        return Verdict(False, found, f"OCDS of another shape: {expected}s were expected ({data_type})")
    return Verdict(True, found + (" (first bytes)" if cut else ""))


def _items(text: str, root_path: str | None, cut: bool) -> tuple[list[Item], list[Problem]]:
    if cut:
        lines = text.splitlines()
        if len(lines) > 2 and all(line.lstrip()[:1] in ("{", "") for line in lines[:3]):
            text = "\n".join(lines[:-1])  # JSON lines: the last line is partial
        else:
            return _cut_document(text.encode("utf-8"), root_path)
    outputs = list(items_of_values(iter_values(text), root_path))
    return [o for o in outputs if isinstance(o, Item)], [o for o in outputs if isinstance(o, Problem)]


def _cut_document(raw: bytes, root_path: str | None) -> tuple[list[Item], list[Problem]]:
    """The first complete items of a document cut short, wherever a package or an array holds them."""
    base = root_path or ""
    for suffix in _CUT_PREFIXES:
        prefix = ".".join(p for p in (base, suffix) if p)
        values: list[Any] = []
        try:
            for value in ijson.items(io.BytesIO(raw), prefix, use_float=True):
                values.append(value)
                if len(values) >= 10:
                    break
        except ijson.JSONError as error:
            if not values and not suffix:
                return [], [Problem("error", "invalid_json", f"Invalid JSON: {error}.")]
        if values:
            outputs = list(items_of_values(values, None))
            items = [o for o in outputs if isinstance(o, Item)]
            if items:
                return items, [o for o in outputs if isinstance(o, Problem)]
    return [], [Problem("error", "no_items", "no release or record in the bytes read")]


def _unpacked(body: bytes, cut: bool) -> tuple[bytes | None, str | None, bool]:
    """The body, or its archive's first member decompressed as far as the bytes go; None for an archive that is
    not read (RAR); whether what is returned may be cut."""
    archive = sniff(body[:512])
    if archive is None:
        return body, None, cut
    if archive == "gzip":
        decompressor = zlib.decompressobj(wbits=47)
        raw = decompressor.decompress(body)
        return raw, archive, cut or not decompressor.eof
    if archive == "bz2":
        decompressor = bz2.BZ2Decompressor()
        raw = decompressor.decompress(body)
        return raw, archive, cut or not decompressor.eof
    if archive == "xz":
        decompressor = lzma.LZMADecompressor()
        raw = decompressor.decompress(body)
        return raw, archive, cut or not decompressor.eof
    if archive == "zip":
        raw, member_cut = _first_zip_member(body)
        return raw, archive, member_cut
    if archive == "tar":
        size = int(body[124:136].strip(b"\0 ") or b"0", 8)
        return body[512 : 512 + size], archive, len(body) < 512 + size
    return None, archive, cut


def _first_zip_member(body: bytes) -> tuple[bytes, bool]:
    """The first member of a zip that a load would read (not a folder, README…), from its local headers: what its
    bytes decompress to, and whether that is cut."""
    offset = 0
    while body[offset : offset + 4] == b"PK\x03\x04" and offset + 30 <= len(body):
        flags, method = struct.unpack("<HH", body[offset + 6 : offset + 10])
        size, _, name_length, extra_length = struct.unpack("<IIHH", body[offset + 18 : offset + 30])
        name = body[offset + 30 : offset + 30 + name_length].decode("utf-8", "replace")
        start = offset + 30 + name_length + extra_length
        known_size = not flags & 0x08 and size not in (0, 0xFFFFFFFF)
        if (name.endswith("/") or skipped(name)) and known_size:
            offset = start + size
            continue
        data = body[start : start + size] if known_size else body[start:]
        if method == 0:
            return data, len(data) < size if known_size else True
        if method != 8:
            raise ValueError(f"the zip member {name} is compressed with method {method}")
        decompressor = zlib.decompressobj(-15)
        return decompressor.decompress(data), not decompressor.eof
    raise ValueError("no member read in the zip's first bytes")
