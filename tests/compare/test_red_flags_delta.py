"""Red flags kept by compiled release are exactly what a full refresh computes: after random changes to compiled
releases (bids revalued, disqualified, dated late, in another currency; periods, tenderers, awards, cancelled
tenders; releases copied and deleted), the flags, the runs, the facts and the notes of ``prepare``'s issues equal a
full refresh's, row by row; and a refresh reads only the changed releases' bodies."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from psycopg.types.json import Jsonb

from aggregator.compare import flag_facts, red_flags, redflags
from aggregator.compare.redflags.run import Runner
from aggregator.compare.refresh import refresh
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import generate_releases
from tests.compare.test_cardinal_fixtures import FIXTURES, INDICATORS, read_lines
from tests.indicator_fixtures import invoke, load

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="Cardinal's fixtures are not on this machine")


CHANGES = ("amount", "same_amount", "status", "late", "currency", "period", "tenderers", "award", "cancel", "unset")


def cardinal_releases() -> list[dict[str, Any]]:
    """Every compiled release of Cardinal's indicator fixtures, each OCID prefixed by its fixture's name."""
    releases = []
    for name in INDICATORS:
        for n, release in enumerate(read_lines(FIXTURES / "indicators" / f"{name}.jsonl")):
            if isinstance(release, dict):
                releases.append(release | {"ocid": f"{name}/{release.get('ocid', n)}"})
    return releases


def rows(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Everything red flags keep, sorted."""
    queries = {
        "red_flag": "SELECT publisher, ocid, code, party_role, party_id, value, details::text FROM red_flag",
        "red_flag_run": "SELECT publisher, settings_hash, compiled_releases, processes, parties::text, meta::text "
        "FROM red_flag_run",
        "red_flag_fact": "SELECT compiled_release_id, publisher, ocid, data_id, excluded, currency, own::text, "
        "shared::text, parties::text, tallies::text, ratio::text, ratio_winner, ratio_second, issues::text "
        "FROM red_flag_fact",
        "note": "SELECT publisher_id, message, data::text, count FROM note WHERE code = 'red_flag_prepare'",
        "red_flag_party": "SELECT publisher, role, party_id, n_releases FROM red_flag_party",
        "red_flag_tally": "SELECT publisher, tally, key, numerator, denominator FROM red_flag_tally",
    }
    return {
        table: sorted((tuple(row.values()) for row in conn.execute(sql).fetchall()), key=repr)
        for table, sql in queries.items()
    }


def full_rows(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    with conn.transaction() as transaction:
        refresh(conn, full=True, parts=("red_flags",))
        found = rows(conn)
        raise psycopg.Rollback(transaction)
    return found


def assert_exact(conn: psycopg.Connection) -> None:
    delta, full = rows(conn), full_rows(conn)
    for table in full:
        assert delta[table] == full[table], table
    assert_sequential(conn)


def assert_sequential(conn: psycopg.Connection) -> None:
    """The stored flags, runs and notes are what Cardinal's indicators give over each publisher's compiled
    releases read in OCID order as one file (``Runner``, without facts)."""
    publishers = conn.execute("SELECT p.id, p.name FROM publisher p JOIN red_flag_run r ON r.publisher = p.name")
    for publisher in publishers.fetchall():
        found = red_flags.settings_of(publisher["name"])
        runner = Runner(found.settings)
        issues: dict[tuple[str, str], list] = {}
        with conn.transaction():
            for prepared, found_issues in red_flags.prepared_releases(conn, publisher["id"], found):
                for issue in found_issues:
                    issues.setdefault((issue.path, issue.description), []).append(issue)
                runner.feed(prepared)
        result = runner.finish()
        name = publisher["name"]
        expected = sorted(
            (
                (*row[:5], row[5], json.dumps(json.loads(row[6]), sort_keys=True))
                for row in red_flags.flag_rows(name, result)
            ),
            key=repr,
        )
        stored = conn.execute(
            "SELECT publisher, ocid, code, party_role, party_id, value, details::text FROM red_flag "
            "WHERE publisher = %s",
            (name,),
        ).fetchall()
        got = sorted(
            ((*list(r.values())[:6], json.dumps(json.loads(r["details"]), sort_keys=True)) for r in stored), key=repr
        )
        assert got == expected, name
        run = conn.execute("SELECT * FROM red_flag_run WHERE publisher = %s", (name,)).fetchone()
        assert (run["processes"], run["parties"]) == (result.processes, result.parties), name
        assert run["meta"] == json.loads(orjson.dumps(red_flags.finite(result.meta))), name
        notes = conn.execute(
            "SELECT data, count FROM note WHERE code = 'red_flag_prepare' AND publisher_id = %s", (publisher["id"],)
        ).fetchall()
        counted = {(n["data"]["path"], n["data"]["issue"]): (n["count"], n["data"]["examples"]) for n in notes}
        assert counted == {
            key: (len(found), [{"ocid": i.ocid, "indexes": i.indexes, "value": i.value} for i in found[:10]])
            for key, found in issues.items()
        }, name


def compiled(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT c.id, c.ocid, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id ORDER BY c.id"
    ).fetchall()


def store_body(conn: psycopg.Connection, body: dict[str, Any]) -> int:
    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).digest()
    return conn.execute(
        "INSERT INTO data (hash, body) VALUES (%s, %s) ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash "
        "RETURNING id",
        (digest, Jsonb(body)),
    ).fetchone()["id"]


def update_body(conn: psycopg.Connection, compiled_id: int, body: dict[str, Any]) -> None:
    """The compiled release compiled again, to another body."""
    conn.execute(
        "UPDATE compiled_release SET data_id = %s, compiled_at = clock_timestamp() WHERE id = %s",
        (store_body(conn, body), compiled_id),
    )


def mutate(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A later version of a compiled release, changed the ways that move red flags."""
    body = copy.deepcopy(body)
    bids = (body.get("bids") or {}).get("details") or []
    bids = [bid for bid in bids if isinstance(bid, dict)]
    kind = rng.choice(CHANGES)
    if kind == "unset" and bids:  # prepare reports what it cannot fill
        rng.choice(bids).pop(rng.choice(("status", "value")), None)
    elif kind in ("amount", "same_amount", "status", "late", "currency") and bids:
        bid = rng.choice(bids)
        value = bid.setdefault("value", {"amount": 100, "currency": "USD"})
        if kind == "amount" and isinstance(value, dict):
            value["amount"] = rng.choice((1, 99.5, 100, 1000, 250000))
        elif kind == "same_amount" and isinstance(value, dict):
            other = rng.choice(bids).get("value")
            value.update(other if isinstance(other, dict) else {})
        elif kind == "status":
            bid["status"] = rng.choice(("valid", "disqualified", "pending"))
        elif kind == "late":
            bid["date"] = "2099-01-01T00:00:00Z"
        elif isinstance(value, dict):
            value["currency"] = rng.choice(("USD", "EUR", "MXN"))
    elif kind == "period":
        tender = body.setdefault("tender", {})
        start = rng.choice(("2023-01-01T00:00:00Z", "2023-01-20T00:00:00Z"))
        tender["tenderPeriod"] = {"startDate": start, "endDate": "2023-01-25T00:00:00Z"}
    elif kind == "tenderers":
        body.setdefault("tender", {})["numberOfTenderers"] = rng.choice((1, 2, 5))
    elif kind == "award":
        for award in body.get("awards") or []:
            if isinstance(award, dict):
                award["status"] = rng.choice(("active", "cancelled", "unsuccessful"))
    else:
        body.setdefault("tender", {})["status"] = rng.choice(("cancelled", "active"))
    return body


def change(conn: psycopg.Connection, rng: random.Random, number: int) -> None:
    row = rng.choice(compiled(conn))
    kind = rng.choice(("mutate", "mutate", "mutate", "delete", "copy"))
    if kind == "delete":
        conn.execute("DELETE FROM compiled_release WHERE id = %s", (row["id"],))
    elif kind == "copy":
        ocid = f"{row['ocid']}-copy{number}"
        params = {"id": row["id"], "ocid": ocid, "data": store_body(conn, mutate(row["body"], rng) | {"ocid": ocid})}
        conn.execute(
            "INSERT INTO compiled_release (publisher_id, ocid, data_id, method, release_count, ocds_version, rules, "
            "input_hash) SELECT publisher_id, %(ocid)s, %(data)s, method, release_count, ocds_version, rules, "
            "input_hash FROM compiled_release WHERE id = %(id)s",
            params,
        )
    else:
        update_body(conn, row["id"], mutate(row["body"], rng))


def test_red_flags_by_compiled_release_equal_a_full_refresh(atlas_env, conn, tmp_path, monkeypatch):
    settings = tmp_path / "settings"
    settings.mkdir()
    default = (Path(redflags.__file__).parent / "data" / "default.ini").read_text(encoding="utf-8")
    # Fences over few processes: R048 counts suppliers of 2 processes or more.
    for name in ("sandbox-bids", "cardinal-all"):
        (settings / f"{name}.ini").write_text(default.replace("[R048]", "[R048]\nminimum_contracting_processes = 2"))
    monkeypatch.setenv("OCDS_ATLAS_RED_FLAG_SETTINGS", str(settings))
    cardinal = tmp_path / "cardinal.jsonl"
    cardinal.write_text("\n".join(json.dumps(release) for release in cardinal_releases()) + "\n", encoding="utf-8")
    invoke("load", "--compiled", str(cardinal), "--publisher", "cardinal-all", "--country", "XZ", "--workers", "1")
    publisher = dataclasses.replace(SANDBOX_PUBLISHERS["xa"], processes=120)
    load(tmp_path, list(generate_releases(publisher, seed=3)), publisher="sandbox-bids")
    invoke("compile", "--workers", "1")  # cardinal-all too
    assert conn.execute("SELECT count(*) AS n FROM red_flag_run").fetchone()["n"] == 2
    assert_exact(conn)
    flagged = {
        (row["code"], row["party"])
        for row in conn.execute("SELECT DISTINCT code, party_role IS NOT NULL AS party FROM red_flag")
    }
    # Flags of releases alone and of fences, of processes and of parties.
    assert {("R003", False), ("R018", False), ("R035", False), ("R036", False), ("R058", False)} <= flagged
    assert {("R035", True), ("R038", True)} <= flagged
    rng = random.Random(16)
    number = 0
    for _ in range(10):
        for _ in range(rng.randint(1, 8)):
            number += 1
            change(conn, rng, number)
        refresh(conn, parts=("red_flags",))
        assert_exact(conn)
    # Bids without a status: prepare's issues, noted.
    for row in rng.sample([r for r in compiled(conn) if (r["body"].get("bids") or {}).get("details")], 3):
        body = copy.deepcopy(row["body"])
        body["bids"]["details"][0].pop("status", None)
        update_body(conn, row["id"], body)
    refresh(conn, parts=("red_flags",))
    assert_exact(conn)
    assert conn.execute("SELECT count(*) AS n FROM note WHERE code = 'red_flag_prepare'").fetchone()["n"]
    # The release whose currency is compared first gets another: the main currency changes, all is folded again.
    first = conn.execute(
        "SELECT c.id, d.body FROM red_flag_fact f JOIN compiled_release c ON c.id = f.compiled_release_id "
        "JOIN data d ON d.id = c.data_id WHERE f.publisher = 'sandbox-bids' AND f.currency IS NOT NULL "
        "ORDER BY f.ocid LIMIT 1"
    ).fetchone()
    body = copy.deepcopy(first["body"])
    for bid in body["bids"]["details"]:
        bid["value"]["currency"] = "EUR"
    update_body(conn, first["id"], body)
    folded_again = []
    monkeypatch.setattr(
        flag_facts, "fold_all", lambda *args, fold=flag_facts.fold_all: folded_again.append(1) or fold(*args)
    )
    refresh(conn, parts=("red_flags",))
    assert folded_again == [1]
    assert_exact(conn)


def test_a_refresh_reads_only_the_changed_bodies(atlas_env, conn, tmp_path, monkeypatch):
    publisher = dataclasses.replace(SANDBOX_PUBLISHERS["xa"], processes=80)
    load(tmp_path, list(generate_releases(publisher, seed=5)), publisher="sandbox-bids")
    read: list[int] = []
    contribution = flag_facts.contribution
    monkeypatch.setattr(flag_facts, "contribution", lambda *args: read.append(1) or contribution(*args))
    row = compiled(conn)[7]
    body = row["body"] | {"tender": {**row["body"].get("tender", {}), "numberOfTenderers": 1}}
    data = store_body(conn, body)
    conn.execute(
        "UPDATE compiled_release SET data_id = %s, compiled_at = clock_timestamp() WHERE id = %s", (data, row["id"])
    )
    assert marked(conn) == [row["id"]]  # the compiled release's trigger marked it
    summary = refresh(conn, parts=("red_flags",))
    assert summary.flag_publishers == ["sandbox-bids"]
    assert len(read) == 1  # one body prepared and folded, not the publisher's 80
    assert marked(conn) == []  # taken off the list
    assert_exact(conn)  # (a full refresh, rolled back: it reads every body)
    read.clear()
    # Compiled again to the same body: marked, refreshed, but nothing folded; nothing marked: nothing refreshed.
    conn.execute("UPDATE compiled_release SET compiled_at = clock_timestamp() WHERE id = %s", (row["id"],))
    assert marked(conn) == [row["id"]]
    assert refresh(conn, parts=("red_flags",)).flag_publishers == ["sandbox-bids"]
    assert refresh(conn, parts=("red_flags",)).flag_publishers == []
    assert read == []
    assert_exact(conn)
    read.clear()
    # A compiled release gone: its facts go, without reading any body.
    conn.execute("DELETE FROM compiled_release WHERE id = %s", (compiled(conn)[3]["id"],))
    assert refresh(conn, parts=("red_flags",)).flag_publishers == ["sandbox-bids"]
    assert read == []
    assert_exact(conn)


def marked(conn: psycopg.Connection) -> list[int]:
    """The compiled releases marked changed for the red flags (migration 0037)."""
    rows = conn.execute("SELECT compiled_release_id AS id FROM red_flag_dirty ORDER BY 1").fetchall()
    return [row["id"] for row in rows]


def test_the_migration_marks_what_changed_since_the_last_refresh(atlas_env, conn, tmp_path):
    """Migration 0037 finds the compiled releases changed since the last refresh the old way, once: a database
    whose facts were behind its compiled releases before the triggers existed is brought up to date by the next
    refresh."""
    publisher = dataclasses.replace(SANDBOX_PUBLISHERS["xa"], processes=60)
    load(tmp_path, list(generate_releases(publisher, seed=9)), publisher="sandbox-bids")
    rows_before = compiled(conn)
    changed = rows_before[4]
    update_body(conn, changed["id"], mutate(changed["body"], random.Random(1)) | {"tag": ["compiled", "changed"]})
    gone = rows_before[9]["id"]
    conn.execute("DELETE FROM compiled_release WHERE id = %s", (gone,))
    conn.execute("DELETE FROM red_flag_dirty")  # as before the migration: no marks
    migration = (
        Path(red_flags.__file__).parents[2] / "sql" / "migrations" / "0037_queue_red_flag_changes.sql"
    ).read_text()
    start = migration.index("INSERT INTO red_flag_dirty (publisher_id, compiled_release_id)\nSELECT coalesce")
    conn.execute(migration[start : migration.index(";", start)])
    assert marked(conn) == sorted([changed["id"], gone])
    assert refresh(conn, parts=("red_flags",)).flag_publishers == ["sandbox-bids"]
    assert marked(conn) == []
    assert_exact(conn)
