"""Replays of publishers without data in ``../shared/data/publishers``: each module defines ``REPLAYS`` (spider name
to ``tests.replaying.Replay``), built from small fixtures shaped as the publisher documents its responses."""

from __future__ import annotations

import importlib
import pkgutil

from tests.replaying import Replay


def more_replays() -> dict[str, Replay]:
    found: dict[str, Replay] = {}
    for module in pkgutil.iter_modules(__path__):
        replays = importlib.import_module(f"{__name__}.{module.name}").REPLAYS
        duplicated = found.keys() & replays.keys()
        assert not duplicated, f"replayed twice: {sorted(duplicated)}"
        found.update(replays)
    return found
