"""Loading files from disk: every real publisher directory, and bad input."""

import gzip
import json
from pathlib import Path

import pytest
from psycopg.rows import tuple_row
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from tests.conftest import PUBLISHERS

runner = CliRunner()
REAL_DIRECTORIES = sorted(p.name for p in PUBLISHERS.iterdir() if p.is_dir()) if PUBLISHERS.is_dir() else []


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]


@pytest.mark.skipif(not REAL_DIRECTORIES, reason="../shared/data/publishers is not beside the checkout")
@pytest.mark.parametrize("directory", REAL_DIRECTORIES)
def test_real_publisher_loads_compiles_and_exports(directory, atlas_env, conn, tmp_path):
    result = invoke("load", str(PUBLISHERS / directory), "--publisher", directory, "--country", "XX")
    assert result.exit_code == 0, result.output
    assert invoke("compile").exit_code == 0
    assert invoke("export", str(tmp_path / "out")).exit_code == 0

    ocids = {row["ocid"] for row in conn.execute("SELECT ocid FROM release UNION SELECT ocid FROM record").fetchall()}
    uncompilable = {
        row["ocid"] for row in conn.execute("SELECT ocid FROM note WHERE code = 'nothing_to_compile'").fetchall()
    }
    exported = tmp_path / "out" / "compiled" / directory / "full.jsonl.gz"
    with gzip.open(exported, "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert sorted(line["ocid"] for line in lines) == sorted(ocids - uncompilable)
    # Only records with nothing but linked releases and an empty compiledRelease cannot be compiled.
    assert len(uncompilable) <= 8
    assert count(conn, "release") + count(conn, "record") > 0
    assert_bodies_found(conn)
    assert_equal_to_reference_merger(conn)


def assert_bodies_found(conn) -> None:
    """Every release and record finds its crawl file and its body (in ``raw_data``: migration 0027) and its
    package's, and every compiled release its bodies: no foreign key checks them (migrations 0012 and 0038)."""
    for table in ("release", "record"):
        missing = conn.execute(
            f"SELECT count(*) AS n FROM {table} t LEFT JOIN raw_data d ON d.id = t.data_id "
            "LEFT JOIN package_data p ON p.id = t.package_data_id "
            "LEFT JOIN crawl_file f ON f.id = t.crawl_file_id "
            "WHERE d.id IS NULL OR (t.package_data_id IS NOT NULL AND p.id IS NULL) OR f.id IS NULL"
        ).fetchone()["n"]
        assert missing == 0, table
    missing = conn.execute(
        "SELECT count(*) AS n FROM compiled_release c LEFT JOIN data d ON d.id = c.data_id "
        "LEFT JOIN data v ON v.id = c.versioned_data_id "
        "WHERE d.id IS NULL OR (c.versioned_data_id IS NOT NULL AND v.id IS NULL)"
    ).fetchone()["n"]
    assert missing == 0, "compiled_release"


def assert_equal_to_reference_merger(conn) -> None:
    """Every merged compiled release equals ocdsmerge's output on the same releases (those the merge used)."""
    import warnings
    from copy import deepcopy

    import ocdsmerge
    from ocdskit.upgrade import upgrade_release_10_11

    from aggregator.compile.merge import merge_order, usable
    from aggregator.compile.rules import tag_for
    from aggregator.compile.run import read_inputs
    from aggregator.standard import release_schema

    rows = conn.execute(
        "SELECT c.publisher_id, c.ocid, c.rules, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id "
        "WHERE c.method <> 'publisher_compiled'"
    ).fetchall()
    # Releases tagged compiled (Canada's buyandsell) are their OCIDs' compiled releases, as published.
    assert rows or not count(conn, "release WHERE NOT compiled")
    mergers = {}
    for row in rows:
        releases, _, versions, _ = read_inputs(conn, row["publisher_id"], [row["ocid"]])
        kept, _ = usable([r for r in merge_order(releases[row["ocid"]]) if not r.compiled])
        version = versions[row["ocid"]]
        tag = tag_for(version)
        assert row["rules"].startswith(tag)
        merger = mergers.setdefault(tag, ocdsmerge.Merger(schema=release_schema(tag)))
        bodies = [deepcopy(r.body) for r in kept]
        if tag >= "1__1":
            for release, body in zip(kept, bodies, strict=True):
                if release.ocds_version == "1.0":
                    upgrade_release_10_11(body, reorder=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ocdsmerge.exceptions.OCDSMergeWarning)
            expected = merger.create_compiled_release(bodies)
        if tag < "1__1":
            upgrade_release_10_11(expected, reorder=False)
        assert row["body"] == expected, row["ocid"]


def test_reloading_the_same_files_stores_nothing_again(atlas_env, conn):
    directory = PUBLISHERS / "mexico_cdmx" / "release-package"
    invoke("load", str(directory), "--publisher", "cdmx", "--country", "MX")
    bodies = count(conn, "raw_data")
    releases = count(conn, "release")
    invoke("load", str(directory), "--publisher", "cdmx", "--country", "MX")
    assert count(conn, "raw_data") == bodies
    assert count(conn, "release") == releases  # tests/raw/test_repeats.py has more
    assert count(conn, "crawl") == 2


def test_compile_twice_rewrites_nothing(atlas_env, conn):
    invoke("load", str(PUBLISHERS / "mexico_jalisco"), "--publisher", "jalisco", "--country", "MX")
    invoke("compile")
    first = conn.execute("SELECT ocid, compiled_at FROM compiled_release ORDER BY ocid").fetchall()
    result = invoke("compile", "--full")
    assert "0 written" in result.output
    assert conn.execute("SELECT ocid, compiled_at FROM compiled_release ORDER BY ocid").fetchall() == first


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"this is not json", "invalid_json"),
        (b'{"hello": "world"}', "not_ocds"),
        (b"", "empty_file"),
        (b'{"releases": [{"id": "1", "date": "2020-01-01T00:00:00Z"}]}', "release_without_ocid"),
        # PostgreSQL's text cannot hold U+0000: a body loses it (with a note), a key column cannot.
        (b'{"releases": [{"ocid": "ocds-a\\u0000b", "id": "1", "date": "2020-01-01T00:00:00Z"}]}', "file_not_stored"),
    ],
)
def test_bad_input_gives_a_note_and_keeps_what_was_stored(content, code, atlas_env, conn, tmp_path):
    invoke("load", str(PUBLISHERS / "mexico_cdmx" / "release-package"), "--publisher", "cdmx", "--country", "MX")
    before = (count(conn, "release"), count(conn, "raw_data"))
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = invoke("load", str(bad), "--publisher", "cdmx", "--country", "MX")
    assert result.exit_code == 1, result.output  # the file could not be stored: said, and a non-zero exit
    assert f"{bad}: not stored: " in result.output
    assert (count(conn, "release"), count(conn, "raw_data")) == before
    note = conn.execute("SELECT * FROM note WHERE code = %s", (code,)).fetchone()
    assert note is not None and note["level"] == "error" and note["crawl_file_id"] is not None


def test_release_rows_keep_the_values_read(atlas_env, conn, tmp_path):
    """A release row's columns (sent in COPY's binary format) hold what the file gave, missing values as NULL."""
    package = {
        "version": "1.1",
        "releases": [
            {"ocid": "ocds-x-1", "id": "r\u00e9 1", "date": "2020-02-29T23:59:59.123456-05:00", "tag": ["tender"]},
            {"ocid": "ocds-x-1", "id": 7, "date": "2021-01-01", "tag": ["award"]},
            {"ocid": "ocds-x-2", "id": "c", "date": "not a date", "tag": ["compiled"]},
            {"ocid": "ocds-x-3", "tag": ["planning"]},
        ],
    }
    (tmp_path / "p.json").write_text(json.dumps(package), encoding="utf-8")
    invoke("load", str(tmp_path), "--publisher", "rows", "--country", "MX")
    rows = conn.execute(
        "SELECT ordinal, ocid, release_id, date_text, ocds_version, record_id, member, compiled,"
        " package_data_id IS NOT NULL AS package FROM release ORDER BY ordinal",
        prepare=False,
    ).fetchall()
    conn.execute("SET TIME ZONE 'UTC'")
    dates = [r["date"] for r in conn.execute("SELECT date::text FROM release ORDER BY ordinal").fetchall()]
    assert dates == ["2020-03-01 04:59:59.123456+00", "2021-01-01 00:00:00+00", None, None]
    assert [(r["ordinal"], r["ocid"], r["release_id"], r["date_text"], r["compiled"]) for r in rows] == [
        (0, "ocds-x-1", "r\u00e9 1", "2020-02-29T23:59:59.123456-05:00", False),
        (1, "ocds-x-1", "7", "2021-01-01", False),
        (2, "ocds-x-2", "c", "not a date", True),
        (3, "ocds-x-3", None, None, False),
    ]
    assert {(r["ocds_version"], r["record_id"], r["member"], r["package"]) for r in rows} == {("1.1", None, None, True)}


def test_legacy_encoding_is_detected_with_a_note(atlas_env, conn):
    directory = PUBLISHERS / "mexico_cdmx" / "encoding"
    invoke("load", str(directory), "--publisher", "cdmx", "--country", "MX")
    assert conn.execute("SELECT count(*) AS n FROM note WHERE code = 'encoding_detected'").fetchone()["n"] == 1
    # The ISO-8859-1 and the UTF-8 copy give the same bodies.
    assert count(conn, "raw_data") == count(conn, "release") // 2


def test_missing_path_is_one_clear_error(atlas_env, tmp_path):
    result = invoke("load", str(tmp_path / "nope.json"), "--publisher", "x", "--country", "MX")
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_country_must_match_the_publisher(atlas_env):
    path = str(PUBLISHERS / "mexico_cdmx" / "encoding")
    invoke("load", path, "--publisher", "cdmx", "--country", "MX")
    result = invoke("load", path, "--publisher", "cdmx", "--country", "PY")
    assert result.exit_code == 1
    assert "is in country MX" in result.output


def test_unreachable_database_is_one_clear_error(atlas_env, monkeypatch):
    from aggregator import db

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:9/none")
    db.resolve_url.cache_clear()
    result = invoke("status")
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL" in result.output
    assert "secret" not in result.output


def test_load_gz_and_zip(atlas_env, conn, tmp_path: Path):
    import zipfile

    source = (PUBLISHERS / "mexico_cdmx" / "release-package" / "release-package-1.json").read_bytes()
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(source))
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("inner/c.json", source)
    result = invoke("load", str(tmp_path / "a.json.gz"), str(tmp_path / "b.zip"), "--publisher", "c", "--country", "MX")
    assert result.exit_code == 0, result.output
    members = conn.execute("SELECT DISTINCT member FROM release ORDER BY member").fetchall()
    assert [m["member"] for m in members] == ["inner/c.json", None]


def test_status_lists_crawls_publishers_and_notes(atlas_env):
    invoke("load", str(PUBLISHERS / "mexico_cdmx" / "encoding"), "--publisher", "cdmx", "--country", "MX")
    result = invoke("status")
    assert result.exit_code == 0, result.output
    for text in ("recent crawls", "cdmx", "encoding_detected", "load"):
        assert text in result.output


@pytest.mark.parametrize(
    "command",
    ["migrate", "crawl", "load", "compile", "export", "status", "demo", "sandbox", "notes", "db", "publishers"],
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_bodies_are_stored_uncompressed_and_whole(conn):
    from aggregator.raw import bodies

    body = {"ocid": "ocds-x-1", "parties": [{"id": str(n), "name": "the same name again " * 5} for n in range(2000)]}
    digest, text, _ = bodies.canonical(body)
    with conn.transaction(), conn.cursor() as cursor:
        ids = bodies.store(cursor, "data", {digest: text})
    row = conn.execute(
        "SELECT body, pg_column_compression(body) AS compression FROM data WHERE id = %s", (ids[digest],)
    ).fetchone()
    assert row["body"] == body
    assert row["compression"] is None  # this body compresses well, yet was stored as it is
    storage = conn.execute(
        "SELECT attstorage FROM pg_attribute WHERE attrelid = 'data'::regclass AND attname = 'body'"
    ).fetchone()
    assert storage["attstorage"] == "e"


def test_bodies_with_characters_that_copy_escapes_are_stored_as_they_are(conn):
    """Bodies go to COPY as the bytes that were hashed, with only the backslash escaped: what JSON escapes inside
    strings (tabs, newlines, quotes, backslashes) must come back unchanged, as must any other character."""
    from aggregator.raw import bodies

    body = {"title": 'a\\b \\N "quoted"\ttab\nline\r\\. é 漢 \u2028', "amount": 1.25, "flags": [None, True]}
    digest, text, _ = bodies.canonical(body)
    with conn.transaction(), conn.cursor() as cursor:
        ids = bodies.store(cursor, "data", {digest: text})
    row = conn.execute("SELECT body, body::text AS text FROM data WHERE id = %s", (ids[digest],)).fetchone()
    assert row["body"] == body


def test_storing_bodies_gives_the_ids_of_new_and_stored_ones(conn):
    from aggregator.raw import bodies

    first, second = (bodies.canonical({"id": n}) for n in (1, 2))
    with conn.transaction(), conn.cursor() as cursor:
        stored = bodies.store(cursor, "data", {first[0]: first[1]})
    with conn.transaction(), conn.cursor() as cursor:
        both = bodies.store(cursor, "data", {first[0]: first[1], second[0]: second[1]})
    assert both[first[0]] == stored[first[0]]
    assert conn.execute("SELECT body FROM data WHERE id = %s", (both[second[0]],)).fetchone()["body"] == {"id": 2}
    assert count(conn, "data") == 2


def test_a_body_stored_meanwhile_by_another_transaction_is_not_stored_twice(conn, database_url):
    """Two load workers may read one release in two files: the second to store it finds it stored by the first
    between its lookup and its copy."""
    from aggregator.raw import bodies

    first, second = (bodies.canonical({"id": n}) for n in (1, 2))
    texts = {first[0]: first[1], second[0]: second[1]}
    with conn.transaction(), conn.cursor() as cursor:
        # Neither body was stored when this transaction looked them up; then another stores the first.
        with db.connect(database_url, autocommit=True) as other, other.transaction(), other.cursor() as theirs:
            theirs_ids = bodies.store(theirs, "data", {first[0]: first[1]})
        ids, new = bodies._insert(conn.cursor(row_factory=tuple_row), "data", [first[0], second[0]], texts)
        inside = cursor.execute("SELECT count(*) AS n FROM data").fetchone()["n"]
    assert ids[first[0]] == theirs_ids[first[0]]
    assert new == {second[0]}
    assert inside == 2  # the failed copy left nothing behind, and the transaction went on
    assert conn.execute("SELECT body FROM data WHERE id = %s", (ids[second[0]],)).fetchone()["body"] == {"id": 2}
    assert count(conn, "data") == 2
