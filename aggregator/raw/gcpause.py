"""Pausing Python's cyclic garbage collector while a batch of parsed JSON is worked on.

A batch holds hundreds of thousands of dicts and lists. Each allocation counts towards the collector's thresholds, so
the collector runs again and again over objects that are all still in use, and that can never form a cycle (parsed
JSON is a tree). Measured on a compile of 36,687 releases: a fifth of its time. Reference counting still frees
everything as usual; only cycles wait until the collector is resumed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for the block (nested blocks are fine), then resume it if it was running."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
