"""Imported first by the fork server of :func:`aggregator.raw.processes.fork_server`, and by nothing else: the fork
server dies with the process that started it (Linux's parent-death signal). The workers it forks die with it, so
none outlives its command (see :func:`aggregator.raw.processes.die_with_parents`).

A command that died before this ran leaves the server no worker to fork: the server ends once the pipe that tells it
the command is alive closes."""

from __future__ import annotations

import os

from aggregator.raw.processes import set_parent_death_signal

set_parent_death_signal(os.getppid())
