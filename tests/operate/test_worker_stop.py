"""A worker's look for stalled jobs ends when the worker stops, even while a look is under way.

It used to be cancelled, and a cancel that landed while a look was under way could be lost: the worker then never
stopped (its command killed it a minute later). The looks here are fakes, so no database is needed.
"""

import asyncio

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
