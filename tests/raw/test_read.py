import bz2
import csv
import gzip
import io
import json
import lzma
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from aggregator.raw.read import (
    Item,
    Problem,
    Source,
    decode,
    iter_items,
    iter_sources,
    iter_values,
    read_path,
    read_source,
)
from tests.archive_bytes import zip_bytes

PUBLISHERS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "publishers"

RELEASE = {"ocid": "ocds-abc123-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"]}
RELEASE_2 = {"ocid": "ocds-abc123-2", "id": "2", "date": "2020-01-02T00:00:00Z", "tag": ["award"]}
RECORD = {
    "ocid": "ocds-abc123-1",
    "releases": [{"url": "http://x/1.json", "date": "2020", "tag": ["tender"]}],
}
RELEASE_PACKAGE = {"uri": "http://x/p.json", "version": "1.1", "releases": [RELEASE, RELEASE_2]}
RECORD_PACKAGE = {"uri": "http://x/r.json", "version": "1.1", "records": [RECORD]}


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def items(outputs: Any) -> list[Item]:
    return [output for output in outputs if isinstance(output, Item)]


def problems(outputs: Any) -> list[Problem]:
    return [output for output in outputs if isinstance(output, Problem)]


def codes(outputs: Any) -> list[str]:
    return [problem.code for problem in problems(outputs)]


def read_all(path: Path, encoding: str | None = None) -> list[Item | Problem]:
    outputs: list[Item | Problem] = []
    for entry in read_path(path, encoding):
        if isinstance(entry, Problem):
            outputs.append(entry)
        else:
            outputs.extend(entry[1])
    return outputs


def sources(path: Path) -> list[Source | Problem]:
    return list(iter_sources(path))


def contents(path: Path) -> list[tuple[str, bytes]]:
    """Each source's name and content, read while iterating (an archive's members can't be read after it)."""
    return [(s.name, s.read()) for s in iter_sources(path) if isinstance(s, Source)]


def names(path: Path) -> list[str]:
    return [s.name for s in sources(path) if isinstance(s, Source)]


def make_tar(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("folder")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
    return buffer.getvalue()


# iter_sources


def test_plain_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"{}")
    [source] = sources(path)
    assert isinstance(source, Source)
    assert source.name == str(path)
    assert source.read() == b"{}"


def test_directory_is_walked_sorted_skipping_hidden_and_documentation(tmp_path: Path) -> None:
    for name in [
        "b.json",
        "a/z.json",
        "a/c.json",
        ".hidden.json",
        ".git/x.json",
        "MANIFEST.md",
        "README.txt",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / "files.csv").write_text("a,b")
    (tmp_path / "notes.md").write_text("#")
    assert names(tmp_path) == [
        str(tmp_path / "a/c.json"),
        str(tmp_path / "a/z.json"),
        str(tmp_path / "b.json"),
    ]


def test_explicit_file_is_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "README.json"
    path.write_bytes(b"{}")
    assert names(path) == [str(path)]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_file(tmp_path: Path, compress: Any) -> None:
    path = tmp_path / "a.json.gz"
    path.write_bytes(compress(dumps(RELEASE_PACKAGE)))
    [source] = sources(path)
    assert isinstance(source, Source)
    assert source.name == str(path)
    assert json.loads(source.read()) == RELEASE_PACKAGE


def test_zip_members_sorted_without_directories_and_macos_files(tmp_path: Path) -> None:
    path = tmp_path / "bulk.zip"
    members = {
        "b.json": b"[2]",
        "dir/": b"",
        "a.json": b"[1]",
        "__MACOSX/._a.json": b"\x00",
        "dir/c.json": b"[3]",
    }
    path.write_bytes(zip_bytes(members))
    assert contents(path) == [(f"{path}!a.json", b"[1]"), (f"{path}!b.json", b"[2]"), (f"{path}!dir/c.json", b"[3]")]


@pytest.mark.parametrize(("suffix", "mode"), [(".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar", "w")])
def test_tar_members_sorted(tmp_path: Path, suffix: str, mode: str) -> None:
    path = tmp_path / f"bulk{suffix}"
    path.write_bytes(make_tar({"b.json": b"[2]", "a.json": b"[1]"}, mode))
    assert contents(path) == [(f"{path}!a.json", b"[1]"), (f"{path}!b.json", b"[2]")]


def test_nested_archives_and_archives_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "download"
    inner = zip_bytes({"x.json": b"[1]"})
    path.write_bytes(zip_bytes({"inner.zip": inner, "y.json.gz": gzip.compress(b"[2]")}))
    assert contents(path) == [(f"{path}!inner.zip!x.json", b"[1]"), (f"{path}!y.json.gz", b"[2]")]


# A gzip file cut short after some data is a source with a truncated_file note (see test_stream.py).
@pytest.mark.parametrize("content", [b"PK\x03\x04 truncated", b"\x1f\x8b\x08 truncated"])
def test_corrupt_archive(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(content)
    [problem] = sources(path)
    assert isinstance(problem, Problem)
    assert (problem.level, problem.code, problem.data["name"]) == ("error", "invalid_archive", str(path))


def test_missing_path(tmp_path: Path) -> None:
    [problem] = sources(tmp_path / "missing.json")
    assert isinstance(problem, Problem)
    assert problem.code == "unreadable_file"


def test_unreadable_source() -> None:
    def read() -> bytes:
        raise OSError("gone")

    [problem] = read_source(Source("x.json", read))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.data) == ("unreadable_file", {"name": "x.json", "error": "gone"})


# decode


def test_decode_utf8() -> None:
    assert decode('{"a": "Año"}'.encode()) == ('{"a": "Año"}', [])


def test_decode_bom() -> None:
    text, found = decode(b"\xef\xbb\xbf[1]")
    assert text == "[1]"
    assert [(p.level, p.code) for p in found] == [("info", "bom_removed")]


def test_decode_nul() -> None:
    text, found = decode(b"[1,\x002]\x00")
    assert text == "[1,2]"
    assert [(p.level, p.code, p.data) for p in found] == [("warning", "nul_removed", {"count": 2})]


def test_decode_iso_8859_1_is_detected() -> None:
    original = '{"title": "Adquisición de señalización, Compañía Ñandú, São Paulo"}'
    text, [problem] = decode(original.encode("iso-8859-1"))
    assert text == original
    assert (problem.level, problem.code, problem.data["encoding"]) == (
        "warning",
        "encoding_detected",
        "cp1252",
    )
    assert "cp1252" in problem.message


def test_decode_cyrillic_is_detected() -> None:
    original = '{"title": "Закупівля медичного обладнання для лікарні, Київ, 2017 рік"}'
    text, [problem] = decode(original.encode("cp1251"))
    assert text == original
    assert problem.data["encoding"] == "cp1251"


def test_decode_utf16_with_bom() -> None:
    text, found = decode('{"a": "Ա"}'.encode("utf-16"))
    assert text == '{"a": "Ա"}'
    assert codes(found) == ["encoding_detected"]


def test_decode_mostly_utf8_keeps_utf8() -> None:
    text, [problem] = decode('["Año", "Señal", "Adquisición"]'.encode() + b' ["Adquisici\xf3n"]')
    assert text.startswith('["Año", "Señal", "Adquisición"] ["Adquisici\ufffdn"]')
    assert (problem.code, problem.data["encoding"]) == ("decode_errors", "utf-8")


def test_decode_given_encoding() -> None:
    assert decode("Año".encode("cp1252"), "cp1252") == ("Año", [])


def test_decode_given_encoding_with_errors() -> None:
    text, [problem] = decode(b"A\xffo", "utf-8")
    assert text == "A\ufffdo"
    assert (problem.code, problem.data) == ("decode_errors", {"encoding": "utf-8", "position": 1})


def test_decode_unknown_encoding() -> None:
    text, found = decode(b"[1]", "no-such-encoding")
    assert text == "[1]"
    assert codes(found) == ["unknown_encoding"]


# iter_values


def test_single_document() -> None:
    assert list(iter_values('  {"a": [1, 2]}\n')) == [{"a": [1, 2]}]


def test_json_lines() -> None:
    assert list(iter_values('{"a": 1}\n\n{"b": 2}\r\n[3]\n')) == [{"a": 1}, {"b": 2}, [3]]


def test_json_lines_with_invalid_line_continue() -> None:
    values = list(iter_values('{"a": 1}\n{"b": \n{"c": 3}\n'))
    assert values[0] == {"a": 1}
    assert values[2] == {"c": 3}
    assert isinstance(values[1], Problem)
    assert (values[1].level, values[1].code, values[1].data["line"]) == ("error", "invalid_json", 2)


@pytest.mark.parametrize("text", ['{"a": 1}{"b": 2}', '{\n  "a": 1\n}\n{\n  "b": 2\n}\n', '{"a": 1} {"b": 2}'])
def test_concatenated_documents(text: str) -> None:
    assert list(iter_values(text)) == [{"a": 1}, {"b": 2}]


def test_concatenated_documents_with_invalid_document_continue() -> None:
    values = list(iter_values('{\n  "a": 1\n}\n{\n  "b": ,\n}\n{\n  "c": 3\n}\n'))
    assert values[0] == {"a": 1}
    assert values[2] == {"c": 3}
    assert isinstance(values[1], Problem)
    assert (values[1].code, values[1].data["line"], values[1].data["column"]) == ("invalid_json", 5, 8)


def test_json_lines_with_invalid_first_line_continue() -> None:
    values = list(iter_values('{"a": \n{"b": 2}\n{"c": 3}\n'))
    assert values[1:] == [{"b": 2}, {"c": 3}]
    assert isinstance(values[0], Problem)
    assert values[0].code == "invalid_json"


def test_invalid_json_line_position() -> None:
    [value, problem] = iter_values('{"a": 1}\n{"b" 2}\n')
    assert value == {"a": 1}
    assert isinstance(problem, Problem)
    assert problem.data == {"line": 2, "column": 6, "position": 14, "error": "Expecting ':' delimiter"}


def test_values_outside_orjson() -> None:
    [value] = iter_values('{"a": NaN, "b": 123456789012345678901234567890}')
    assert value["b"] == 123456789012345678901234567890


@pytest.mark.parametrize("text", ["", " \n\t "])
def test_empty(text: str) -> None:
    [problem] = iter_values(text)
    assert (problem.level, problem.code) == ("error", "empty_file")


@pytest.mark.parametrize("text", ["<html><body>Error 500</body></html>", '{"a": 1', "{'a': 1}"])
def test_not_json(text: str) -> None:
    [problem] = iter_values(text)
    assert (problem.level, problem.code, problem.data["line"]) == ("error", "invalid_json", 1)
    assert "column" in problem.data


# iter_items


def test_release_package() -> None:
    first, second = iter_items(RELEASE_PACKAGE)
    assert isinstance(first, Item)
    assert isinstance(second, Item)
    assert (first.kind, first.ordinal, second.ordinal) == ("release", 0, 1)
    assert first.data is RELEASE
    assert first.package == {"uri": "http://x/p.json", "version": "1.1"}
    assert first.package is second.package
    assert "releases" in RELEASE_PACKAGE


def test_record_package() -> None:
    [item] = iter_items(RECORD_PACKAGE, ordinal_start=5)
    assert isinstance(item, Item)
    assert (item.kind, item.ordinal, item.data, item.package) == (
        "record",
        5,
        RECORD,
        {"uri": "http://x/r.json", "version": "1.1"},
    )


def test_bare_release() -> None:
    [item] = iter_items(RELEASE)
    assert item == Item("release", RELEASE, None, 0)
    assert item.data is RELEASE


@pytest.mark.parametrize("record", [RECORD, {"ocid": "ocds-abc123-1", "compiledRelease": RELEASE}])
def test_bare_record(record: dict[str, Any]) -> None:
    assert list(iter_items(record)) == [Item("record", record, None, 0)]


def test_package_info_is_moved() -> None:
    info = {"uri": "http://x/p.json", "publisher": {"name": "P"}, "publishedDate": "2017"}
    release = {**RELEASE, "packageInfo": info}
    problem, item = iter_items(release)
    assert isinstance(problem, Problem)
    assert (problem.level, problem.code) == ("info", "package_info_moved")
    assert item == Item("release", RELEASE, info, 0)
    assert "packageInfo" in release


@pytest.mark.parametrize("key", ["Release", "release"])
def test_wrapper_is_unwrapped(key: str) -> None:
    problem, item = iter_items({key: RELEASE})
    assert (problem.level, problem.code, problem.data["member"]) == ("info", "wrapper_unwrapped", key)
    assert item == Item("release", RELEASE, None, 0)


def test_arrays_are_flattened() -> None:
    value = [RELEASE_PACKAGE, [RELEASE, [RECORD]], RECORD_PACKAGE]
    found = items(iter_items(value))
    assert [(i.kind, i.ordinal, i.data["ocid"]) for i in found] == [
        ("release", 0, "ocds-abc123-1"),
        ("release", 1, "ocds-abc123-2"),
        ("release", 2, "ocds-abc123-1"),
        ("record", 3, "ocds-abc123-1"),
        ("record", 4, "ocds-abc123-1"),
    ]


@pytest.mark.parametrize("ocid", [None, "", "  ", 12])
def test_release_without_ocid(ocid: Any) -> None:
    release = {**RELEASE, "ocid": ocid}
    problem, item = iter_items({"releases": [release, RELEASE_2]})
    assert isinstance(problem, Problem)
    assert (problem.level, problem.code) == ("error", "release_without_ocid")
    assert problem.data == {"id": "1", "index": 0, "ocid": ocid}
    assert isinstance(item, Item)
    assert item.ordinal == 0


def test_bare_release_without_ocid() -> None:
    release = {k: v for k, v in RELEASE.items() if k != "ocid"}
    [problem] = iter_items(release)
    assert (problem.code, problem.data) == ("release_without_ocid", {"id": "1"})


def test_record_without_ocid() -> None:
    record = {"releases": RECORD["releases"], "compiledRelease": {}}
    assert codes(iter_items(record)) == ["record_without_ocid"]
    assert codes(iter_items({"records": [record]})) == ["record_without_ocid"]


@pytest.mark.parametrize("package", [{"releases": {"ocid": "x"}}, {"records": "none"}, {"releases": None}])
def test_invalid_package(package: dict[str, Any]) -> None:
    [problem] = iter_items(package)
    assert (problem.level, problem.code) == ("error", "invalid_package")


def test_empty_package() -> None:
    [problem] = iter_items({"uri": "x", "releases": []})
    assert (problem.level, problem.code) == ("info", "empty_package")


@pytest.mark.parametrize(
    ("value", "data"),
    [
        ({"error": "Not found", "status": 404}, {"type": "dict", "keys": ["error", "status"]}),
        ({"ocid": "ocds-abc123-1"}, {"type": "dict", "keys": ["ocid"]}),
        (3, {"type": "int", "value": 3}),
        ("text", {"type": "str", "value": "text"}),
        (None, {"type": "NoneType", "value": None}),
        ({"releases": ["text"]}, {"type": "str", "value": "text", "index": 0}),
    ],
)
def test_not_ocds(value: Any, data: dict[str, Any]) -> None:
    [problem] = iter_items(value)
    assert isinstance(problem, Problem)
    assert (problem.level, problem.code, problem.data) == ("error", "not_ocds", data)


def test_empty_array() -> None:
    [problem] = iter_items([])
    assert (problem.level, problem.code) == ("info", "empty_array")
    assert list(iter_items([[], RELEASE])) == [Item("release", RELEASE, None, 0)]


def test_versioned_release_is_skipped() -> None:
    versioned = {"ocid": "x", "tender": {"id": [{"releaseID": "1", "releaseDate": "2020", "value": "t"}]}}
    versioned["initiationType"] = [{"releaseID": "1", "releaseDate": "2020", "value": "tender"}]
    [problem] = iter_items(versioned)
    assert (problem.level, problem.code) == ("warning", "versioned_release")


# read_source and read_path


def test_read_source_json_lines_colombia_bulk(tmp_path: Path) -> None:
    path = tmp_path / "secop.json"
    path.write_bytes(b"\n".join(dumps({"Release": r}) for r in [RELEASE, RELEASE_2, RELEASE]) + b"\n")
    outputs = read_all(path)
    assert codes(outputs) == ["wrapper_unwrapped"]
    assert [(i.ordinal, i.data) for i in items(outputs)] == [(0, RELEASE), (1, RELEASE_2), (2, RELEASE)]


def test_read_source_ordinals_across_values_and_problems_once(tmp_path: Path) -> None:
    info = {"uri": "u"}
    lines = [RELEASE_PACKAGE, {**RELEASE, "packageInfo": info}, 5, {**RELEASE_2, "packageInfo": info}]
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n".join(dumps(v) for v in lines))
    outputs = read_all(path)
    assert codes(outputs) == ["package_info_moved", "not_ocds"]
    assert [(i.ordinal, i.package) for i in items(outputs)][2:] == [(2, info), (3, info)]


def test_read_source_iso_8859_1(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    package = {"releases": [{**RELEASE, "title": "Adquisición de vehículos"}]}
    path.write_bytes(json.dumps(package, ensure_ascii=False).encode("iso-8859-1"))
    outputs = read_all(path)
    assert codes(outputs) == ["encoding_detected"]
    assert items(outputs)[0].data["title"] == "Adquisición de vehículos"
    assert items(read_all(path, encoding="iso-8859-1"))[0].data["title"] == "Adquisición de vehículos"


def test_read_source_bom_and_nul(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps(RELEASE_PACKAGE) + b"\x00")
    outputs = read_all(path)
    assert codes(outputs) == ["bom_removed", "nul_removed"]
    assert len(items(outputs)) == 2


@pytest.mark.parametrize(
    ("content", "code"), [(b"", "empty_file"), (b"  \n", "empty_file"), (b"<html>", "invalid_json")]
)
def test_read_source_errors(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(content)
    assert codes(read_all(path)) == [code]


def test_read_path_archive(tmp_path: Path) -> None:
    path = tmp_path / "bulk.tar.gz"
    path.write_bytes(make_tar({"2.json": dumps(RECORD_PACKAGE), "1.json": dumps([RELEASE_PACKAGE])}))
    found = [(source.name, [(i.kind, i.ordinal) for i in items(outputs)]) for source, outputs in read_path(path)]
    assert found == [
        (f"{path}!1.json", [("release", 0), ("release", 1)]),
        (f"{path}!2.json", [("record", 0)]),
    ]


# Real publisher data (see MANIFEST.md there)

needs_data = pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="shared publisher data is absent")

# Checked by hand against MANIFEST.md's table and an independent count with the standard library's json.
# (releases, records, distinct OCIDs among them, problems by code)
EXPECTED = {
    "armenia_armeps": (900, 0, 900, {}),
    "australia_nsw": (10, 0, 10, {}),
    "canada_buyandsell": (11, 0, 11, {"package_info_moved": 11}),
    "canada_montreal": (10, 0, 10, {"package_info_moved": 10}),
    "colombia_cce": (17, 0, 17, {"package_info_moved": 11}),
    "ecuador_sercop": (1, 1, 2, {}),
    "honduras_portal": (0, 2, 2, {}),
    "mexico_apf": (10, 0, 10, {"package_info_moved": 10}),
    "mexico_cdmx": (24, 0, 5, {"encoding_detected": 1, "versioned_release": 2, "package_info_moved": 8}),
    "mexico_gacm": (302, 0, 292, {"package_info_moved": 302}),
    "mexico_inai": (10, 2, 12, {"package_info_moved": 10}),
    "mexico_jalisco": (10, 10, 10, {}),
    "mexico_nuevo_leon": (0, 2, 2, {}),
    "mexico_shcp": (2, 4, 4, {}),
    "paraguay_dncp": (57, 66, 53, {}),
    "portugal_impic": (100, 0, 100, {}),
    "taiwan_aac": (11, 0, 11, {"package_info_moved": 11}),
    "uganda_gpp": (10, 0, 10, {"package_info_moved": 10}),
    "uk_contracts_finder": (200, 0, 200, {}),
    "ukraine_prozorro": (14, 3, 14, {"package_info_moved": 11}),
}


def count(outputs: list[Item | Problem]) -> tuple[int, int, int, dict[str, int]]:
    found = items(outputs)
    releases = sum(item.kind == "release" for item in found)
    ocids = {item.data["ocid"] for item in found}
    return releases, len(found) - releases, len(ocids), dict(Counter(codes(outputs)))


@needs_data
def test_every_publisher_directory_is_expected() -> None:
    assert sorted(p.name for p in PUBLISHERS.iterdir() if p.is_dir()) == sorted(EXPECTED)


@needs_data
@pytest.mark.parametrize("directory", sorted(EXPECTED))
def test_publisher_directory(directory: str) -> None:
    assert count(read_all(PUBLISHERS / directory)) == EXPECTED[directory]


@needs_data
def test_publisher_files_agree_with_manifest_files_csv() -> None:
    with (PUBLISHERS / "manifest_files.csv").open(encoding="utf-8") as file:
        rows = {row["file"]: row for row in csv.DictReader(file)}
    found = {}
    for entry in read_path(PUBLISHERS):
        assert not isinstance(entry, Problem)
        source, outputs = entry
        found[Path(source.name).relative_to(PUBLISHERS).as_posix()] = count(list(outputs))
    assert sorted(found) == sorted(rows)
    for name, row in rows.items():
        releases = int(row["releases"]) if row["kind"] in {"release_package", "release", "array"} else 0
        if "versioned-release" in name:  # ocdskit output: not a release, skipped with a warning
            assert found[name][:3] == (0, 0, 0), name
        else:
            assert found[name][:3] == (releases, int(row["records"]), int(row["distinct_ocids"])), name


@needs_data
def test_cdmx_iso_8859_1_copy_reads_like_the_utf8_copy() -> None:
    folder = PUBLISHERS / "mexico_cdmx" / "encoding"
    latin = read_all(folder / "release-package_encoding-iso-8859-1.json")
    utf8 = read_all(folder / "release-package_encoding-utf-8.json")
    assert [(p.level, p.code, p.data["encoding"]) for p in problems(latin)] == [
        ("warning", "encoding_detected", "cp1252")
    ]
    assert problems(utf8) == []
    assert [(i.data, i.package) for i in items(latin)] == [(i.data, i.package) for i in items(utf8)]
    assert len(items(latin)) == 3
    assert any("Ó" in json.dumps(i.data, ensure_ascii=False) for i in items(latin))


def test_csv_text_keeps_a_row_whole_when_a_cell_holds_a_carriage_return():
    import csv
    import io

    from aggregator.raw.text import csv_text

    rows = [["ocid", "date", "title"], ["ocds-1", "\r2020-01-01", '=HYPERLINK("http://x","y")'], ["ocds-2", "-5", ""]]
    text = csv_text(rows)
    assert list(csv.reader(io.StringIO(text, newline=""))) == rows
    assert text.endswith('ocds-1,"\r2020-01-01","=HYPERLINK(""http://x"",""y"")"\nocds-2,-5,\n')
