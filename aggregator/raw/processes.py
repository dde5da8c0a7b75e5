"""Worker processes, spawned (a fresh interpreter each, never a fork of a process holding connections and threads)
or forked from a fork server (:func:`fork_server`, itself a fresh interpreter, which imported their modules once):
each imports only what its target needs, and dies with the process that started it."""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
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


#: What the fork server imports first (see :func:`fork_server`).
FORK_SERVER_GUARD = "aggregator.raw.forkserver_guard"


@contextmanager
def fork_server(preload: list[str]) -> Iterator[multiprocessing.context.BaseContext]:
    """A ``multiprocessing`` context whose processes are forked from a fork server: a fresh interpreter (no
    connection, no thread) that imports the modules ``preload`` names once, where a spawned process imports them
    itself. Measured on the load of 204 MB (README, "Development"): each spawned worker cost about 0.3 CPU s (its
    imports and start; 8 workers 2.2 s more than one), each forked one about 0.14 s.

    No process outlives its command: the fork server dies with this process (:mod:`aggregator.raw.forkserver_guard`),
    and a worker forked from it calls :func:`die_with_parent` with the server's id and ``os.getpid()`` of this process
    (see :func:`die_with_parents`). The fork server is stopped when the block ends, once the processes started in it
    have ended (so that its CPU time and theirs count in this process's children's, and a later block starts a fresh
    one, which reads the environment as it is then). Start the processes in :func:`without_main_module` as with
    ``spawn``: each process forked still prepares itself as a spawned one would. CPython keeps one fork server per
    process: blocks must not overlap in one process (the first to end would wait for the other's processes).

    Where there is no parent-death signal (not Linux), nothing would kill the fork server with its command: the
    processes are spawned there, each dying with the command by its watchdog."""
    if _prctl() is None:
        yield multiprocessing.get_context("spawn")
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([FORK_SERVER_GUARD, *preload])
    try:
        yield context
    finally:
        server = multiprocessing.forkserver._forkserver
        stop = getattr(server, "_stop", None)  # CPython's own (its tests use it); wait for the server to end
        if stop is not None:
            stop()


def die_with_parents(command: int) -> None:
    """:func:`die_with_parent` for a process forked from :func:`fork_server`'s server, whose ``command`` (the process
    that started the server) is alive: the worker dies with the server, which dies with the command. A server gone
    before the worker set its signal (then the command is gone too) ends the worker here."""
    die_with_parent(os.getppid())
    try:
        os.kill(command, 0)
    except (ProcessLookupError, PermissionError):  # gone, or its id taken by a process of another user
        os._exit(1)


#: <linux/prctl.h>
PR_SET_PDEATHSIG = 1
#: Seconds between two looks of a child's watchdog at its parent.
WATCH_EVERY = 1.0


def parent_death_signal() -> Callable[[], None] | None:
    """What a child started with ``subprocess`` runs before it starts (its ``preexec_fn``), so that it is killed
    when this process dies, however it dies (SIGKILL too): Linux's parent-death signal. None where there is no
    prctl (not Linux)."""
    if _prctl() is None:
        return None
    return functools.partial(set_parent_death_signal, os.getpid())


def die_with_parent(parent: int) -> None:
    """Called first in a spawned worker process (``parent`` is the id of the process that started it): the worker
    is killed when its parent dies, however the parent dies (SIGKILL too), so that no worker outlives its command,
    holding connections and the command's output.

    Two guards: Linux's parent-death signal (SIGKILL), and, on every system, a watchdog thread that ends the process
    once its parent has changed (the orphan was adopted). A job the worker was running rolls back with its
    connection, and goes back to the queue once the worker's heartbeat is stale."""
    set_parent_death_signal(parent)
    watchdog = threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True)
    watchdog.start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os._exit(1)


def set_parent_death_signal(parent: int) -> None:
    """The parent-death signal fires when the *thread* that started this process ends: start workers from a thread
    that outlives them (the command's main thread). Set after the start, so a parent already gone is checked."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
