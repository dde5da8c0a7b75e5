"""Loading files from disk (``ocds-atlas load``): one crawl of kind ``load``, its files stored by
:func:`aggregator.raw.load.store_file`, in worker processes when there is enough to share.

One load of a publisher at a time (:mod:`aggregator.raw.locks`; a second waits, saying so). While it runs, it beats
(:mod:`aggregator.raw.liveness`): killed, it is closed as ``interrupted`` by the next command, its rows kept but not
compiled. Loaded again, a file the publisher already has (the same content, stored whole) is skipped with a note, so
a load that was interrupted is finished by running it again, and an unchanged directory costs little."""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import os
import queue
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeAlias

import psycopg

from aggregator import db
from aggregator.errors import AtlasError
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.crawls import PublisherInfo, close_crawl, open_crawl, upsert_publisher
from aggregator.raw.files import register_file
from aggregator.raw.liveness import Heartbeat, close_interrupted
from aggregator.raw.load import FileOutcome, LoadOptions, store_file
from aggregator.raw.locks import one_at_a_time
from aggregator.raw.processes import die_with_parents, fork_server, without_main_module
from aggregator.raw.rows import CompileHeld
from aggregator.raw.sources import skipped


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """The files to load: each file given, and the files under each directory given (sorted, hidden and
    documentation files skipped)."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise AtlasError(f"{path} does not exist")
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and not skipped(p.relative_to(path).as_posix())
            )
        else:
            files.append(path)
    return files


def load_paths(
    conn: psycopg.Connection,
    publisher: PublisherInfo,
    paths: list[Path],
    encoding: str | None = None,
    on_file: Callable[[Path, FileOutcome], None] | None = None,
    workers: int = 1,
    *,
    compiled: bool = False,
    on_wait: Callable[[str], None] | None = None,
    compile_held: CompileHeld | None = None,
) -> tuple[int, list[FileOutcome]]:
    """Load files from disk as one crawl of kind ``load``; return the crawl's id and each file's outcome. With
    ``compiled``, the files hold compiled releases: each is stored as its OCID's compiled release, as published.
    With ``compile_held``, each file's transaction compiles the OCIDs whose bodies it holds (see
    :func:`aggregator.raw.load.store_file`).

    Files are registered in order first, so that load order (file, then position in the file) does not depend on
    which of the ``workers`` processes stores which file. ``on_wait`` is told when another load of the publisher
    runs: this one waits for it.
    """
    files = expand_paths(paths)
    close_interrupted(conn)
    publisher_id = upsert_publisher(conn, publisher)
    with one_at_a_time(conn, "load", f"load of {publisher.name}", publisher_id, on_wait):
        arguments = {"paths": [str(p) for p in paths], "encoding": encoding} | ({"compiled": True} if compiled else {})
        crawl_id = open_crawl(conn, publisher_id, "load", arguments, None)
        with Heartbeat(crawl_id):
            file_ids = [register_file(conn, crawl_id, path) for path in files]
            jobs = [
                (
                    publisher_id,
                    crawl_id,
                    file_id,
                    path,
                    LoadOptions(encoding, publisher.ocds_version, compiled=compiled),
                    compile_held,
                )
                for file_id, path in zip(file_ids, files, strict=True)
            ]
            outcomes: dict[int, FileOutcome] = {}
            for path, outcome in _run_jobs(conn, jobs, workers):
                outcomes[outcome.crawl_file_id] = outcome
                if on_file:
                    on_file(path, outcome)
        crash_point("load.files_done")
        ordered = [outcomes[file_id] for file_id in file_ids]
        stats = {
            "files": len(files),
            "releases": sum(o.releases for o in ordered),
            "records": sum(o.records for o in ordered),
        }
        close_crawl(conn, crawl_id, "finished", "finished", stats)
    return crawl_id, ordered


#: Below this many bytes, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 16_000_000
#: Seconds between two looks at the workers while no file's outcome comes.
POLL_SECONDS = 0.2
#: Each file's outcome as a worker ends it: (the file's number among the jobs, its outcome).
Outcomes: TypeAlias = "multiprocessing.queues.Queue[tuple[int, FileOutcome]]"


def file_runs(sizes: Sequence[int], workers: int) -> list[range]:
    """The files (their ``sizes``, in load order) cut into runs of neighbouring files, one worker storing each run
    file after file: each run about the bytes left divided among the ``workers`` (a file at least).

    Neighbouring files often share an OCID (a publication cut into pages: the last releases of one file and the
    first of the next). Two transactions that queue one OCID for compile take turns (the queue's key), so two
    workers storing neighbouring files at once wait for each other, file after file. With runs, the first runs
    start together at their first files, far from their neighbours' last ones, and a worker that ends a run first
    mostly ended the newest one, whose neighbour is the run it takes next; the runs shrink as they go, so the
    workers still end together."""
    runs: list[range] = []
    left = sum(sizes)
    start = 0
    while start < len(sizes):
        target = left / workers
        end, taken = start + 1, sizes[start]
        while end < len(sizes) and taken + sizes[end] <= target:
            taken += sizes[end]
            end += 1
        runs.append(range(start, end))
        left -= taken
        start = end
    return runs


def _run_jobs(
    conn: psycopg.Connection, jobs: list[tuple[Any, ...]], workers: int
) -> Iterator[tuple[Path, FileOutcome]]:
    sizes = [job[3].stat().st_size for job in jobs]
    if workers > 1 and sum(sizes) < PARALLEL_MIN_BYTES:
        workers = 1
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield job[3], store_file(conn, *job)
        return
    # What a worker imports, once, in the fork server: this module, and the module of the compile that the files'
    # transactions run (given from above: the raw layer does not import compile).
    held = {job[5].__module__ for job in jobs if job[5] is not None}
    with fork_server([__name__, *sorted(held)]) as context:
        outcomes: Outcomes = context.Queue()
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(db.resolve_url(), os.getpid(), outcomes)
        ) as pool:
            with without_main_module():  # the processes start as jobs are submitted
                runs = file_runs(sizes, workers)
                futures = [pool.submit(_store_run, [jobs[n] for n in run], run.start) for run in runs]
            for _ in jobs:
                number, outcome = _next_outcome(outcomes, futures)
                yield jobs[number][3], outcome
            for future in futures:
                future.result()


def _next_outcome(outcomes: Outcomes, futures: list[Future[None]]) -> tuple[int, FileOutcome]:
    """The next file's outcome; raises what a run raised (a worker that died too), as soon as no outcome comes."""
    while True:
        try:
            return outcomes.get(timeout=POLL_SECONDS)
        except queue.Empty:
            for future in futures:
                if future.done():
                    future.result()


_worker_conn: psycopg.Connection | None = None
_worker_outcomes: Outcomes | None = None


def _start_worker(url: str, command: int, outcomes: Outcomes) -> None:
    global _worker_conn, _worker_outcomes  # one connection per worker process
    die_with_parents(command)
    _worker_conn = db.connect(url, autocommit=True)
    _worker_outcomes = outcomes


def _store_run(jobs: list[tuple[Any, ...]], first: int) -> None:
    """Store a run of files in order (each in its own transaction, as alone), telling each file's outcome as it
    ends (``first``: the number of the run's first job)."""
    assert _worker_conn is not None and _worker_outcomes is not None
    for number, job in enumerate(jobs, first):
        _worker_outcomes.put((number, store_file(_worker_conn, *job)))
