"""A normalize batch is written by COPY into staging tables and set-based statements: what is stored is exactly what
``build`` made (text with tabs, backslashes and new lines; NULLs; arrays; numbers), and a batch sends as many
statements whatever its size."""

import json
import tempfile
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from psycopg import pq
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.normalize import refresh
from aggregator.normalize.process import Compiled, Normalized, build
from aggregator.normalize.write import CHILDREN, copy_columns
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import cached_releases
from tests.conftest import PUBLISHERS

runner = CliRunner()

#: Values that COPY's text format must escape, and that a row-by-row INSERT never had to.
AWKWARD = "tab\there, new\nline, back\\slash, \\N, quote ' and \" and {braces,} \u00e9\u4e2d"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def awkward_release() -> dict[str, Any]:
    party = {
        "id": "XA-RFC-AWK010101AB1",
        "name": AWKWARD,
        "roles": ["buyer", "supplier"],
        "identifier": {"scheme": "XA-RFC", "id": "AWK010101AB1", "legalName": AWKWARD},
        "additionalIdentifiers": [{"scheme": "no such\tscheme", "id": "back\\slash"}],
    }
    return {
        "ocid": "ocds-sbxa01-awkward",
        "id": "awkward-1",
        "date": "2021-03-01T10:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "parties": [party, {"id": "nameless", "name": "\\N", "roles": ["tenderer"]}],
        "buyer": {"id": party["id"], "name": AWKWARD},
        "tender": {
            "id": "t",
            "title": AWKWARD,
            "status": "active\r\n",
            "procurementMethod": "open",
            "procurementMethodDetails": AWKWARD,
            "value": {"amount": 1234.5, "currency": "MXN"},
            "tenderers": [{"id": "nameless", "name": "\\N"}],
        },
        "awards": [
            {"id": "a\t1", "title": AWKWARD, "suppliers": [{"id": party["id"], "name": AWKWARD}], "value": {}},
            {"id": "a2", "date": "not a date\\", "value": {"amount": "12,5", "currency": "XXX"}, "suppliers": []},
        ],
        "contracts": [{"id": "c1", "awardID": "a\t1", "title": AWKWARD, "value": {"amount": 0, "currency": "MXN"}}],
    }


def load_sample(directory) -> None:
    """The sandbox's first publisher, one awkward release, and real publishers' data."""
    publisher = SANDBOX_PUBLISHERS["xa"]
    releases = [release for release in cached_releases("xa") if "ocid" in release] + [awkward_release()]
    path = directory / "xa.json"
    path.write_bytes(orjson.dumps({"uri": "https://sandbox.invalid/xa", **publisher.package_metadata(),
                                   "releases": releases}))  # fmt: skip
    invoke("load", str(path), "--publisher", "sandbox_xa", "--country", publisher.country.code)
    if PUBLISHERS.is_dir():
        for name, country in (("paraguay_dncp", "PY"), ("ukraine_prozorro", "UA"), ("armenia_armeps", "AM")):
            invoke("load", str(PUBLISHERS / name), "--publisher", name, "--country", country)


def _comparable(value: Any) -> Any:
    """A built value as the database gives it back (a float in a numeric column comes back as a Decimal)."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _stored(conn, table: str, columns: tuple[str, ...], compiled_release_id: int, order: str) -> list[dict]:
    names = ", ".join(columns)
    sql = f"SELECT {names} FROM {table} WHERE compiled_release_id = %(id)s ORDER BY {order}"
    return conn.execute(sql, {"id": compiled_release_id}).fetchall()


def _built(rows: list[dict[str, Any]], columns: tuple[str, ...], compiled_release_id: int) -> list[dict]:
    values = [{**row, "compiled_release_id": compiled_release_id} for row in rows]
    return [{column: _comparable(row[column]) for column in columns} for row in values]


def assert_stored_as_built(conn, row: dict[str, Any], result: Normalized) -> None:
    cid = row["id"]
    columns = copy_columns("copy_processes")
    process = {**result.process, "source_compiled_at": row["compiled_at"], "output_hash": result.output_hash}
    stored = _stored(conn, "process", columns, cid, "id")
    stored[0]["output_hash"] = bytes(stored[0]["output_hash"])
    assert stored == _built([process], columns, cid), row["ocid"]
    tables = {"awards": "award", "contracts": "contract", "parties": "process_party"}
    tables["identifiers"] = "organization_identifier"
    for name, (block, _) in CHILDREN.items():
        columns = copy_columns(block)
        order = "party_position, position" if name == "identifiers" else "position"
        built = _built(getattr(result, name), columns, cid)
        assert _stored(conn, tables[name], columns, cid, order) == built, (row["ocid"], name)


def assert_every_process_stored_as_built(conn) -> None:
    ctx = refresh.make_context(refresh.NormalizeSummary(), date.today())
    compiled = conn.execute(
        "SELECT c.id, c.publisher_id, c.ocid, c.compiled_at, d.body::text AS body, pub.name AS publisher, "
        "pub.country, pub.ocid_prefixes FROM compiled_release c JOIN data d ON d.id = c.data_id "
        "JOIN publisher pub ON pub.id = c.publisher_id ORDER BY c.id"
    ).fetchall()
    assert len(compiled) > 1200
    awkward = 0
    for row in compiled:
        body = orjson.loads(row["body"])
        result = build(
            Compiled(row["id"], row["publisher_id"], row["publisher"], row["country"], row["ocid"], body,
                     tuple(row["ocid_prefixes"] or ())),
            ctx,
        )  # fmt: skip
        assert_stored_as_built(conn, row, result)
        awkward += row["ocid"] == "ocds-sbxa01-awkward"
    assert awkward == 1


def test_stored_rows_are_the_built_rows(atlas_env, conn, tmp_path):
    load_sample(tmp_path)
    assert "normalized" in invoke("compile")
    assert_every_process_stored_as_built(conn)
    # Written again over the rows already there (as when a compiled release changes): the old children go.
    organizations = conn.execute("SELECT * FROM organization ORDER BY org_key").fetchall()
    conn.execute("UPDATE process SET output_hash = '\\x00'")
    processes = conn.execute("SELECT count(*) AS n FROM process").fetchone()["n"]
    assert f"{processes} written" in invoke("normalize", "--full")
    assert_every_process_stored_as_built(conn)
    assert conn.execute("SELECT * FROM organization ORDER BY org_key").fetchall() == organizations
    title = conn.execute("SELECT title FROM process WHERE ocid = 'ocds-sbxa01-awkward'").fetchone()["title"]
    assert title == AWKWARD
    # Every key a party names has its organization; none is left marked.
    orphans = conn.execute(
        "SELECT count(*) AS n FROM process_party pp LEFT JOIN organization o USING (org_key) WHERE o.org_key IS NULL"
    ).fetchone()
    assert orphans["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM organization_dirty").fetchone()["n"] == 0


def sent(conn, batches: list[list[int]], ctx) -> list[list[str]]:
    """What normalizing each of ``batches`` sends: its messages, as libpq traces them (type and contents)."""
    messages: list[list[str]] = []
    for ids in batches:
        with tempfile.TemporaryFile("w+") as trace:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                refresh.normalize_batch(conn, ids, ctx, refresh.NormalizeSummary())
            finally:
                conn.pgconn.untrace()
            trace.seek(0)
            messages.append([line.split("\t", 2)[2] for line in trace if line.startswith("F\t")])
    return messages


def statements(messages: list[str]) -> int:
    """Statements sent: extended-protocol executions and simple queries."""
    return sum(message.startswith(("Execute", "Query")) for message in messages)


def load_sandbox_xa(tmp_path) -> None:
    publisher = SANDBOX_PUBLISHERS["xa"]
    releases = [release for release in cached_releases("xa") if "ocid" in release]
    path = tmp_path / "xa.json"
    path.write_text(json.dumps({"uri": "https://sandbox.invalid/xa", **publisher.package_metadata(),
                                "releases": releases}))  # fmt: skip
    invoke("load", str(path), "--publisher", "sandbox_xa", "--country", publisher.country.code)
    invoke("compile")


def renormalize(conn, batches: list[list[int]]) -> list[list[str]]:
    """Normalize these batches again from nothing; return what each sent."""
    ids = [i for batch in batches for i in batch]
    conn.execute("DELETE FROM process WHERE compiled_release_id = ANY(%(ids)s)", {"ids": ids})
    messages = sent(conn, batches, refresh.make_context(refresh.NormalizeSummary(), date.today()))
    written = conn.execute(
        "SELECT count(*) AS n FROM process WHERE compiled_release_id = ANY(%(ids)s)", {"ids": ids}
    ).fetchone()["n"]
    assert written == len(ids)
    return messages


def test_a_batch_sends_as_many_statements_whatever_its_size(atlas_env, conn, tmp_path):
    load_sandbox_xa(tmp_path)
    ids = [row["id"] for row in conn.execute("SELECT id FROM compiled_release ORDER BY id")]
    small, large = renormalize(conn, [ids[:20], ids[20:220]])
    assert statements(small) == statements(large) < 30, (statements(small), statements(large))


def test_a_batch_plans_its_writes_for_the_tables_as_they_are(atlas_env, conn, tmp_path):
    """The statements that write are never prepared: a plan kept for the connection was made for the tables' sizes
    when it was made (one made while award was empty read all of award for every later batch)."""
    load_sandbox_xa(tmp_path)
    ids = [row["id"] for row in conn.execute("SELECT id FROM compiled_release ORDER BY id LIMIT 80")]
    messages = [m for batch in renormalize(conn, [ids[i : i + 10] for i in range(0, 80, 10)]) for m in batch]
    prepared = [m for m in messages if m.startswith("Parse") and not m.startswith('Parse\t "" ')]
    assert not [m for m in prepared if any(word in m for word in ("INSERT", "DELETE", "UPDATE"))]
    assert statements(messages) > 8 * 10
