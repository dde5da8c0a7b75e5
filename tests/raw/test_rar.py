"""RAR archives, read through libarchive. No tool here writes RAR, so the test builds a stored (uncompressed)
RAR 4 archive by hand, following the format's published layout."""

import struct
import zlib
from pathlib import Path

import orjson

from aggregator.raw.read import Item, Problem, iter_sources, read_source


def _block(head_type: int, flags: int, body: bytes) -> bytes:
    header = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header


def stored_rar(members: dict[str, bytes]) -> bytes:
    archive = b"Rar!\x1a\x07\x00" + _block(0x73, 0, struct.pack("<HI", 0, 0))
    for name, data in members.items():
        encoded = name.encode()
        fields = struct.pack(
            "<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), 0x5A2F0000, 20, 0x30, len(encoded), 0o100644
        )
        archive += _block(0x74, 0x8000, fields + encoded) + data
    return archive + _block(0x7B, 0x4000, b"")


def package(ocid: str) -> bytes:
    return orjson.dumps({"version": "1.1", "releases": [{"ocid": ocid, "id": "1", "date": "2020-01-01T00:00:00Z"}]})


def test_rar_members_are_read(tmp_path: Path):
    path = tmp_path / "bulk.rar"
    path.write_bytes(stored_rar({"a/one.json": package("ocds-rar-1"), "two.json": package("ocds-rar-2")}))
    names, ocids = [], []
    for source in iter_sources(path):  # members are readable while the archive is being iterated
        names.append(source.name)
        ocids += [i.data["ocid"] for i in read_source(source) if isinstance(i, Item)]
    assert names == [f"{path}!a/one.json", f"{path}!two.json"]
    assert ocids == ["ocds-rar-1", "ocds-rar-2"]


def test_rar_member_pattern_and_unsafe_names(tmp_path: Path):
    path = tmp_path / "bulk.rar"
    path.write_bytes(stored_rar({"keep.json": package("k"), "skip.txt.json": package("s"), "../evil.json": b"{}"}))
    entries = list(iter_sources(path, member_pattern="keep*"))
    assert [e.name for e in entries if not isinstance(e, Problem)] == [f"{path}!keep.json"]
    codes = sorted(e.code for e in entries if isinstance(e, Problem))
    assert codes == ["member_pattern_skipped", "unsafe_member"]


def test_corrupt_rar_is_a_note(tmp_path: Path):
    path = tmp_path / "broken.rar"
    path.write_bytes(stored_rar({"one.json": package("x")})[:40])
    problems = [e for e in iter_sources(path) if isinstance(e, Problem)]
    assert [p.code for p in problems] == ["invalid_archive"]
