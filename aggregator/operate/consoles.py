"""The consoles that commands print to, in a module of their own: every command imports it, and most of them need
nothing of the pipeline's stages (importing :mod:`aggregator.operate.pipeline` for its console imported compile,
ocdsmerge and the raw layer into every command)."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    """A console that does not cut tables to 80 columns when output goes to a file or a pipe (CI, cron): 132, or
    ``COLUMNS`` when set. What it prints is never read as rich's markup: titles, names, paths and messages are data
    (a publisher titled ``[/x]`` stopped ``status``); style comes from :class:`rich.text.Text` only."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width = None if stream.isatty() else int(columns) if columns.isdigit() else 132
    return Console(stderr=stderr, width=width, markup=False)


#: Progress bars, summaries and errors.
console = make_console(stderr=True)
