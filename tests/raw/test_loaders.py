"""Loader processes (:mod:`aggregator.raw.loaders`): a crawl's registered files are stored by them in any order and
come out in the crawl's order; a file is stored once, even when it is given again (a loader died after storing it, a
crawl resumed) or its transaction met a deadlock; a loader killed in the middle of a file's transaction loses nothing:
the crawl stores what it left."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import orjson
import psycopg
import pytest

from aggregator.errors import AtlasError
from aggregator.operate.intake import Intake
from aggregator.raw import load as load_module
from aggregator.raw.crawls import PublisherInfo, open_crawl, upsert_publisher
from aggregator.raw.files import register_files
from aggregator.raw.load import FileOutcome, LoadOptions, load_file, store_file
from aggregator.raw.loaders import FileJob, Loaders, unloaded_files

PUBLISHER = PublisherInfo("loaders", "Loaders", "XA", ocds_version="1.1")
FILES = 6
PER_FILE = 40


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for n in range(FILES):
        releases = [
            {"ocid": f"ocds-test01-{n}-{i}", "id": "1", "date": f"2020-01-{1 + n:02d}T00:00:00Z"}
            for i in range(PER_FILE)
        ]
        path = tmp_path / f"{n:02d}.json"
        path.write_bytes(orjson.dumps({"version": "1.1", "releases": releases}))
        paths.append(path)
    return paths


def expected_rows(files: list[Path]) -> list[tuple[str, int, str]]:
    """(file name, ordinal, OCID) of every release, in the crawl's order."""
    rows = []
    for path in files:
        releases = orjson.loads(path.read_bytes())["releases"]
        rows += [(path.name, ordinal, release["ocid"]) for ordinal, release in enumerate(releases)]
    return rows


def stored_rows(conn: psycopg.Connection, crawl_id: int) -> list[tuple[str, int, str]]:
    rows = conn.execute(
        "SELECT f.path, r.ordinal, r.ocid FROM release r JOIN crawl_file f ON f.id = r.crawl_file_id "
        "WHERE r.crawl_id = %s ORDER BY f.id, r.ordinal",
        (crawl_id,),
    )
    return [(Path(row["path"]).name, row["ordinal"], row["ocid"]) for row in rows]


def test_a_file_stored_again_is_not_stored_twice(conn, files):
    publisher_id = upsert_publisher(conn, PUBLISHER)
    crawl_id = open_crawl(conn, publisher_id, "crawl", {}, None)
    first = load_file(conn, publisher_id=publisher_id, crawl_id=crawl_id, path=files[0])
    again = store_file(conn, publisher_id, crawl_id, first.crawl_file_id, files[0], LoadOptions())
    assert (again.releases, again.records) == (first.releases, first.records) == (PER_FILE, 0)
    assert stored_rows(conn, crawl_id) == expected_rows(files[:1])
    notes = conn.execute("SELECT count(*) AS n FROM note WHERE crawl_file_id = %s", (first.crawl_file_id,))
    assert notes.fetchone()["n"] == 0


def test_a_file_whose_transaction_met_a_deadlock_is_stored_on_a_second_attempt(conn, files, monkeypatch):
    deadlocks = [psycopg.errors.DeadlockDetected("deadlock detected")]
    store_items = load_module.store_items

    def once_in_a_deadlock(*args, **kwargs):
        if deadlocks:
            raise deadlocks.pop()
        return store_items(*args, **kwargs)

    monkeypatch.setattr(load_module, "store_items", once_in_a_deadlock)
    publisher_id = upsert_publisher(conn, PUBLISHER)
    crawl_id = open_crawl(conn, publisher_id, "crawl", {}, None)
    outcome = load_file(conn, publisher_id=publisher_id, crawl_id=crawl_id, path=files[0])
    assert not deadlocks and outcome.releases == PER_FILE and not outcome.notes
    assert stored_rows(conn, crawl_id) == expected_rows(files[:1])


def test_loaders_store_every_file_once_in_the_crawls_order(conn, files, database_url):
    publisher_id = upsert_publisher(conn, PUBLISHER)
    crawl_id = open_crawl(conn, publisher_id, "crawl", {}, None)
    file_ids = register_files(conn, crawl_id, [(path, None, 200) for path in files])
    outcomes: list[FileOutcome] = []
    loaders = Loaders(2, outcomes.append, database_url)
    try:
        jobs = [FileJob(publisher_id, crawl_id, i, str(p), LoadOptions()) for i, p in zip(file_ids, files, strict=True)]
        loaders.submit(list(reversed(jobs)))  # the last file first: the order comes from the rows, not the loaders
        assert loaders.wait() == []
    finally:
        loaders.close()
    assert sorted(outcome.crawl_file_id for outcome in outcomes) == file_ids
    assert stored_rows(conn, crawl_id) == expected_rows(files)
    assert unloaded_files(conn, crawl_id) == []


def loader_waiting_for_a_lock(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = %s::regclass", (table,)
    ).fetchone()
    return row["n"] > 0


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_loader_killed_in_the_middle_of_a_file_loses_nothing(atlas_env, conn, database_url, files, monkeypatch):
    """The loader holds a file's transaction open (its COPY waits for a lock this test holds) when it is killed:
    nothing of that file is kept, and the crawl stores it, and the files the loader had not reached, when its
    loading ends."""
    monkeypatch.setenv("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "0")
    intake = Intake(PUBLISHER, {}, None)
    outcomes: list[FileOutcome] = []
    intake.start_loaders(1, LoadOptions(), outcomes.append)
    assert intake.loaders is not None
    loader = intake.loaders.processes[0]
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE release IN SHARE ROW EXCLUSIVE MODE")  # COPY into release waits for it
        intake.hand_over([(path, f"https://example.com/{path.name}", 200) for path in files])
        wait_for(lambda: loader_waiting_for_a_lock(conn, "release"))
        os.kill(loader.pid, signal.SIGKILL)  # type: ignore[arg-type]
        loader.join(10)
    assert len(unloaded_files(conn, intake.crawl_id)) == FILES  # the killed loader's transaction left nothing
    done = threading.Thread(target=intake.finish_loading)
    done.start()
    done.join(120)
    assert not done.is_alive()
    assert len(outcomes) == FILES and sum(outcome.releases for outcome in outcomes) == FILES * PER_FILE
    assert stored_rows(conn, intake.crawl_id) == expected_rows(files)
    assert unloaded_files(conn, intake.crawl_id) == []
    intake.close("finished", {})
    row = conn.execute("SELECT status FROM crawl WHERE id = %s", (intake.crawl_id,)).fetchone()
    assert row["status"] == "finished"


def test_a_crawl_closed_with_stored_files_not_loaded_is_incomplete_and_loads_them_when_it_resumes(
    atlas_env, conn, files, monkeypatch
):
    monkeypatch.setenv("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "0")
    intake = Intake(PUBLISHER, {}, None)
    intake.start_loaders(1, LoadOptions(), lambda outcome: None)
    assert intake.loaders is not None
    loader = intake.loaders.processes[0]
    os.kill(loader.pid, signal.SIGKILL)  # type: ignore[arg-type]
    loader.join(10)
    intake.hand_over([(path, f"https://example.com/{path.name}", 200) for path in files])
    intake.close("finished", {})  # as a crawl whose close failed before it could load them itself
    row = conn.execute("SELECT * FROM crawl WHERE id = %s", (intake.crawl_id,)).fetchone()
    assert row["status"] == "incomplete" and row["high_water_mark"] is None
    assert row["acceptance"]["unloaded"] == FILES
    assert f"{FILES} of the files it stored not loaded: --resume loads them" in row["acceptance"]["reasons"]

    resumed = Intake(PUBLISHER, {}, None, intake.crawl_id)
    outcomes: list[FileOutcome] = []
    resumed.start_loaders(1, LoadOptions(), outcomes.append)
    resumed.finish_loading()
    resumed.close("finished", {})
    row = conn.execute("SELECT * FROM crawl WHERE id = %s", (intake.crawl_id,)).fetchone()
    assert (row["status"], row["acceptance"]["accepted"]) == ("finished", True)
    assert "unloaded" not in row["acceptance"]
    assert len(outcomes) == FILES and sum(outcome.releases for outcome in outcomes) == FILES * PER_FILE
    assert stored_rows(conn, intake.crawl_id) == expected_rows(files)


def test_a_file_whose_publisher_was_removed_is_not_stored(conn, files):
    """A file registered before its publisher's removal and stored after it finds its row gone: the loader says so
    and stores nothing (no foreign key would refuse its releases: migration 0038)."""
    publisher_id = upsert_publisher(conn, PUBLISHER)
    crawl_id = open_crawl(conn, publisher_id, "crawl", {}, None)
    [file_id] = register_files(conn, crawl_id, [(files[0], None, 200)])
    conn.execute("DELETE FROM crawl WHERE id = %s", (crawl_id,))  # as a removal does, with the crawl's files
    with pytest.raises(AtlasError, match="its publisher was removed"):
        store_file(conn, publisher_id, crawl_id, file_id, files[0], LoadOptions())
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 0
