"""Errors that carry what went wrong as data; the CLI (``aggregator.cli.guard``) decides how to show them."""

from __future__ import annotations


class AtlasError(Exception):
    """An error the user can act on; the CLI prints its message and exits non-zero, without a traceback."""
