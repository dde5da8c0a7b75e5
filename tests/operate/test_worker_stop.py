"""Workers stop: a worker's look for stalled jobs ends when the worker stops, even while a look is under way; a
command's local workers and their fork server end when starting one of them fails.

The look used to be cancelled, and a cancel that landed while a look was under way could be lost: the worker then
never stopped (its command killed it a minute later). The looks here are fakes, so no database is needed.
"""

import asyncio
import multiprocessing.forkserver
import time

import pytest

from aggregator.operate import workers


def recover_in(stop_during: int, looks: list[str], stop: asyncio.Event, seconds: float = 0.05):
    """A look for stalled jobs that takes ``seconds`` and sets ``stop`` during the ``stop_during``-th look; like a
    query, it does not end early when the stop comes."""

    async def recover(app: object, options: object) -> int:
        looks.append("started")
        if len(looks) == stop_during:
            stop.set()
        await asyncio.sleep(seconds)
        looks[-1] = "ended"
        return 0

    return recover


def test_a_stop_during_a_look_ends_the_loop_when_that_look_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    looks: list[str] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        monkeypatch.setattr(workers, "recover_stalled_jobs", recover_in(2, looks, stop))
        task = asyncio.create_task(workers._recover_until(stop, None, workers.WorkerOptions(0.01)))
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())

    assert looks == ["ended", "ended"]


def test_a_stop_between_looks_ends_the_loop_without_waiting_for_the_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    looks: list[str] = []

    async def scenario() -> float:
        stop = asyncio.Event()
        monkeypatch.setattr(workers, "recover_stalled_jobs", recover_in(0, looks, stop))
        task = asyncio.create_task(workers._recover_until(stop, None, workers.WorkerOptions(60.0)))
        await asyncio.sleep(0.05)
        stop.set()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(task, 5)
        return loop.time() - started

    waited = asyncio.run(scenario())

    assert looks == []
    assert waited < 1.0


def test_a_failed_start_ends_the_workers_started_and_their_fork_server(monkeypatch: pytest.MonkeyPatch) -> None:
    local = workers.LocalWorkers("postgresql://unused", 2, workers.WorkerOptions())
    started: list[multiprocessing.process.BaseProcess] = []

    def start() -> multiprocessing.process.BaseProcess:
        if started:
            raise OSError("no more processes")
        process = local.context.Process(target=time.sleep, args=(60,))
        process.start()
        started.append(process)
        return process

    monkeypatch.setattr(local, "_start", start)
    with pytest.raises(OSError, match="no more processes"), local:
        pytest.fail("the block ran although a worker did not start")

    assert started[0].exitcode == -15  # SIGTERM, as at the end of a block
    assert multiprocessing.forkserver._forkserver._forkserver_pid is None
