"""Raw release and record bodies: compressed by the application into ``raw_data`` (migration 0027)."""

import shutil
from pathlib import Path

import orjson
import psycopg
from psycopg.rows import tuple_row

from aggregator import db
from aggregator.migrate import MIGRATIONS_DIR, migrate
from aggregator.raw import bodies


def test_a_body_is_packed_as_one_zstd_frame_and_unpacked_to_the_text_that_was_hashed():
    body = {"ocid": "ocds-x-1", "parties": [{"id": str(n), "name": "the same name again " * 5} for n in range(200)]}
    text = bodies.canonical(body)[1]
    packed = bodies.pack(text)
    assert packed.startswith(bodies.ZSTD_MAGIC)
    assert len(packed) < len(text) / 10
    assert bodies.unpack(packed) == text
    assert bodies.load(packed) == body


def test_a_body_stored_as_json_text_is_read_as_it_is():
    """Bodies that migration 0027 moved are their jsonb text, uncompressed."""
    assert bodies.load(b'{"id": "1", "tag": ["tender"]}') == {"id": "1", "tag": ["tender"]}
    assert bodies.load(memoryview(b'["a"]')) == ["a"]


def test_many_bodies_are_loaded_at_once_as_one_by_one():
    values = [{"id": str(n), "title": "é 漢 " * n} for n in range(50)]
    stored: list = [bodies.pack(bodies.canonical(value)[1]) for value in values]
    stored[3] = memoryview(stored[3])
    stored[7] = b'{"id": "legacy"}'  # a body that migration 0027 moved: its text
    stored[9] = None
    expected = [None if body is None else bodies.load(body) for body in stored]
    assert expected[7] == {"id": "legacy"}
    assert bodies.load_many(stored) == expected
    assert bodies.load_many([]) == []


def test_many_bodies_are_loaded_one_by_one_without_the_zstd_library(monkeypatch):
    monkeypatch.setattr(bodies, "_native", lambda: None)
    stored = [bodies.pack(b'{"a":1}'), b'{"b":2}', None]
    assert bodies.load_many(stored) == [{"a": 1}, {"b": 2}, None]


def test_a_frame_that_does_not_say_its_size_is_unpacked_on_its_own():
    compressor = bodies.zstd.ZstdCompressor()
    frame = compressor.compress(b'{"a":', compressor.CONTINUE) + compressor.compress(b"1}", compressor.FLUSH_FRAME)
    assert bodies.zstd.get_frame_info(frame).decompressed_size is None
    assert bodies.load_many([bodies.pack(b"[1]"), frame, bodies.pack(b"[2]")]) == [[1], {"a": 1}, [2]]


def test_raw_bodies_are_stored_compressed_and_come_back_whole(conn):
    values = [
        {"title": 'a\\b \\N "quoted"\ttab\nline\r\\. é 漢 \u2028', "amount": 1.25, "flags": [None, True]},
        {"id": "x" * 20_000},  # longer than a page: kept outside the row, not compressed again by PostgreSQL
        {},
    ]
    texts = dict(bodies.canonical(value)[:2] for value in values)
    with conn.transaction(), conn.cursor() as cursor:
        ids, new = bodies.store_new(cursor, "raw_data", texts)
    assert new == set(texts)
    with conn.transaction(), conn.cursor() as cursor:
        assert bodies.store_new(cursor, "raw_data", texts) == (ids, set())  # stored once
    for digest, text in texts.items():
        row = conn.execute(
            "SELECT body, pg_column_compression(body) AS compression FROM raw_data WHERE id = %s", (ids[digest],)
        ).fetchone()
        assert bytes(row["body"]).startswith(bodies.ZSTD_MAGIC)
        assert bodies.unpack(row["body"]) == text
        assert row["compression"] is None
    assert conn.execute("SELECT count(*) AS n FROM raw_data").fetchone()["n"] == 3
    assert conn.execute("SELECT count(*) AS n FROM data").fetchone()["n"] == 0


def test_a_raw_body_stored_meanwhile_by_another_transaction_is_not_stored_twice(conn, database_url):
    first, second = (bodies.canonical({"id": n}) for n in (1, 2))
    packed = {first[0]: bodies.pack(first[1]), second[0]: bodies.pack(second[1])}
    with conn.transaction():
        with db.connect(database_url, autocommit=True) as other, other.transaction(), other.cursor() as theirs:
            theirs_ids = bodies.store(theirs, "raw_data", {first[0]: first[1]})
        ids, new = bodies._insert(conn.cursor(row_factory=tuple_row), "raw_data", [first[0], second[0]], packed)
    assert ids[first[0]] == theirs_ids[first[0]]
    assert new == {second[0]}  # the first was theirs
    rows = conn.execute("SELECT id, body FROM raw_data ORDER BY id").fetchall()
    assert [bodies.load(row["body"]) for row in rows] == [{"id": 1}, {"id": 2}]


def test_the_migration_moves_raw_bodies_and_keeps_compiled_ones(empty_database_url, tmp_path: Path):
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0027":
            shutil.copy(path, before)
    with db.connect(empty_database_url, autocommit=True) as conn:
        migrate(conn, before)
        ids = _old_rows(conn)
        migrate(conn)
        raw = {row["id"]: bodies.load(row["body"]) for row in conn.execute("SELECT id, body FROM raw_data")}
        kept = {row["id"]: row["body"] for row in conn.execute("SELECT id, body FROM data")}
        assert raw == {ids["release"]: {"id": "r", "n": 1}, ids["shared"]: {"id": "s"}}
        assert kept == {ids["compiled"]: {"id": "c"}, ids["shared"]: {"id": "s"}}
        # New bodies take ids that neither table has.
        with conn.transaction(), conn.cursor() as cursor:
            new = bodies.store(cursor, "raw_data", dict([bodies.canonical({"id": "new"})[:2]]))
        assert min(new.values()) > max(ids.values())


def _old_rows(conn) -> dict[str, int]:
    """Bodies as they were stored before migration 0027: a release's, a compiled release's, one that is both."""
    ids = {}
    for name, value in (("release", {"id": "r", "n": 1}), ("compiled", {"id": "c"}), ("shared", {"id": "s"})):
        digest = bodies.canonical(value)[0]
        row = conn.execute(
            "INSERT INTO data (hash, body) VALUES (%s, %s) RETURNING id", (digest, orjson.dumps(value).decode())
        )
        ids[name] = row.fetchone()["id"]
    publisher = conn.execute(
        "INSERT INTO publisher (name, title, country) VALUES ('p', 'P', 'XA') RETURNING id"
    ).fetchone()["id"]
    crawl = conn.execute(
        "INSERT INTO crawl (publisher_id, kind) VALUES (%s, 'load') RETURNING id", (publisher,)
    ).fetchone()["id"]
    crawl_file = conn.execute("INSERT INTO crawl_file (crawl_id) VALUES (%s) RETURNING id", (crawl,)).fetchone()["id"]
    for name in ("release", "shared"):
        conn.execute(
            "INSERT INTO release (publisher_id, crawl_id, crawl_file_id, ordinal, ocid, ocds_version, data_id)"
            " VALUES (%s, %s, %s, 0, 'ocds-x-1', '1.1', %s)",
            (publisher, crawl, crawl_file, ids[name]),
        )
    for name in ("compiled", "shared"):
        conn.execute(
            "INSERT INTO compiled_release (publisher_id, ocid, data_id, method, release_count, ocds_version, rules,"
            " input_hash) VALUES (%s, %s, %s, 'merged', 1, '1.1', '1__1__5', '\\x00')",
            (publisher, f"ocds-x-{name}", ids[name]),
        )
    return ids


def test_checks_written_in_sql_read_the_decoded_bodies(conn):
    from tests.raw_bodies import decode_raw_bodies

    values = [{"id": "1", "tag": ["tender"]}, {"id": "2", "tag": ["award"]}]
    texts = dict(bodies.canonical(value)[:2] for value in values)
    with conn.transaction(), conn.cursor() as cursor:
        ids = bodies.store(cursor, "raw_data", texts)
    decode_raw_bodies(conn)
    decode_raw_bodies(conn)  # again: filled anew, not twice
    rows = conn.execute("SELECT id, body -> 'tag' ->> 0 AS tag FROM raw_json ORDER BY id").fetchall()
    assert [(row["id"], row["tag"]) for row in rows] == [
        (ids[digest], v["tag"][0]) for digest, v in zip(texts, values, strict=True)
    ]


def test_bodies_are_copied_without_a_look_up_while_they_come_new(conn, monkeypatch):
    """A process's first bodies are looked up; found none stored, the next are copied straight in; a batch that holds
    a stored body rolls its copy back and looks its bodies up (only those missing are stored), as the batches after
    it do until one finds none stored."""
    monkeypatch.setattr(bodies, "_all_new", {})
    lookups = []
    execute = psycopg.Cursor.execute

    def counted(self, statement, *args, **kwargs):
        if "WHERE hash = ANY" in (statement.as_string(self) if hasattr(statement, "as_string") else str(statement)):
            lookups.append(statement)
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    one, two, three, four = (dict([bodies.canonical({"n": n})[:2]]) for n in range(4))
    with conn.transaction(), conn.cursor() as cursor:
        _, new = bodies.store_new(cursor, "raw_data", one)
        assert new == set(one) and len(lookups) == 1  # the process's first: looked up
        first, new = bodies.store_new(cursor, "raw_data", two)
        assert new == set(two) and len(lookups) == 1  # copied straight in
        again, new = bodies.store_new(cursor, "raw_data", two | three)  # two is stored: the copy rolls back
        assert len(lookups) == 2 and new == set(three) and again[next(iter(two))] == first[next(iter(two))]
        _, new = bodies.store_new(cursor, "raw_data", four)  # looked up (the last batch had one stored): none found
        assert len(lookups) == 3 and new == set(four)
        _, new = bodies.store_new(cursor, "raw_data", dict([bodies.canonical({"n": 5})[:2]]))
        assert len(lookups) == 3 and len(new) == 1  # none found last time: copied straight in again
    rows = conn.execute("SELECT body FROM raw_data ORDER BY id").fetchall()
    assert [bodies.load(row["body"]) for row in rows] == [{"n": n} for n in (0, 1, 2, 3, 5)]  # each once
