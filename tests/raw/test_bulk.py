"""``ocds-atlas load`` with worker processes: runs of neighbouring files, each file's outcome told as it is stored,
and a worker's death failing the load rather than hanging it."""

from __future__ import annotations

import multiprocessing.forkserver
import os
import random
import resource
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import orjson
import pytest

from aggregator.compile.held import compile_held
from aggregator.compile.run import compile_ocids
from aggregator.raw import bulk
from aggregator.raw.bulk import file_runs, load_paths
from aggregator.raw.crashpoints import VARIABLE
from aggregator.raw.crawls import PublisherInfo


def test_runs_cover_every_file_once_in_order():
    rng = random.Random(21)
    for _ in range(500):
        sizes = [rng.choice([0, 1, rng.randint(0, 10_000)]) for _ in range(rng.randint(0, 200))]
        workers = rng.randint(1, 32)
        runs = file_runs(sizes, workers)
        assert [n for run in runs for n in run] == list(range(len(sizes)))
        left = sum(sizes)
        for run in runs:
            taken = sum(sizes[n] for n in run)
            assert len(run) == 1 or taken <= left / workers  # about a worker's share of what is left, a file at least
            assert run.stop == len(sizes) or len(run) == 1 or taken + sizes[run.stop] > left / workers  # no less
            left -= taken


def test_runs_are_few_and_shrink():
    assert [len(run) for run in file_runs([1] * 147, 2)] == [73, 37, 18, 9, 5, 2, 1, 1, 1]
    sixteen = [len(run) for run in file_runs([1] * 147, 16)]
    assert sixteen[:3] == [9, 8, 8] and sixteen == sorted(sixteen, reverse=True)
    assert file_runs([100, 1, 1, 1, 1], 2) == [range(0, 1), range(1, 3), range(3, 4), range(4, 5)]
    assert file_runs([5], 4) == [range(0, 1)]
    assert file_runs([], 2) == []


#: Files whose neighbours share an OCID: file n ends with the first release of ``ocds-bulk-n`` and file n + 1 begins
#: with its second; the other OCIDs are the file's own.
FILES = 12


def write_files(directory: Path) -> list[Path]:
    paths = []
    for n in range(FILES):
        releases = []
        if n:
            releases.append(_release(f"ocds-bulk-{n - 1}", 2, 200))
        releases += [_release(f"ocds-bulk-own-{n}-{k}", 1, k) for k in range(3)]
        releases.append(_release(f"ocds-bulk-{n}", 1, 100))
        path = directory / f"page-{n:02d}.json"
        path.write_bytes(orjson.dumps({"version": "1.1", "releases": releases}))
        paths.append(path)
    return paths


def _release(ocid: str, number: int, amount: int) -> dict:
    return {
        "ocid": ocid,
        "id": f"{ocid}-{number}",
        "date": f"2024-01-0{number}T00:00:00Z",
        "tag": ["tender"],
        "tender": {"id": "t", "value": {"amount": amount, "currency": "USD"}},
    }


def compiled_amounts(conn, publisher: str) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        "SELECT c.ocid, c.release_count, d.body FROM compiled_release c JOIN data d ON d.id = c.data_id"
        " JOIN publisher p ON p.id = c.publisher_id WHERE p.name = %s",
        (publisher,),
    ).fetchall()
    return {r["ocid"]: (r["release_count"], r["body"]["tender"]["value"]["amount"]) for r in rows}


def test_a_parallel_load_tells_each_file_and_compiles_what_a_single_one_does(atlas_env, conn, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "PARALLEL_MIN_BYTES", 0)
    cut = []
    monkeypatch.setattr(bulk, "file_runs", lambda sizes, workers: cut.append(workers) or file_runs(sizes, workers))
    paths = write_files(tmp_path)
    results = {}
    for workers in (1, 2):
        told = []
        publisher = PublisherInfo(name=f"bulk{workers}", title="Bulk", country="XA", ocds_version="1.1")
        _, outcomes = load_paths(
            conn,
            publisher,
            [tmp_path],
            on_file=lambda path, outcome, told=told: told.append((path, outcome.releases)),
            workers=workers,
            compile_held=compile_held,
        )
        assert sorted(told) == [(path, 4 if n == 0 else 5) for n, path in enumerate(paths)]
        assert [o.releases for o in outcomes] == [4] + [5] * (FILES - 1)
        compile_ocids(conn)
        results[workers] = compiled_amounts(conn, publisher.name)
    assert cut == [2]  # the 2 workers took runs of files (1 worker stores them here, in order)
    assert results[2] == results[1]
    assert all(results[2][f"ocds-bulk-{n}"] == (2, 200) for n in range(FILES - 1))  # both files' releases
    assert len(results[2]) == FILES * 4


def test_a_worker_that_dies_fails_the_load(atlas_env, conn, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv(VARIABLE, "load.file:2")  # each worker is killed once it has stored its second file
    write_files(tmp_path)
    publisher = PublisherInfo(name="bulk_killed", title="Bulk", country="XA", ocds_version="1.1")
    with pytest.raises(BrokenProcessPool):
        load_paths(conn, publisher, [tmp_path], workers=2, compile_held=compile_held)
    loaded = conn.execute("SELECT count(*) AS n FROM crawl_file WHERE loaded_at IS NOT NULL").fetchone()["n"]
    assert 2 <= loaded < FILES  # what was committed is kept; running the load again finishes it (test_crashes.py)


def test_the_workers_come_from_a_fork_server_that_ends_with_the_load(atlas_env, conn, tmp_path, monkeypatch):
    """The workers are forked from a fork server that imported their modules once; once the load is done, the server
    has ended and was waited for, so that its CPU time and the workers' count as this process's children's (as
    ``make bench`` counts them) and no process is left behind."""
    monkeypatch.setattr(bulk, "PARALLEL_MIN_BYTES", 0)
    started = []
    real = bulk.fork_server
    monkeypatch.setattr(bulk, "fork_server", lambda preload: started.append(preload) or real(preload))
    write_files(tmp_path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    publisher = PublisherInfo(name="bulk_forked", title="Bulk", country="XA", ocds_version="1.1")
    load_paths(conn, publisher, [tmp_path], workers=2, compile_held=compile_held)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert started == [["aggregator.raw.bulk", "aggregator.compile.held"]]
    assert multiprocessing.forkserver._forkserver._forkserver_pid is None  # stopped and waited for
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if children.exists():
        assert not [pid for pid in children.read_text().split() if "forkserver" in _command_line(pid)]
    # The server and two workers, each importing psycopg at least: far more than nothing.
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) > 0.05
    stored = conn.execute(
        "SELECT sum(releases) AS n FROM crawl_file f JOIN crawl c ON c.id = f.crawl_id"
        " JOIN publisher p ON p.id = c.publisher_id WHERE p.name = 'bulk_forked'"
    ).fetchone()["n"]
    assert stored == 4 + 5 * (FILES - 1)


def _command_line(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
