"""Errors that the CLI reports as one clear line."""


class AtlasError(Exception):
    """An error the user can act on; the CLI prints its message and exits non-zero, without a traceback."""
