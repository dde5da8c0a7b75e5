import os
import signal
from pathlib import Path

import pytest

from aggregator import pgconfig
from aggregator.errors import AtlasError

GB = 1 << 30


def test_settings_grow_with_the_machine_within_bounds():
    small = pgconfig.sized_settings(pgconfig.Machine(1 * GB, 1))
    large = pgconfig.sized_settings(pgconfig.Machine(64 * GB, 16))
    assert small["shared_buffers"] == "128MB" and large["shared_buffers"] == "8192MB"
    assert small["work_mem"] == "32MB" and large["work_mem"] == "128MB"
    assert small["max_wal_size"] == "1024MB" and large["max_wal_size"] == "8192MB"
    assert small["wal_compression"] == large["wal_compression"] == "off"


def test_environment_variables_set_any_setting():
    environ = {"OCDS_ATLAS_PG_SHARED_BUFFERS": "1GB", "OCDS_ATLAS_PG_WORK_MEM": "", "HOME": "/root"}
    assert pgconfig.overrides(environ) == {"shared_buffers": "1GB"}
    with pytest.raises(AtlasError, match="OCDS_ATLAS_PG_SHARED-BUFFERS"):
        pgconfig.overrides({"OCDS_ATLAS_PG_SHARED-BUFFERS": "1GB"})


def test_the_settings_file_is_included_once_and_rewritten_only_when_it_changes(tmp_path: Path):
    (tmp_path / "postgresql.conf").write_text("max_connections = 100\n")
    assert pgconfig.write_conf(tmp_path, {"work_mem": "64MB", "application_name": "it's"})
    assert not pgconfig.write_conf(tmp_path, {"work_mem": "64MB", "application_name": "it's"})
    assert (tmp_path / "postgresql.conf").read_text().count(pgconfig.INCLUDE) == 1
    assert "application_name = 'it''s'" in (tmp_path / pgconfig.CONF_FILE).read_text()
    assert pgconfig.write_conf(tmp_path, {"work_mem": "128MB"})


def test_the_embedded_server_runs_with_the_settings(monkeypatch, tmp_path: Path):
    import psycopg

    from aggregator import db

    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path))
    monkeypatch.setenv("OCDS_ATLAS_PG_WORK_MEM", "12MB")
    monkeypatch.setenv("OCDS_ATLAS_PG_SHARED_BUFFERS", "160MB")
    url = db.embedded_server_url()
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SHOW work_mem").fetchone()[0] == "12MB"
            assert conn.execute("SHOW shared_buffers").fetchone()[0] == "160MB"  # restarted: no one else was there
            assert conn.execute("SHOW checkpoint_timeout").fetchone()[0] == "15min"
            assert conn.execute("SHOW wal_compression").fetchone()[0] == "off"
            # its database compares text byte by byte (tests/base/test_database_locale.py)
            row = conn.execute("SELECT datlocprovider, datlocale FROM pg_database WHERE datname = current_database()")
            assert row.fetchone() == ("b", "C.UTF-8")
    finally:
        pid = int((tmp_path / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # a fast shutdown of the server this test started
