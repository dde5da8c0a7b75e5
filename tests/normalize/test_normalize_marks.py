"""What normalize reads after a change: the compiled releases marked since it last saw them (normalize_dirty,
migration 0039), not every compiled release joined with its process."""

import threading
import time

import pytest

from aggregator import db
from aggregator.normalize import refresh
from tests.conftest import PUBLISHERS
from tests.normalize.test_normalize_db import invoke, pytestmark  # noqa: F401 (pytestmark: the same skip)


def marks(conn) -> dict[int, object]:
    rows = conn.execute("SELECT compiled_release_id, compiled_at FROM normalize_dirty").fetchall()
    return {row["compiled_release_id"]: row["compiled_at"] for row in rows}


def source_compiled_at(conn, compiled_release_id: int) -> object:
    select = "SELECT source_compiled_at FROM process WHERE compiled_release_id = %s"
    return conn.execute(select, (compiled_release_id,)).fetchone()["source_compiled_at"]


def compiled_ids(conn) -> list[int]:
    return [row["id"] for row in conn.execute("SELECT id FROM compiled_release ORDER BY id").fetchall()]


@pytest.fixture
def loaded(atlas_env, conn):
    invoke("load", str(PUBLISHERS / "portugal_impic"), "--publisher", "impic", "--country", "PT", "--queue-only")
    invoke("compile", "--workers", "1")
    return conn


def test_compile_marks_and_normalize_takes_the_marks(loaded):
    conn = loaded
    assert marks(conn) == {}  # compile normalized what it compiled
    first, second, *_ = compiled_ids(conn)
    conn.execute("UPDATE compiled_release SET compiled_at = compiled_at + interval '1 second' WHERE id = %s", (first,))
    conn.execute("UPDATE compiled_release SET method = method WHERE id = %s", (second,))  # not compiled again
    now = conn.execute("SELECT compiled_at FROM compiled_release WHERE id = %s", (first,)).fetchone()["compiled_at"]
    assert marks(conn) == {first: now}
    assert refresh.pending(conn, None, False) == [first]
    assert "normalized 1 compiled releases" in invoke("normalize", "--workers", "1")
    assert marks(conn) == {}
    assert source_compiled_at(conn, first) == now
    assert "normalized 0 compiled releases" in invoke("normalize", "--workers", "1")


def test_a_full_normalize_takes_every_mark_and_gone_ones_are_dropped(loaded):
    conn = loaded
    ids = compiled_ids(conn)
    conn.execute("UPDATE compiled_release SET compiled_at = compiled_at + interval '1 second'")
    conn.execute("INSERT INTO normalize_dirty VALUES (%s, 1, now())", (ids[-1] + 1000,))  # its compiled release went
    assert set(marks(conn)) == {*ids, ids[-1] + 1000}
    invoke("normalize", "--full", "--workers", "1")
    assert marks(conn) == {}


def test_a_compile_while_a_batch_normalizes_leaves_its_mark(loaded, database_url):
    """A batch reads a compiled release, a compile writes it again before the batch commits: the batch's process is
    of the older one, and the mark stays for the next run."""
    conn = loaded
    target = compiled_ids(conn)[0]
    conn.execute("UPDATE compiled_release SET compiled_at = compiled_at + interval '1 second' WHERE id = %s", (target,))
    read = conn.execute("SELECT compiled_at FROM compiled_release WHERE id = %s", (target,)).fetchone()["compiled_at"]
    with db.connect(database_url) as compiler, db.connect(database_url, autocommit=True) as normalizer:
        compiler.execute(  # compiled again, not committed: it holds the mark's row
            "UPDATE compiled_release SET compiled_at = compiled_at + interval '1 second' WHERE id = %s", (target,)
        )
        errors = []

        def batch() -> None:
            try:
                summary = refresh.NormalizeSummary()
                refresh.normalize_batch(normalizer, [target], refresh.make_context(summary), summary)
            except Exception as error:  # pragma: no cover - shown by the assertion below
                errors.append(error)

        worker = threading.Thread(target=batch)
        worker.start()
        deadline = time.monotonic() + 30
        while not _waits_for_a_lock(conn, normalizer.info.backend_pid):
            assert time.monotonic() < deadline and worker.is_alive(), "the batch did not wait for the compile"
            time.sleep(0.05)
        compiler.commit()
        worker.join(30)
    assert not errors
    newer = conn.execute("SELECT compiled_at FROM compiled_release WHERE id = %s", (target,)).fetchone()["compiled_at"]
    assert source_compiled_at(conn, target) == read < newer
    assert marks(conn) == {target: newer}
    assert refresh.pending(conn, None, False) == [target]


def _waits_for_a_lock(conn, pid: int) -> bool:
    row = conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return row is not None and row["wait_event_type"] == "Lock"
