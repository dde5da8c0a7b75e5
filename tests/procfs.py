"""Processes as Linux's /proc shows them, for the tests that check which processes a command starts and ends."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command's name (which may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    """The process's children, their children, and so on."""
    return [found for child in children_of(pid) for found in (child, *descendants(child))]


def parent_of(pid: int) -> int:
    return int(_stat(pid)[1])


def alive(pid: int) -> bool:
    try:
        state = _stat(pid)[0]
    except (FileNotFoundError, ProcessLookupError):  # gone, or reaped between opening its stat and reading it
        return False
    return state not in ("Z", "X")  # a zombie has ended: only its parent has not read its status yet
