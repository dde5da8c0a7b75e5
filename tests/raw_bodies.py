"""Raw release and record bodies are compressed by the application (``raw_data``): for checks written in SQL, a
temporary table holds them decoded."""

from __future__ import annotations

from typing import Any

import psycopg

from aggregator.raw import bodies


def decode_raw_bodies(conn: psycopg.Connection[Any]) -> None:
    """Create (or fill again) the temporary table ``raw_json (id, body jsonb)``: each ``raw_data`` body as jsonb,
    under the id that ``release.data_id`` and ``record.data_id`` give."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS raw_json (id bigint PRIMARY KEY, body jsonb NOT NULL)")
    conn.execute("TRUNCATE raw_json")
    rows = conn.execute("SELECT id, body FROM raw_data").fetchall()
    with conn.cursor().copy("COPY raw_json (id, body) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((row["id"], bodies.unpack(row["body"]).decode()))
