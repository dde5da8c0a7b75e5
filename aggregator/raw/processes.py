"""Worker processes, spawned (a fresh interpreter each, never a fork of a process holding connections and threads):
each imports only what its target needs."""

from __future__ import annotations

import ctypes
import os
import signal
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


#: <linux/prctl.h>
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Called first thing in a worker process: be killed when the process that started it (``parent``) dies, however
    it dies (SIGKILL too), by Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, through ctypes);
    exit at once if it has died already. Elsewhere than Linux, nothing: the worker ends when its channel closes."""
    if not sys.platform.startswith("linux"):
        return
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
