import os
import shutil
from pathlib import Path

import psycopg
import pytest

from aggregator import db
from aggregator.errors import AtlasError
from aggregator.migrate import MIGRATIONS_DIR, available, migrate

TABLES = {
    "publisher",
    "crawl",
    "crawl_file",
    "note",
    "data",
    "package_data",
    "raw_data",
    "release",
    "record",
    "compiled_release",
    "compile_queue",
    "schema_migration",
    # 0004: the normalized layer
    "process",
    "award",
    "contract",
    "organization",
    "process_party",
    "organization_identifier",
    # 0005: indicators, red flags, data quality
    "indicator_value",
    "red_flag",
    # 0015: red flags as Cardinal computes them
    "red_flag_run",
    "field_coverage",
    "quality_check",
    # 0024: indicators by delta
    "indicator_fact",
    "compare_dirty",
    # 0025: organizations refreshed once per normalize run
    "organization_dirty",
    # 0028: notes that commit with their rows
    "note_part",
    "process_key_dirty",
    # 0031: indicators and quality kept by delta
    "indicator_buyer",
    "indicator_buyer_supplier",
    "indicator_buyer_publisher",
    "quality_fact",
    # 0033: red flags by compiled release
    "red_flag_fact",
    "red_flag_party",
    # 0035: red flags' tallies kept by delta
    "red_flag_tally",
    # 0037: the compiled releases whose red flags changed
    "red_flag_dirty",
    # 0039: the compiled releases normalize has not seen as they are
    "normalize_dirty",
}


def extra_servers() -> list[str]:
    """Other servers to check migrations on, e.g. PostgreSQL 15 beside the embedded 18 (see .ci/run)."""
    return [url for url in os.environ.get("OCDS_ATLAS_EXTRA_TEST_URLS", "").split() if url]


def tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row["tablename"] for row in rows}


def test_migrations_create_the_tables_once(empty_database_url):
    with db.connect(empty_database_url, autocommit=True) as conn:
        assert migrate(conn) == [m.name for m in available()]
        assert migrate(conn) == []
        assert tables(conn) == TABLES
        version = conn.execute("SHOW server_version_num").fetchone()["server_version_num"]
    assert int(version) >= 150000


def test_changed_migration_is_refused(empty_database_url, tmp_path: Path):
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    with db.connect(empty_database_url, autocommit=True) as conn:
        migrate(conn, directory)
        first = sorted(directory.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited\n")
        with pytest.raises(AtlasError, match="changed after it was applied"):
            migrate(conn, directory)


def test_badly_named_migration_is_refused(tmp_path: Path):
    (tmp_path / "1_x.sql").write_text("SELECT 1")
    with pytest.raises(AtlasError, match="NNNN_verb_object"):
        available(tmp_path)


def test_migration_names_are_verb_object():
    assert all(m.name[:4].isdigit() for m in available())


@pytest.mark.parametrize("url", extra_servers() or [pytest.param(None, marks=pytest.mark.skip("no extra server"))])
def test_migrations_on_other_servers(url):
    name = "atlas_migrate_check"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        db.create_database(admin, name)  # as ocds-atlas makes its own, with this server's version's locale
    try:
        from tests.conftest import with_database

        with db.connect(with_database(url, name), autocommit=True) as conn:
            migrate(conn)
            assert tables(conn) == TABLES
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_migrated_database_is_checked_without_importing_procrastinate(atlas_env):
    """Every command that writes migrates first, and brings the task queue's schema up to procrastinate's version:
    read from the package's metadata, so that a command which queues no job does not import procrastinate (0.3 CPU
    s)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from aggregator.cli.app import connect_migrated\n"
        "connect_migrated().close()\n"  # the test database has every migration applied
        "print('procrastinate' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
