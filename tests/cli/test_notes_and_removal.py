"""``ocds-atlas notes``, ``publishers remove`` and one document per ``--format``."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.db import query
from aggregator.operate.removal import TABLES, remove_publisher
from tests.conftest import PUBLISHERS

runner = CliRunner()


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def loaded(atlas_env, conn, tmp_path):
    """Two publishers of one country, compiled; one bad file in cdmx's load."""
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"not json")
    invoke("load", str(PUBLISHERS / "mexico_cdmx" / "encoding"), str(bad), "--publisher", "cdmx", "--country", "MX")
    invoke("load", str(PUBLISHERS / "mexico_jalisco"), "--publisher", "jalisco", "--country", "MX")
    assert invoke("compile").exit_code == 0
    return bad


def test_notes_show_message_file_ocid_and_data(loaded, conn):
    result = invoke("notes", "--publisher", "cdmx", "--code", "invalid_json", "--format", "json")
    assert result.exit_code == 0, result.output
    [note] = json.loads(result.stdout)
    assert note["publisher"] == "cdmx" and note["level"] == "error" and note["file"] == str(loaded)
    assert note["message"].startswith("Invalid JSON") and isinstance(note["data"], dict)
    table = invoke("notes", "--publisher", "cdmx", "--level", "error")
    assert "invalid_json" in table.output and str(loaded) in table.output
    ocid = conn.execute("SELECT ocid FROM note WHERE ocid IS NOT NULL LIMIT 1").fetchone()
    if ocid:
        rows = json.loads(invoke("notes", "--ocid", ocid["ocid"], "--format", "json").stdout)
        assert rows and all(ocid["ocid"] in json.dumps(row) for row in rows)
    as_csv = list(csv.DictReader(io.StringIO(invoke("notes", "--format", "csv").stdout)))
    assert {row["code"] for row in as_csv} >= {"invalid_json", "encoding_detected"}


def test_notes_refuse_a_bad_level_in_one_line(atlas_env):
    result = invoke("notes", "--level", "fatal")
    assert (
        result.exit_code == 1 and result.output.strip() == "error: --level must be info, warning or error, not 'fatal'"
    )


def test_quality_is_one_document_per_format(loaded):
    document = json.loads(invoke("quality", "--format", "json").stdout)
    assert set(document) == {"field_coverage", "consistency_checks"} and document["field_coverage"]
    rows = list(csv.DictReader(io.StringIO(invoke("quality", "--format", "csv").stdout)))
    assert {row["part"] for row in rows} == {"field_coverage", "consistency_checks"}
    assert all(len(row) == 8 for row in rows)


def test_indicators_are_exact_in_csv_and_json(loaded):
    rows = json.loads(invoke("indicators", "--country", "MX", "--format", "json").stdout)
    assert rows and all(isinstance(row["suppressed"], bool) for row in rows)
    as_csv = list(csv.DictReader(io.StringIO(invoke("indicators", "--country", "MX", "--format", "csv").stdout)))
    by_id = {(row["indicator"], row["year"]): row for row in rows}
    for row in as_csv:
        value = by_id[(row["indicator"], int(row["year"]))]["value"]
        assert (row["value"] == "" and value is None) or float(row["value"]) == value


def test_every_table_naming_a_publisher_is_emptied_by_removal(conn):
    rows = conn.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name IN ('publisher_id', 'publisher')"
    ).fetchall()
    assert {row["table_name"] for row in rows} | {"publisher", "crawl"} <= set(TABLES)


def counts(conn, name: str) -> dict[str, int]:
    query = """
        SELECT (SELECT count(*) FROM crawl c JOIN publisher p ON p.id = c.publisher_id WHERE p.name = %(n)s) AS crawls,
               (SELECT count(*) FROM release r JOIN publisher p ON p.id = r.publisher_id WHERE p.name = %(n)s) AS rel,
               (SELECT count(*) FROM process r JOIN publisher p ON p.id = r.publisher_id WHERE p.name = %(n)s) AS proc,
               (SELECT count(*) FROM indicator_value WHERE publisher = %(n)s) AS ind,
               (SELECT count(*) FROM field_coverage WHERE publisher = %(n)s) AS cov,
               (SELECT count(*) FROM publisher WHERE name = %(n)s) AS pub
    """
    return conn.execute(query, {"n": name}).fetchone()


def test_publishers_remove_asks_then_deletes_every_row(loaded, conn):
    before = counts(conn, "cdmx")
    assert before["rel"] and before["proc"] and before["pub"] == 1
    refused = invoke("publishers", "remove", "cdmx", input="n\n")
    assert refused.exit_code == 1 and "error: cdmx not removed (--yes removes without asking)" in refused.output
    assert invoke("publishers", "remove", "cdmx").exit_code == 1  # nothing answers: not removed
    assert counts(conn, "cdmx") == before
    jalisco = counts(conn, "jalisco")
    total = (
        "SELECT coalesce(sum(n_total), 0) AS n FROM indicator_value WHERE level = 'country' AND indicator = 'processes'"
    )
    before_total = conn.execute(total).fetchone()["n"]
    result = invoke("publishers", "remove", "cdmx", "--yes")
    assert result.exit_code == 0, result.output
    assert "removed publisher cdmx" in result.output
    assert all(value == 0 for value in counts(conn, "cdmx").values())
    assert counts(conn, "jalisco") == jalisco
    for table in ("note", "compiled_release", "compile_queue", "record", "red_flag_dirty"):
        orphans = conn.execute(
            f"SELECT count(*) AS n FROM {table} WHERE publisher_id NOT IN (SELECT id FROM publisher)"
        )
        assert orphans.fetchone()["n"] == 0, table
    # The country's values are recomputed from jalisco's processes alone.
    jalisco_years = conn.execute("SELECT count(*) AS n FROM indicator_fact").fetchone()["n"]  # one row a process
    assert 0 < conn.execute(total).fetchone()["n"] == jalisco_years < before_total
    assert (
        invoke("publishers", "remove", "cdmx", "--yes").output.strip()
        == "error: no publisher named 'cdmx': see `ocds-atlas status`"
    )


def test_db_commands(atlas_env, monkeypatch):
    result = invoke("db", "url")
    assert result.exit_code == 0 and result.stdout.strip().startswith("postgresql://")
    stop = invoke("db", "stop")
    assert stop.exit_code == 1
    assert (
        stop.output.strip() == "error: DATABASE_URL is set: ocds-atlas did not start that server and does not stop it"
    )


class Removal:
    """``remove_publisher`` in a thread of its own, on a connection of its own."""

    def __init__(self, database_url: str, name: str) -> None:
        self.errors: list[BaseException | None] = []
        self.thread = threading.Thread(target=self._remove, args=(database_url, name))
        self.thread.start()

    def _remove(self, database_url: str, name: str) -> None:
        try:
            with db.connect(database_url, autocommit=True) as other:
                remove_publisher(other, name)
            self.errors.append(None)
        except BaseException as error:  # reported by done()
            self.errors.append(error)

    def waits(self, conn, what: str) -> None:
        """Return once the removal waits for a lock (another transaction's)."""
        waited = 0.0
        while not conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()["n"]:
            assert waited < 30 and self.thread.is_alive(), f"the removal did not wait for {what}"
            time.sleep(0.05)
            waited += 0.05

    def done(self) -> None:
        self.thread.join(60)
        assert self.errors == [None]


def test_removal_waits_for_a_file_being_stored_and_deletes_what_it_stored(atlas_env, conn, database_url):
    """A file's transaction that stored releases while the publisher was being removed: the removal waits for it
    (deleting the crawls waits for the file's row, which the transaction holds), then deletes what it stored. No
    foreign key makes a release go with its crawl file (migration 0038): deleting the releases before the crawls
    leaves them, with no publisher."""
    assert invoke("load", str(PUBLISHERS / "mexico_jalisco"), "--publisher", "racy", "--country", "MX").exit_code == 0
    crawl = conn.execute(
        "SELECT c.id, c.publisher_id FROM crawl c JOIN publisher p ON p.id = c.publisher_id"
    ).fetchone()
    file_id = conn.execute(
        "INSERT INTO crawl_file (crawl_id, path) VALUES (%s, 'late.json') RETURNING id", (crawl["id"],)
    ).fetchone()["id"]

    with db.connect(database_url) as storing:  # a file's transaction, as store_file runs it
        storing.execute(query("raw/load", "claim_file"), {"id": file_id})
        stored = storing.execute(
            "INSERT INTO release (publisher_id, crawl_id, crawl_file_id, ordinal, ocid, ocds_version, data_id) "
            "SELECT publisher_id, crawl_id, %(file)s, ordinal, ocid, ocds_version, data_id FROM release "
            "WHERE publisher_id = %(publisher)s LIMIT 5",
            {"file": file_id, "publisher": crawl["publisher_id"]},
        ).rowcount
        assert stored == 5
        removal = Removal(database_url, "racy")
        removal.waits(conn, "the file being stored")
        storing.commit()
    removal.done()
    for table in ("release", "record", "crawl_file", "crawl", "compiled_release", "compile_queue", "publisher"):
        assert conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table


def test_removal_waits_for_a_compile_batch_and_deletes_what_it_compiled(atlas_env, conn, database_url):
    """A compile batch that wrote compiled releases while the publisher was being removed: the removal locks the
    publisher before it deletes anything, so it waits for the batch (which locks it to share it), then deletes what
    the batch wrote. No foreign key makes a compiled release wait for its publisher (migration 0040): a removal that
    locked nothing first would have deleted the compiled releases before the batch committed, and left its rows."""
    from datetime import UTC, datetime

    from aggregator.compile.run import compile_batch

    args = ["load", str(PUBLISHERS / "mexico_jalisco"), "--publisher", "racy", "--country", "MX", "--queue-only"]
    assert invoke(*args).exit_code == 0
    queued = conn.execute("SELECT publisher_id, ocid FROM compile_queue ORDER BY ocid LIMIT 20").fetchall()
    publisher_id = queued[0]["publisher_id"]

    with db.connect(database_url) as compiling:  # a batch in a task queue job's transaction, not yet committed
        compiling.execute(query("base/transactions", "repeatable_read"))
        summary = compile_batch(compiling, publisher_id, [row["ocid"] for row in queued], False, datetime.now(UTC))
        assert summary.written == len(queued) > 0
        removal = Removal(database_url, "racy")
        removal.waits(conn, "the compile batch")
        compiling.commit()
    removal.done()
    for table in ("compiled_release", "compile_queue", "release", "publisher"):
        assert conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"] == 0, table
    # A batch of the publisher removed meanwhile writes nothing.
    with db.connect(database_url, autocommit=True) as late:
        assert compile_batch(late, publisher_id, [row["ocid"] for row in queued], False, datetime.now(UTC)).ocids == 0
    assert conn.execute("SELECT count(*) AS n FROM compiled_release").fetchone()["n"] == 0
