"""A small atlas for the report's tests, shaped as the sandbox's report misled: a country whose latest year is two
months long (XA, Jan to Feb 2024), a country with a national and a city publisher (XB), a country whose data start
in March 2023 (XC), a real country without data (GB), red flags, and hostile text."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import psycopg

HOSTILE = "<script>alert('x')</script>"


def _publisher(conn: psycopg.Connection, name: str, country: str, title: str, level: str | None = "national") -> int:
    return conn.execute(
        "INSERT INTO publisher (name, title, country, level, licence) VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (name, title, country, level, "https://creativecommons.org/licenses/by/4.0/"),
    ).fetchone()["id"]


def _crawl(conn: psycopg.Connection, publisher_id: int, status: str, reasons: list[str]) -> int:
    return conn.execute(
        "INSERT INTO crawl (publisher_id, kind, status, close_reason, ended_at, error_rate, acceptance) "
        "VALUES (%s, 'crawl', %s, 'finished', now(), %s, %s) RETURNING id",
        (publisher_id, status, 0.2 if reasons else 0.0, psycopg.types.json.Jsonb({"reasons": reasons})),
    ).fetchone()["id"]


def _process(conn: psycopg.Connection, publisher_id: int, country: str, ocid: str, day: str) -> int:
    """A process whose tender starts on ``day`` (with its compiled release and a body)."""
    body = psycopg.types.json.Jsonb({"ocid": ocid})
    digest = hashlib.sha256(f"{publisher_id}/{ocid}".encode()).digest()
    data_id = conn.execute("INSERT INTO data (hash, body) VALUES (%s, %s) RETURNING id", (digest, body)).fetchone()[
        "id"
    ]
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    compiled = conn.execute(
        "INSERT INTO compiled_release (publisher_id, ocid, data_id, method, release_count, first_date, last_date, "
        "ocds_version, rules, input_hash) VALUES (%s, %s, %s, 'single_release', 1, %s, %s, '1.1', '1__1__5', %s) "
        "RETURNING id",
        (publisher_id, ocid, data_id, start, start, digest),
    ).fetchone()["id"]
    return conn.execute(
        "INSERT INTO process (compiled_release_id, publisher_id, ocid, process_key, ocid_scope, country, "
        "tender_start, release_date, source_compiled_at, output_hash) "
        "VALUES (%s, %s, %s, %s, 'publisher', %s, %s, %s, now(), %s) RETURNING id",
        (compiled, publisher_id, ocid, f"p/{ocid}", country, start, start, digest),
    ).fetchone()["id"]


def _value(
    conn: psycopg.Connection, indicator: str, country: str, year: int, value: float | None, **kw: object
) -> None:
    conn.execute(
        "INSERT INTO indicator_value (indicator, level, country, publisher, year, value, n_eligible, n_total, "
        "missing_share, suppressed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            indicator,
            kw.get("level", "country"),
            country,
            kw.get("publisher"),
            year,
            value,
            kw.get("n", 310),
            kw.get("total", 400),
            kw.get("missing", 0.05),
            kw.get("suppressed", False),
        ),
    )


def _dated(conn: psycopg.Connection, publisher_id: int, country: str, prefix: str, days: list[str]) -> list[int]:
    return [_process(conn, publisher_id, country, f"{prefix}-{n}", day) for n, day in enumerate(days)]


def build_atlas(conn: psycopg.Connection) -> psycopg.Connection:
    xa = _publisher(conn, "sandbox_xa", "XA", "Exampleland Procurement Agency")
    _publisher(conn, "sandbox_xa_bulk", "XA", "Exampleland bulk")  # no data: never crawled
    xb = _publisher(conn, "sandbox_xb", "XB", "Crown Purchasing Service of Borealia")
    city = _publisher(conn, "sandbox_xb_city", "XB", "City of Northhaven", "city")
    xc = _publisher(conn, "sandbox_xc", "XC", f"Hostile {HOSTILE}")
    _publisher(conn, "uk_contracts_finder", "GB", "Contracts Finder")
    for publisher_id in (xa, xb, city):
        _crawl(conn, publisher_id, "finished", [])
    crawl = _crawl(conn, xc, "failed", ["20 % of requests failed"])
    conn.execute(
        "INSERT INTO note (publisher_id, crawl_id, stage, level, code, message, count) "
        "VALUES (%s, %s, 'load', 'error', 'invalid_json', %s, 3)",
        (xc, crawl, f"cannot parse {HOSTILE}"),
    )
    conn.execute("UPDATE publisher SET newest_release_at = '2024-02-20T10:00:00Z' WHERE id = %s", (xa,))
    _dated(conn, xa, "XA", "xa", ["2022-01-10", "2023-06-01", "2024-02-20"])
    _dated(conn, xb, "XB", "xb", ["2022-01-05", *[f"2023-0{m}-01" for m in range(1, 9)], "2024-12-20"])
    _dated(conn, city, "XB", "city", ["2022-02-01", "2023-05-05", "2024-11-30"])
    _dated(conn, xc, "XC", "xc", ["2023-03-02", "2024-12-28"])
    conn.execute(
        "INSERT INTO red_flag (publisher, ocid, code) "
        "VALUES ('sandbox_xb', 'xb-1', 'R024'), ('sandbox_xb', 'xb-2', 'R024'), ('sandbox_xb', 'xb-3', 'R003')"
    )
    _value(conn, "single_bid_share", "XA", 2022, 0.38)
    _value(conn, "single_bid_share", "XA", 2023, 0.42)
    _value(conn, "direct_award_share", "XA", 2023, 0.43, n=396)
    _value(conn, "direct_award_share", "XA", 2024, 0.69, n=51)
    _value(conn, "direct_award_share", "XB", 2023, 0.77, n=160)  # XB's country value mixes its two levels
    _value(conn, "direct_award_share", "XB", 2023, 0.31, n=120, level="publisher", publisher="sandbox_xb")
    _value(conn, "direct_award_share", "XB", 2023, 0.52, n=40, level="publisher", publisher="sandbox_xb_city")
    _value(conn, "direct_award_share", "XC", 2023, 0.2, n=80, missing=0.45, suppressed=True)
    _value(conn, "direct_award_share", "XC", 2024, 0.30, n=150)
    _value(conn, "single_bid_share", "XA", 2023, 0.5, level="publisher", publisher="sandbox_xa", n=200)
    _value(conn, "single_bid_share", "XB", 2023, 0.9, n=4, suppressed=True, level="publisher", publisher="sandbox_xb")
    _value(conn, "value_usd_total", "XC", 2024, 12_345_678.0)
    return conn
