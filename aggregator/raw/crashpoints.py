"""Crash points: named places where a test can have a command die as kill -9 would, to prove that running the same
command again gives what a run that never stopped gives (tests/operate/test_crashes.py).

``OCDS_ATLAS_CRASH_AT=POINT[:N]`` sends SIGKILL the N-th time (default: the first) this process reaches ``POINT``:
no exception, no ``finally``, no clean-up. ``OCDS_ATLAS_CRASH_PID``, if set, names the process killed instead (the
database server, say). Unset, a point costs one look-up in the environment.

The points, in the order a run meets them:

- ``load.batch``: a file's batch of releases written, its transaction still open;
- ``load.file``: a file stored, and its notes, committed;
- ``loader.reply``: a crawl's loader has stored a file (committed) and not yet told the crawl;
- ``load.files_done``: every file stored, the load not yet closed;
- ``compile.batch``, ``normalize.batch``: a batch written, its transaction still open;
- ``compile.batch_done``, ``normalize.batch_done``: a batch committed (here, or by a worker: the command saw it);
- ``compile.finish``, ``normalize.finish``: every batch committed, the run's closing work not begun;
- ``normalize.organizations``: the organizations refreshed and committed, the routes and the notes not yet.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

VARIABLE = "OCDS_ATLAS_CRASH_AT"
_reached: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Die here if ``OCDS_ATLAS_CRASH_AT`` says so (see the module's docstring)."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] == int(nth or 1):
        os.kill(int(os.environ.get("OCDS_ATLAS_CRASH_PID") or os.getpid()), signal.SIGKILL)
