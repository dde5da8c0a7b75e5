"""Armenia's red flag settings (aggregator/compare/redflags/data/armenia_armeps.ini) on its real data: what each
setting changes, through load, compile and the red flags in the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregator.compare.redflags.files import DEFAULT, settings_path
from tests.indicator_fixtures import invoke
from tests.normalize.test_real_quirks import PUBLISHERS

pytestmark = pytest.mark.skipif(not (PUBLISHERS / "armenia_armeps").is_dir(), reason="no Armenian data here")
ARMENIA = settings_path("armenia_armeps", [DEFAULT.parent])


def flagged(conn) -> dict[str, int]:
    rows = conn.execute("SELECT code, count(*) AS n FROM red_flag WHERE ocid IS NOT NULL GROUP BY code").fetchall()
    return {row["code"]: row["n"] for row in rows}


def status_notes(conn) -> list[dict]:
    rows = conn.execute("SELECT data FROM note WHERE code = 'red_flag_prepare'").fetchall()
    return [row["data"] for row in rows if row["data"]["path"] == "/bids/details[]/status"]


def test_armenia_settings(atlas_env, conn, monkeypatch, tmp_path: Path) -> None:
    assert ARMENIA.name == "armenia_armeps.ini"
    path = PUBLISHERS / "armenia_armeps"
    invoke("load", str(path), "--publisher", "armenia_armeps", "--country", "AM", "--workers", "1")
    invoke("compile", "--publisher", "armenia_armeps", "--workers", "1")
    run = conn.execute("SELECT * FROM red_flag_run").fetchone()
    assert (run["settings_file"], run["compiled_releases"]) == ("armenia_armeps.ini", 900)
    with_settings = flagged(conn)
    # qualified and not-qualified mapped to valid and disqualified: the flags that read bid statuses flag.
    assert (with_settings["R035"], with_settings["R036"]) == (19, 25)
    assert status_notes(conn) == []

    # An operator's file comes first, and a changed file recomputes the flags.
    operator = tmp_path / "settings"
    operator.mkdir()
    monkeypatch.setenv("OCDS_ATLAS_RED_FLAG_SETTINGS", str(operator))
    (operator / "armenia_armeps.ini").write_text(DEFAULT.read_text())
    assert "red flags of 1 publishers" in invoke("indicators", "refresh")
    without = flagged(conn)
    assert "R035" not in without and "R036" not in without
    (note,) = status_notes(conn)
    assert note["issue"] == "invalid" and {e["value"] for e in note["examples"]} <= {"qualified", "not-qualified"}

    # Without the redaction of 0.0 (the amount of every not-qualified bid that shows none), 4 more processes have
    # a disqualified lowest bid.
    text = ARMENIA.read_text()
    (operator / "armenia_armeps.ini").write_text(text.replace("\namount = 0\n", "\n"))
    invoke("indicators", "refresh")
    assert flagged(conn)["R036"] == 29
    counts = json.loads(invoke("red-flags", "--country", "AM", "--format", "json"))
    assert {(row["code"], row["level"]) for row in counts if row["flagged"]} >= {("R036", "process")}
