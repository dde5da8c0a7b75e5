"""Errors that carry what went wrong as data; the CLI (``aggregator.cli.guard``) decides how to show them."""

from __future__ import annotations


class AtlasError(Exception):
    """An error the user can act on; the CLI prints its message and exits non-zero, without a traceback."""


def describe(error: BaseException) -> str:
    """The error as one line: ``Type: message``, then what caused it, down the chain of causes. A library's wrapper
    often says little (procrastinate's ``ConnectorException: Database error.`` over the psycopg error that says the
    disk is full): the cause is what a person acts on. An :class:`AtlasError`'s message is written to be read
    alone, and says what it needs of its cause."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # The first line: psycopg's DETAIL, HINT and CONTEXT (a whole SQL statement) are lines of their own.
        text = next((line.strip() for line in str(current).splitlines() if line.strip()), "")
        if isinstance(current, AtlasError):
            parts.append(text)
            break
        if not parts or text not in parts[-1]:  # a wrapper that repeats its cause's message says it once
            parts.append(f"{type(current).__name__}: {text}" if text else type(current).__name__)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "; caused by ".join(parts) or type(error).__name__
