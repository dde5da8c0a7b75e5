"""Worker processes, spawned (a fresh interpreter each, never a fork of a process holding connections and threads):
each imports only what its target needs."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_main_module() -> Iterator[None]:
    """Processes spawned in the block do not run the command's main module again.

    ``multiprocessing`` makes every spawned process import the parent's main module, for targets defined there. Ours
    live in modules the process imports itself, and the main module of the ``ocds-atlas`` script imports the whole
    command line (pyarrow, numpy, the extension registry…): measured with py-spy, 40 % of each load worker's time
    on 51 MB with 2 workers, and a quarter of each compile and normalize worker's."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")  # no __spec__, no __file__: nothing to import again
    try:
        yield
    finally:
        sys.modules["__main__"] = main
