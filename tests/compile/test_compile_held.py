"""A load compiles the OCIDs whose bodies its transaction holds (compile.compile_held), exactly as compile would from
the stored bodies, and leaves the others queued; a compile batch sees one snapshot, so that a load committing
meanwhile is neither dequeued unseen nor written over."""

import json
from pathlib import Path

import psycopg
import psycopg.rows

from aggregator.compile import run as compile_run
from aggregator.compile.held import compile_held
from aggregator.raw import load as raw_load
from aggregator.raw.crawls import open_crawl
from tests.compile.test_compile import compiled, invoke, package, release
from tests.conftest import PUBLISHERS

#: Publications of several shapes: 1.1 pages of releases with extensions, an OCID's releases spread over files,
#: 1.0 releases, records, bare releases.
MIXED = [
    "armenia_armeps",
    "mexico_jalisco/release-package",
    "mexico_jalisco/record-package",
    "paraguay_dncp/api-v2-2017-06/release-package",
    "ecuador_sercop",
    "mexico_inai/releases-2017-with-packageInfo",
]


def queued(conn: psycopg.Connection, publisher: str) -> set[str]:
    rows = conn.execute(
        "SELECT q.ocid FROM compile_queue q JOIN publisher p ON p.id = q.publisher_id WHERE p.name = %s", (publisher,)
    )
    return {row["ocid"] for row in rows}


def outcome(conn: psycopg.Connection, publisher: str) -> dict[str, tuple]:
    """Each compiled release of the publisher with what is said of it (its input hash apart: the ids of bodies)."""
    rows = conn.execute(
        """
        SELECT c.ocid, d.hash, c.method, c.release_count, c.first_date, c.last_date, c.ocds_version, c.rules,
               c.warnings,
               (SELECT coalesce(jsonb_agg(jsonb_build_array(n.code, n.level, n.message, n.data) ORDER BY n.code,
                                          n.message), '[]')
                FROM note n WHERE n.stage = 'compile' AND n.publisher_id = p.id AND n.ocid = c.ocid) AS notes
        FROM compiled_release c JOIN data d ON d.id = c.data_id JOIN publisher p ON p.id = c.publisher_id
        WHERE p.name = %s
        """,
        (publisher,),
    )
    return {row["ocid"]: tuple(row.values())[1:] for row in rows}


def summing_notes(conn: psycopg.Connection, publisher: str) -> list[tuple]:
    rows = conn.execute(
        """
        SELECT n.code, n.level, n.message, n.count FROM note n JOIN publisher p ON p.id = n.publisher_id
        WHERE n.stage = 'compile' AND n.ocid IS NULL AND p.name = %s ORDER BY 1, 3
        """,
        (publisher,),
    )
    return [tuple(row.values()) for row in rows]


def load(*paths: Path | str, publisher: str = "held") -> str:
    """``publisher`` read_back loads with ``--queue-only``: its OCIDs are compiled from the stored bodies."""
    options = ["--publisher", publisher, "--country", "XA", "--workers", "1"]
    return invoke("load", *map(str, paths), *options, *(["--queue-only"] if publisher == "read_back" else []))


def test_a_load_compiles_as_compile_would(atlas_env, conn, monkeypatch):
    """The same files loaded by two publishers, one compiling as it loads and one not: once both have run compile,
    their compiled releases, their notes and what the compile summed up are the same; and the load left queued
    exactly the OCIDs it could not compile from what it held."""
    paths = [PUBLISHERS / name for name in MIXED]
    said = load(*paths)
    left = queued(conn, "held")
    compiled_now = len(outcome(conn, "held"))
    assert f"({compiled_now} compiled as they were loaded)" in said
    assert compiled_now > 900  # armenia's pages at least
    not_compiled = {ocid for ocid in left if ocid not in outcome(conn, "held")}
    assert not_compiled  # records and 1.0 releases are left to compile
    load(*paths, publisher="read_back")
    assert not outcome(conn, "read_back")
    invoke("compile")
    assert queued(conn, "held") == queued(conn, "read_back") == set()
    assert outcome(conn, "held") == outcome(conn, "read_back")
    # The input hashes are those compile makes: a full compile finds every compiled release as it was. Its notes
    # that sum each publisher up are the same too (runs that are not full each sum up what they compiled: the load's
    # and compile's of "held", compile's alone of "read_back").
    both = 2 * len(outcome(conn, "held"))
    assert f"compiled {both} OCIDs: 0 written, {both} unchanged" in invoke("compile", "--full")
    assert summing_notes(conn, "held") == summing_notes(conn, "read_back")


def test_an_ocid_spread_over_files_is_compiled_from_all_of_them(atlas_env, conn, tmp_path):
    """The second file's transaction does not hold the first file's body: the OCID stays queued, and compile merges
    both."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(package([release("ocds-x-1", "r1", "2024-01-01T00:00:00Z", tender={"id": "t"})])))
    late = release("ocds-x-1", "r2", "2024-02-01T00:00:00Z", tender={"id": "t", "title": "Late"})
    second.write_text(json.dumps(package([late, release("ocds-x-2", "r1", "2024-01-01T00:00:00Z")])))
    load(first, second)
    assert queued(conn, "held") == {"ocds-x-1"}
    assert "title" not in compiled(conn)["ocds-x-1"]["tender"]  # the first file's, compiled with it
    assert "compiled 1 OCIDs: 1 written" in invoke("compile")
    assert compiled(conn)["ocds-x-1"]["tender"]["title"] == "Late"
    assert set(compiled(conn)) == {"ocds-x-1", "ocds-x-2"}


def test_bodies_stored_otherwise_than_parsed_are_compiled_as_stored(atlas_env, conn, tmp_path, monkeypatch):
    """A U+0000 removed, a NaN (which a lenient parser reads, and JSON stores as null), a null: compiled from the
    stored text, as compile would; an array whose items share an id (only ocdsmerge merges it) is left queued."""
    head = '{"version": "1.1", "releases": [{"ocid": "ocds-x-%s", "id": "r1", "date": "2024-01-01T00:00:00Z", '
    lines = [
        head % "nul" + '"tender": {"id": "t", "title": "a\\u0000b"}}]}',
        head % "nan" + '"tender": {"id": "t", "value": {"amount": NaN}}}]}',
        head % "null" + '"tender": {"id": "t", "title": null}}]}',
        head % "dup" + '"awards": [{"id": "1"}, {"id": "1", "title": "x"}]}]}',
    ]
    path = tmp_path / "releases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    load(path)
    assert queued(conn, "held") == {"ocds-x-dup"}
    load(path, publisher="read_back")
    invoke("compile")
    assert outcome(conn, "held") == outcome(conn, "read_back")
    bodies = compiled(conn)
    assert bodies["ocds-x-nul"]["tender"]["title"] == "ab"
    assert "amount" not in bodies["ocds-x-nan"]["tender"]["value"]


def test_a_file_holding_more_than_the_limit_compiles_as_it_goes(atlas_env, conn, tmp_path, monkeypatch):
    """Past HELD_BYTES, what is held is compiled and let go, batch by batch; an OCID whose releases straddle the cut
    is compiled from what was held, queued again, and compiled whole by compile."""
    monkeypatch.setattr(raw_load, "BATCH_SIZE", 2)
    monkeypatch.setattr(raw_load, "HELD_BYTES", 1)
    path = tmp_path / "interleaved.json"
    dates = ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"]
    releases = [
        release(f"ocds-x-{ocid}", f"r{n}", date, tender={"id": "t", "title": f"{ocid} {n}"})
        for n, date in enumerate(dates)
        for ocid in ("a", "b")
    ]
    path.write_text(json.dumps(package(releases)))
    load(path)
    assert queued(conn, "held") == {"ocds-x-a", "ocds-x-b"}  # their second and third batches held one of three
    invoke("compile")
    load(path, publisher="read_back")
    invoke("compile")
    assert outcome(conn, "held") == outcome(conn, "read_back")
    assert compiled(conn)["ocds-x-a"]["tender"]["title"] == "a 2"


def test_a_compile_batch_keeps_what_a_load_queued_after_it_read(atlas_env, conn, tmp_path, monkeypatch, database_url):
    """A load whose transaction began before the compile and committed after the batch read the OCID's releases
    queued the OCID at a time before the compile began. The batch's snapshot does not see that load, so its dequeue
    meets the row the load changed: the batch is run again, and merges the load's release too."""
    first = tmp_path / "a.json"
    first.write_text(json.dumps(package([release("ocds-x-1", "r1", "2024-01-01T00:00:00Z", tender={"id": "t"})])))
    invoke("load", str(first), "--publisher", "held", "--country", "XA", "--queue-only")
    assert queued(conn, "held") == {"ocds-x-1"}
    late = tmp_path / "b.json"
    later = release("ocds-x-1", "r2", "2024-02-01T00:00:00Z", tender={"id": "t", "title": "Late"})
    late.write_text(json.dumps(package([later])))
    publisher_id = conn.execute("SELECT id FROM publisher WHERE name = 'held'").fetchone()["id"]
    other = psycopg.connect(database_url, autocommit=False, row_factory=psycopg.rows.dict_row)
    other.execute("SELECT 1")  # its transaction (and its now(), the queue's time) begins before the compile
    crawl_id = open_crawl(other, publisher_id, "load", {}, None)
    merge, attempts = compile_run.merge_batch, []

    def merge_while_a_load_commits(*args, **kwargs):
        attempts.append(args[1])
        if len(attempts) == 1:
            raw_load.load_file(other, publisher_id=publisher_id, crawl_id=crawl_id, path=late)
            other.commit()
        return merge(*args, **kwargs)

    monkeypatch.setattr(compile_run, "merge_batch", merge_while_a_load_commits)
    invoke("compile")
    other.close()
    assert attempts == [["ocds-x-1"], ["ocds-x-1"]]  # run again, from what the load stored too
    assert compiled(conn)["ocds-x-1"]["tender"]["title"] == "Late"
    assert queued(conn, "held") == set()


def test_a_compile_batch_does_not_write_over_a_load_that_compiled_meanwhile(
    atlas_env, conn, tmp_path, monkeypatch, database_url
):
    """A compile batch read an OCID; then a load whose file holds all of the OCID's bodies (the one stored before,
    and a newer one) compiled it and committed. The batch's write meets the load's row: the batch is run again, and
    the load's compiled release stays."""
    first = tmp_path / "a.json"
    older = release("ocds-x-1", "r1", "2024-01-01T00:00:00Z", tender={"id": "t"})
    first.write_text(json.dumps(package([older])))
    invoke("load", str(first), "--publisher", "held", "--country", "XA", "--queue-only")
    late = tmp_path / "b.json"
    later = release("ocds-x-1", "r2", "2024-02-01T00:00:00Z", tender={"id": "t", "title": "Late"})
    late.write_text(json.dumps(package([older, later])))
    publisher_id = conn.execute("SELECT id FROM publisher WHERE name = 'held'").fetchone()["id"]
    merge, attempts = compile_run.merge_batch, []

    def merge_while_a_load_compiles(*args, **kwargs):
        if kwargs.get("fast_only"):  # the load's
            return merge(*args, **kwargs)
        attempts.append(args[1])
        if len(attempts) == 1:
            with psycopg.connect(database_url, autocommit=True, row_factory=psycopg.rows.dict_row) as other:
                crawl_id = open_crawl(other, publisher_id, "load", {}, None)
                outcome = raw_load.load_file(
                    other,
                    publisher_id=publisher_id,
                    crawl_id=crawl_id,
                    path=late,
                    compile_held=compile_held,
                )
                assert outcome.compiled == 1
        return merge(*args, **kwargs)

    monkeypatch.setattr(compile_run, "merge_batch", merge_while_a_load_compiles)
    invoke("compile")
    assert attempts == [["ocds-x-1"], []]  # run again, it found the load's compiled release made from its inputs
    assert compiled(conn)["ocds-x-1"]["tender"]["title"] == "Late"
    assert queued(conn, "held") == set()


def test_versioned_releases_asked_for_after_a_load_that_compiled(atlas_env, conn):
    """compile --versioned takes, beside the queue, the compiled releases that have no versioned release yet: those a
    load compiled as it went too."""
    load(PUBLISHERS / "armenia_armeps")
    assert queued(conn, "held") == set()
    unversioned = "SELECT count(*) AS n FROM compiled_release WHERE versioned_data_id IS NULL"
    assert conn.execute(unversioned).fetchone()["n"] == 900
    assert "compiled 900 OCIDs: 900 written" in invoke("compile", "--versioned")
    assert conn.execute(unversioned).fetchone()["n"] == 0
    rows = conn.execute("SELECT d.body FROM compiled_release c JOIN data d ON d.id = c.versioned_data_id").fetchall()
    assert len(rows) == 900 and all("releaseID" in json.dumps(row["body"]) for row in rows)
    assert "compiled 0 OCIDs" in invoke("compile", "--versioned")


def test_a_load_compiles_ties_repeats_and_altered_packages_as_compile_would(atlas_env, conn, tmp_path):
    """The same merge order where only the rows' ids tell releases apart (two members of one archive, each the first
    item of its member, with one date and one id), the same body given twice, and the extensions of a package whose
    metadata was stored without a U+0000 (as stored, in the notes too)."""
    import zipfile

    first = release("ocds-x-tie", "r1", "2024-01-01T00:00:00Z", tender={"id": "t", "title": "First"})
    second = release("ocds-x-tie", "r1", "2024-01-01T00:00:00Z", tender={"id": "t", "title": "Second"})
    twice = release("ocds-x-twice", "r1", "2024-01-01T00:00:00Z", tender={"id": "t"})
    archive = tmp_path / "members.zip"
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("a.json", json.dumps(package([first, twice])))
        members.writestr("b.json", json.dumps(package([second, twice])))
    nul = tmp_path / "nul.json"
    extension = "https://extensions.example.org/a\u0000b/extension.json"
    nul.write_text(json.dumps(package([release("ocds-x-ext", "r1", "2024-01-01T00:00:00Z")], [extension])))
    load(archive, nul)
    assert queued(conn, "held") == set()
    load(archive, nul, publisher="read_back")
    invoke("compile")
    assert outcome(conn, "held") == outcome(conn, "read_back")
    assert summing_notes(conn, "held") == summing_notes(conn, "read_back")
    assert compiled(conn)["ocds-x-tie"]["tender"]["title"] == "Second"
