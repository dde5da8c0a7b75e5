"""Nothing lost, nothing doubled (issue 17): a command killed (SIGKILL) at a named point of load, compile or normalize,
or with the database server killed under it, then run again, leaves the database as one run that never stopped:
the same rows and the same notes, compared table by table (tests/operate/crashing.py says in what form).

Commands run as real child processes, killed by ``OCDS_ATLAS_CRASH_AT`` (aggregator/raw/crashpoints.py), on the
sandbox's publisher of Aldora with faults that give notes at every stage, on a database server of this module's own.
One point per stage and one server kill run by default; ``pytest -m slow`` runs the others.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.compile.run import compile_ocids
from aggregator.db import query
from aggregator.migrate import migrate
from tests.operate.crashing import (
    HEARTBEAT,
    MIRROR,
    PUBLISHER,
    Server,
    differences,
    environment,
    run_cli,
    snapshot,
    write_files,
)

slow = pytest.mark.slow


class Setting:
    """The module's server, its files, and databases at the start of each stage (used as templates)."""

    def __init__(self, server: Server, files: tuple[Path, Path], home: Path) -> None:
        self.server = server
        self.main, self.mirror = files
        self.home = home
        self.baselines: dict[tuple[str, tuple[str, ...]], tuple[int, dict]] = {}

    def load_args(self, directory: Path, publisher: str, *options: str) -> list[str]:
        return ["load", str(directory), "--publisher", publisher, "--country", "XA", "--workers", "1", *options]

    def baseline(self, start: str, args: tuple[str, ...], parallel: bool = False) -> tuple[int, dict]:
        """The exit code and the database of ``args`` run once, uninterrupted, from ``start``."""
        key = (start, args)
        if key not in self.baselines:
            url = self.server.clone(start)
            result = run_cli(list(args), environment(url, self.home), parallel)
            self.baselines[key] = (result.returncode, snapshot(url))
        return self.baselines[key]


def invoke(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    """Templates: ``empty`` (migrated), ``loaded`` (both publishers loaded, their OCIDs queued for compile),
    ``compiled`` (and compiled, not normalized), ``normalized`` (and normalized)."""
    server = Server(tmp_path_factory.mktemp("crash-pg") / "data")
    setting = Setting(server, write_files(tmp_path_factory.mktemp("crash-files")), tmp_path_factory.mktemp("home"))
    with db.connect(server.create("empty"), autocommit=True) as conn:
        migrate(conn)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment(server.create("loaded", "empty"), setting.home).items():
            patch.setenv(name, value)
        db.resolve_url.cache_clear()
        # Queued only, so that compile's crash points have batches to meet.
        invoke(*setting.load_args(setting.main, PUBLISHER, "--queue-only"))
        invoke(*setting.load_args(setting.mirror, MIRROR, "--queue-only"))
        db.resolve_url.cache_clear()
    with db.connect(server.create("compiled", "loaded"), autocommit=True) as conn:
        compile_ocids(conn)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment(server.create("normalized", "compiled"), setting.home).items():
            patch.setenv(name, value)
        db.resolve_url.cache_clear()
        invoke("normalize", "--workers", "1")
        db.resolve_url.cache_clear()
    yield setting
    server.close()


@pytest.fixture(autouse=True)
def dropped_after(setting: Setting) -> Iterator[None]:
    """Each test's databases dropped after it (a baseline is kept as its snapshot)."""
    yield
    setting.server.drop_clones()


def crash_then_again(setting: Setting, start: str, args: list[str], point: str, parallel: bool = False) -> None:
    """Run ``args`` from ``start`` killed at ``point``; run it again; the database must be the baseline's."""
    code, expected = setting.baseline(start, tuple(args), parallel)
    url = setting.server.clone(start)
    killed = run_cli(args, environment(url, setting.home, crash_at=point), parallel)
    assert killed.returncode == -signal.SIGKILL, f"{point} was not reached:\n{killed.stdout}"
    time.sleep(HEARTBEAT * 6)  # a killed load's heartbeat is then stale: the next command closes it
    again = run_cli(args, environment(url, setting.home), parallel)
    assert again.returncode == code, again.stdout
    assert differences(expected, snapshot(url)) == {}


def server_killed_then_again(setting: Setting, start: str, args: list[str], point: str) -> None:
    """Run ``args`` from ``start``, the database server killed (SIGKILL) at ``point``; start the server again, run
    ``args`` again; the database must be the baseline's."""
    code, expected = setting.baseline(start, tuple(args))
    url = setting.server.clone(start)
    pid = setting.server.pid()
    try:
        killed = run_cli(args, environment(url, setting.home, crash_at=point, crash_pid=pid))
        assert not setting.server.alive(pid), f"{point} was not reached:\n{killed.stdout}"
    finally:
        setting.server.wait_dead_then_start(pid)
    time.sleep(HEARTBEAT * 6)
    again = run_cli(args, environment(url, setting.home))
    assert again.returncode == code, again.stdout
    assert differences(expected, snapshot(url)) == {}


@pytest.mark.parametrize(
    "point", ["load.file:2", pytest.param("load.batch:2", marks=slow), pytest.param("load.files_done", marks=slow)]
)
def test_a_load_killed_then_run_again(setting, point):
    crash_then_again(setting, "empty", setting.load_args(setting.main, PUBLISHER), point)


COMPILE_POINTS = ["compile.batch:2", "compile.batch_done:1", "compile.finish", "normalize.batch_done:2"]


@pytest.mark.parametrize(
    "point", ["compile.batch_done:2", *(pytest.param(point, marks=slow) for point in COMPILE_POINTS)]
)
def test_a_compile_killed_then_run_again(setting, point):
    """``compile`` compiles, then normalizes what it compiled: killed in either."""
    crash_then_again(setting, "loaded", ["compile", "--workers", "1"], point)


NORMALIZE_POINTS = ["normalize.batch:1", "normalize.batch_done:3", "normalize.finish", "normalize.organizations"]


@pytest.mark.parametrize(
    "point", ["normalize.batch_done:2", *(pytest.param(point, marks=slow) for point in NORMALIZE_POINTS)]
)
def test_a_normalize_killed_then_run_again(setting, point):
    crash_then_again(setting, "compiled", ["normalize", "--workers", "1"], point)


@slow
@pytest.mark.parametrize("point", ["normalize.batch_done:2", "normalize.organizations"])
def test_a_full_normalize_killed_then_run_again(setting, point):
    crash_then_again(setting, "normalized", ["normalize", "--full", "--workers", "1"], point)


def queue_waits_for_dead_jobs() -> bool:
    """Whether a command queues its batches beside the jobs of a dead command's workers without waiting for ever
    (issue 17, item 6: a dead worker's job cannot go back to the queue beside a second job for its batch)."""
    try:
        query("operate/tasks", "select_live_job")
    except LookupError:
        return False
    return True


@slow
@pytest.mark.skipif(not queue_waits_for_dead_jobs(), reason="a command killed with its workers hangs the next one")
@pytest.mark.parametrize(
    ("args", "point"),
    [
        (["compile", "--workers", "2"], "compile.batch_done:1"),
        (["normalize", "--workers", "2"], "normalize.batch_done:2"),
        (["normalize", "--full", "--workers", "2"], "normalize.batch_done:2"),
    ],
)
def test_a_command_with_workers_killed_with_them_then_run_again(setting, args, point):
    """Killed with its worker processes (a machine going down): the batches they committed stay done."""
    start = "normalized" if "--full" in args else "compiled" if args[0] == "normalize" else "loaded"
    crash_then_again(setting, start, args, point, parallel=True)


@pytest.mark.parametrize(
    ("start", "args", "point"),
    [
        ("compiled", ["normalize", "--workers", "1"], "normalize.batch_done:2"),
        pytest.param("compiled", ["normalize", "--workers", "1"], "normalize.batch:2", marks=slow),
        # compile commits without waiting for the disk: the server may lose its last batches, done again.
        pytest.param("loaded", ["compile", "--workers", "1"], "compile.batch_done:2", marks=slow),
        pytest.param(
            "empty", ["load", "{main}", "--publisher", PUBLISHER, "--country", "XA"], "load.file:1", marks=slow
        ),
    ],
)
def test_the_server_killed_then_the_command_again(setting, start, args, point):
    args = [arg.format(main=setting.main) for arg in args]
    server_killed_then_again(setting, start, args, point)


def test_a_full_run_replaces_its_notes_and_brings_back_lost_ones(setting):
    """``--full`` again: the notes of a run that wrote everything, neither doubled nor lost, even if some were (the
    notes that sum a run up, and those of routes that disagree; an OCID's own compile notes are written with its
    compiled release, and a full compile does not merge again what did not change)."""
    _, expected = setting.baseline("loaded", ("compile", "--workers", "1"))
    url = setting.server.clone("loaded")
    assert run_cli(["compile", "--workers", "1"], environment(url, setting.home)).returncode == 0
    with db.connect(url, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM note WHERE stage IN ('compile', 'normalize') AND id % 2 = 0 "
            "AND (ocid IS NULL OR code = 'ocid_routes_disagree')"
        )
    for args in (["compile", "--full", "--workers", "1"], ["normalize", "--full", "--workers", "1"]):
        assert run_cli(args, environment(url, setting.home)).returncode == 0
    actual = snapshot(url)
    assert differences({"note": expected["note"]}, {"note": actual["note"]}) == {}
