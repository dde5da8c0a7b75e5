"""Indicators and quality kept by delta are exactly what a full refresh computes, row by row, after random changes:
processes inserted, changed (procedure, tender period, tenderers, year, primary), moved to another buyer or to
none, and deleted; awards revalued, given other suppliers, dated again, and deleted. Values are also checked
against their definitions computed directly (medians with percentile_cont, HHI from the awards)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from aggregator.compare.refresh import refresh
from tests.indicator_fixtures import day, load, org, ref

BUYERS = [org(f"GB-COH-0000000{n}", f"Buyer {n}", ["buyer"]) for n in range(1, 6)]
SUPPLIERS = [org(f"GB-COH-2000000{n}", f"Supplier {n}", ["tenderer", "supplier"]) for n in range(6)]
NAMELESS = {"id": "supplier-x", "name": "Supplier X", "roles": ["supplier"]}  # a name key: no identifier
METHODS = ("open", "open", "selective", "limited", "direct", None)
CHANGES = (
    *("method", "period", "tenderers", "year", "buyer", "no_buyer", "primary", "delete", "copy"),
    *("award_value", "award_suppliers", "award_date", "award_delete", "award_currency"),
)

#: Tables kept by delta, and the columns that say which row is which (computed_at left out).
TABLES = {
    "indicator_value": ("indicator", "level", "country", "publisher", "buyer_org_key", "year"),
    "indicator_fact": ("process_id",),
    "indicator_buyer": ("country", "year", "buyer_org_key"),
    "indicator_buyer_supplier": ("country", "year", "buyer_org_key", "supplier"),
    "indicator_buyer_publisher": ("country", "year", "buyer_org_key", "publisher"),
    "quality_fact": ("process_id",),
    "field_coverage": ("publisher", "field"),
    "quality_check": ("publisher", "check_id"),
}


def release(rng: random.Random, ocid: str) -> dict[str, Any]:
    """One process with random method, period, tenderers, buyer (a Zipf-like few do most), awards and contracts."""
    start = datetime(rng.choice((2021, 2022, 2023)), rng.randint(1, 12), rng.randint(1, 28), 9)
    buyer = rng.choices(BUYERS, weights=(8, 4, 2, 1, 1))[0]
    tender: dict[str, Any] = {"id": f"{ocid}-t", "status": "complete"}
    if (method := rng.choice(METHODS)) is not None:
        tender["procurementMethod"] = method
    if rng.random() < 0.85:
        end = start + timedelta(days=rng.choice((3, 10, 14, 20, 20, 30, 45)), hours=rng.randint(0, 5))
        tender["tenderPeriod"] = {"startDate": day(start), "endDate": day(end)}
    if rng.random() < 0.8:
        tender["numberOfTenderers"] = rng.randint(1, 6)
    body: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": day(start),
        "tag": ["award"],
        "initiationType": "tender",
        "parties": [buyer, *SUPPLIERS, NAMELESS],
        "buyer": ref(buyer),
        "tender": tender,
        "awards": [],
        "contracts": [],
    }
    for n in range(rng.choice((0, 1, 1, 1, 2, 3))):
        suppliers = rng.sample([*SUPPLIERS, NAMELESS], rng.choice((1, 1, 1, 2)))
        award = {"id": f"{ocid}-a{n}", "status": "active", "suppliers": [ref(s) for s in suppliers]}
        award["date"] = day(start + timedelta(days=rng.randint(20, 80)))
        if rng.random() < 0.9:
            award["value"] = {"amount": rng.choice((100, 250, 1000, 3333.33, 40000)), "currency": "USD"}
        body["awards"].append(award)
        if rng.random() < 0.6 and "value" in award:
            amount = award["value"]["amount"] * rng.choice((1, 1.1, 1.5))
            contract = {"id": f"{ocid}-c{n}", "awardID": award["id"], "value": {"amount": amount, "currency": "USD"}}
            body["contracts"].append(contract)
    return body


def rows(conn: psycopg.Connection) -> dict[str, dict[tuple, dict]]:
    """Every row of every table kept by delta, by key."""
    found = {}
    for table, key in TABLES.items():
        got = {}
        for row in conn.execute(f"SELECT * FROM {table}").fetchall():
            row.pop("computed_at", None)
            got[tuple(row[c] for c in key)] = row
        found[table] = got
    return found


def full_rows(conn: psycopg.Connection) -> dict[str, dict[tuple, dict]]:
    """What a full refresh computes from the same processes, rolled back afterwards."""
    with conn.transaction() as transaction:
        refresh(conn, full=True, parts=("indicators", "quality"))
        found = rows(conn)
        raise psycopg.Rollback(transaction)
    return found


def assert_exact(conn: psycopg.Connection) -> None:
    delta, full = rows(conn), full_rows(conn)
    for table in TABLES:
        assert delta[table].keys() == full[table].keys(), table
        for key, row in full[table].items():
            assert delta[table][key] == row, (table, key)


def process_ids(conn: psycopg.Connection) -> list[int]:
    return [row["id"] for row in conn.execute("SELECT id FROM process ORDER BY id")]


def change(conn: psycopg.Connection, rng: random.Random, copies: list[int]) -> None:
    """One random change to the normalized layer, as a normalize run would leave it (the process row rewritten
    whenever its awards change)."""
    ids = process_ids(conn)
    target = rng.choice(ids)
    kind = rng.choice(CHANGES)
    touch = "UPDATE process SET normalized_at = clock_timestamp() WHERE id = %(id)s"
    params: dict[str, Any] = {"id": target}
    if kind == "method":
        params["method"] = rng.choice(METHODS)
        conn.execute("UPDATE process SET procedure_type = %(method)s WHERE id = %(id)s", params)
    elif kind == "period":
        params["days"] = rng.choice((-2, 1, 5, 14, 15, 30, 200))
        conn.execute(
            "UPDATE process SET tender_end = tender_start + make_interval(days => %(days)s) WHERE id = %(id)s", params
        )
    elif kind == "tenderers":
        params["n"] = rng.choice((None, 0, 1, 2, 7))
        conn.execute("UPDATE process SET number_of_tenderers = %(n)s WHERE id = %(id)s", params)
    elif kind == "year":
        params["years"] = rng.choice((-1, 1))
        conn.execute(
            "UPDATE process SET tender_start = tender_start + make_interval(years => %(years)s), "
            "release_date = release_date + make_interval(years => %(years)s) WHERE id = %(id)s",
            params,
        )
    elif kind == "buyer":
        params["buyer"] = rng.choice(BUYERS)["id"]
        conn.execute("UPDATE process SET buyer_org_key = %(buyer)s WHERE id = %(id)s", params)
    elif kind == "no_buyer":
        conn.execute("UPDATE process SET buyer_org_key = NULL WHERE id = %(id)s", params)
    elif kind == "primary":
        conn.execute("UPDATE process SET is_primary = NOT is_primary WHERE id = %(id)s", params)
    elif kind == "delete":
        conn.execute("DELETE FROM process WHERE id = %(id)s", params)
    elif kind == "copy":
        copies.append(copy_process(conn, target, len(copies)))
    else:
        award = conn.execute("SELECT id FROM award WHERE process_id = %(id)s ORDER BY random() LIMIT 1", params)
        found = award.fetchone()
        if found is None:
            return
        params["award"] = found["id"]
        if kind == "award_value":
            params["amount"] = rng.choice((None, 0, 50, 100, 999.99, 12345.6))
            conn.execute("UPDATE award SET amount = %(amount)s, amount_usd = %(amount)s WHERE id = %(award)s", params)
        elif kind == "award_suppliers":
            keys = [s["id"] for s in rng.sample(SUPPLIERS, rng.choice((0, 1, 2)))]
            params["keys"] = keys + (["name/XZ/supplier x"] if rng.random() < 0.3 else [])
            conn.execute("UPDATE award SET supplier_org_keys = %(keys)s WHERE id = %(award)s", params)
        elif kind == "award_date":
            params["days"] = rng.choice((-40, -1, 3, 60))
            conn.execute("UPDATE award SET date = date + make_interval(days => %(days)s) WHERE id = %(award)s", params)
        elif kind == "award_currency":
            conn.execute("UPDATE award SET currency_raw = NULL WHERE id = %(award)s", params)
        else:
            conn.execute("DELETE FROM award WHERE id = %(award)s", params)
        conn.execute(touch, params)


def copy_process(conn: psycopg.Connection, source: int, number: int) -> int:
    """A new process: a copy of another under a new OCID (its compiled release, process row and awards)."""
    params = {"source": source, "suffix": f"-copy{number}"}
    compiled = conn.execute(
        "INSERT INTO compiled_release (publisher_id, ocid, data_id, method, release_count, ocds_version, rules, "
        "input_hash) SELECT c.publisher_id, c.ocid || %(suffix)s, c.data_id, c.method, c.release_count, "
        "c.ocds_version, c.rules, c.input_hash FROM compiled_release c JOIN process p ON p.compiled_release_id = c.id "
        "WHERE p.id = %(source)s RETURNING id",
        params,
    ).fetchone()["id"]
    params["compiled"] = compiled
    columns = [
        row["column_name"]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'process' "
            "AND column_name NOT IN ('id', 'compiled_release_id', 'ocid', 'process_key') ORDER BY ordinal_position"
        )
    ]
    listed = ", ".join(columns)
    new = conn.execute(
        f"INSERT INTO process (compiled_release_id, ocid, process_key, {listed}) "
        f"SELECT %(compiled)s, ocid || %(suffix)s, process_key || %(suffix)s, {listed} FROM process "
        "WHERE id = %(source)s RETURNING id",
        params,
    ).fetchone()["id"]
    params["new"] = new
    award_columns = [
        row["column_name"]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'award' "
            "AND column_name NOT IN ('id', 'process_id', 'compiled_release_id') ORDER BY ordinal_position"
        )
    ]
    listed = ", ".join(award_columns)
    conn.execute(
        f"INSERT INTO award (process_id, compiled_release_id, {listed}) "
        f"SELECT %(new)s, %(compiled)s, {listed} FROM award WHERE process_id = %(source)s",
        params,
    )
    return new


def assert_definitions(conn: psycopg.Connection) -> None:
    """Medians and supplier concentration, as their definitions say, computed directly from the facts and awards."""
    medians = conn.execute(
        """
        SELECT f.country, f.year, x.indicator,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY x.contribution) FILTER (WHERE x.eligible) AS value
        FROM indicator_fact f
        CROSS JOIN LATERAL (VALUES
            ('submission_period_days', coalesce(f.procedure_type = 'open' AND f.tender_days >= 0, false),
             f.tender_days),
            ('decision_period_days',
             coalesce(f.n_awards > 0 AND f.procedure_type <> 'direct' AND f.decision_days >= 0, false),
             f.decision_days)
        ) AS x (indicator, eligible, contribution)
        GROUP BY f.country, f.year, x.indicator
        """
    ).fetchall()
    kept = {
        (row["country"], row["year"], row["indicator"]): row["value"]
        for row in conn.execute("SELECT * FROM indicator_value WHERE level = 'country'")
    }
    assert medians
    for row in medians:
        assert kept[(row["country"], row["year"], row["indicator"])] == row["value"], row
    hhi = conn.execute(
        """
        WITH shares AS (
            SELECT p.country, extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int
                       AS year, p.buyer_org_key, s.supplier, sum(w.amount_usd / cardinality(w.supplier_org_keys)) AS v
            FROM process p JOIN award w ON w.process_id = p.id CROSS JOIN unnest(w.supplier_org_keys) AS s (supplier)
            WHERE p.is_primary AND p.buyer_org_key IS NOT NULL AND w.amount_usd IS NOT NULL
            GROUP BY 1, 2, 3, 4
        )
        SELECT country, year, buyer_org_key, sum((v / t) ^ 2)::float AS hhi
        FROM shares JOIN (SELECT country, year, buyer_org_key, sum(v) AS t FROM shares GROUP BY 1, 2, 3) total
            USING (country, year, buyer_org_key)
        WHERE t > 0
        GROUP BY 1, 2, 3
        """
    ).fetchall()
    buyers = {
        (r["country"], r["year"], r["buyer_org_key"]): r["hhi"] for r in conn.execute("SELECT * FROM indicator_buyer")
    }
    assert hhi
    for row in hhi:
        assert buyers[(row["country"], row["year"], row["buyer_org_key"])] == pytest.approx(row["hhi"], rel=1e-12)


def test_delta_equals_full_refresh_after_random_changes(atlas_env, conn, tmp_path):
    rng = random.Random(20)
    load(tmp_path, [release(rng, f"xz-a-{n:03}") for n in range(140)], publisher="random-a")
    load(tmp_path, [release(rng, f"xz-b-{n:03}") for n in range(60)], publisher="random-b")
    assert_exact(conn)
    eligible = conn.execute(
        "SELECT count(*) AS n FROM indicator_value WHERE indicator = 'supplier_concentration_hhi' "
        "AND level = 'buyer' AND value IS NOT NULL"
    ).fetchone()["n"]
    assert eligible >= 2  # buyers with 10 valued awards or more: supplier concentration is computed
    copies: list[int] = []
    for _ in range(8):
        for _ in range(rng.randint(1, 12)):
            change(conn, rng, copies)
        refresh(conn, parts=("indicators", "quality"))
        assert_exact(conn)
        assert_definitions(conn)
    assert copies  # processes were inserted too
    # A later release of some processes, through load, compile and normalize.
    load(tmp_path, [release(rng, f"xz-a-{n:03}") | {"id": f"xz-a-{n:03}-2"} for n in range(0, 140, 7)], "random-a")
    assert_exact(conn)
    assert_definitions(conn)


def test_a_refresh_with_most_processes_changed_computes_every_fact_again(atlas_env, conn, tmp_path):
    from aggregator.compare.facts import refresh_facts

    rng = random.Random(21)
    load(tmp_path, [release(rng, f"xz-w-{n:03}") for n in range(80)], publisher="whole")
    assert_exact(conn)
    copies: list[int] = []
    change(conn, rng, copies)
    with conn.transaction():  # a few changed: the changed processes' road
        assert not refresh_facts(conn, full=False).whole
    refresh(conn, parts=("quality",))
    assert_exact(conn)
    # A third of the processes changed: every fact computed again, with the same result as the delta road would give.
    for _ in range(3):
        conn.execute("UPDATE process SET procedure_type = 'open' WHERE id % 3 = 0")
        with conn.transaction():
            summary = refresh_facts(conn, full=False)
        refresh(conn, parts=("quality",))
        assert (
            summary.whole
            and summary.processes == conn.execute("SELECT count(*) AS n FROM indicator_fact").fetchone()["n"]
        )
        assert conn.execute("SELECT count(*) AS n FROM compare_dirty WHERE part = 'indicators'").fetchone()["n"] == 0
        assert_exact(conn)


def test_a_full_refresh_makes_again_the_indexes_it_drops(atlas_env, conn, tmp_path):
    """The whole road writes facts and values without their secondary indexes, then makes them again: the same
    definitions, and the medians' partial indexes used again by the next refresh of a few processes."""
    rng = random.Random(5)
    load(tmp_path, [release(rng, f"xz-i-{n:03}") for n in range(40)], publisher="indexed")
    definitions = """
        SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid IN ('indicator_fact'::regclass, 'indicator_value'::regclass) ORDER BY 1
    """
    before = conn.execute(definitions).fetchall()
    assert any(row["name"] == "indicator_value_group_idx" for row in before)
    assert len(before) >= 9
    refresh(conn, full=True, parts=("indicators",))
    assert conn.execute(definitions).fetchall() == before
    change(conn, rng, [])
    refresh(conn, parts=("indicators", "quality"))
    assert_exact(conn)
