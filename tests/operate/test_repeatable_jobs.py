"""A compile job's transaction is repeatable read (see aggregator.compile.run.compile_batch): met by another
transaction's write, it is run again; a job a run before this one finished is not run again."""

import psycopg
import pytest

from aggregator import db
from aggregator.operate import tasks

JOB = 987_654_321


@pytest.fixture
def task_conn(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    db.resolve_url.cache_clear()
    monkeypatch.setattr(tasks, "_connection", None)
    yield
    if tasks._connection is not None:
        tasks._connection.close()
    db.resolve_url.cache_clear()


def test_a_repeatable_job_is_run_again_when_it_met_another_write(task_conn, conn):
    seen = []

    def work(job_conn: psycopg.Connection) -> dict:
        seen.append(job_conn.execute("SHOW transaction_isolation").fetchone()["transaction_isolation"])
        job_conn.execute("CREATE TEMP TABLE rolled_back (x int)")  # gone with a transaction run again
        if len(seen) == 1:
            raise psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")
        return {"ocids": 3}

    tasks._run_once(JOB, work, repeatable=True)
    assert seen == ["repeatable read", "repeatable read"]
    row = conn.execute("SELECT summary, error FROM task_queue.job_summary WHERE job_id = %s", (JOB,)).fetchone()
    assert row == {"summary": {"ocids": 3}, "error": None}
    tasks._run_once(JOB, lambda job_conn: pytest.fail("a finished job ran again"), repeatable=True)
    locks = conn.execute(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = 1952541541 "
        "AND objid::bigint = %s",
        (JOB,),
    ).fetchone()["n"]
    assert locks == 0  # the session's lock on the job is let go


def test_a_repeatable_job_gives_up_after_its_attempts(task_conn, conn):
    def work(job_conn: psycopg.Connection) -> dict:
        raise psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")

    with pytest.raises(psycopg.errors.SerializationFailure):
        tasks._run_once(JOB + 1, work, repeatable=True)
    row = conn.execute("SELECT summary, error FROM task_queue.job_summary WHERE job_id = %s", (JOB + 1,)).fetchone()
    assert row["summary"] is None and "SerializationFailure" in row["error"]
