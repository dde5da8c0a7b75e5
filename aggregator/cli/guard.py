"""How a command fails: one clear line and a non-zero exit, never a traceback (``OCDS_ATLAS_DEBUG=1`` shows it)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import typer
from rich.text import Text

from aggregator.errors import describe
from aggregator.operate.consoles import console
from aggregator.operate.observability import report_failure


def guarded(function: Callable[..., None]) -> Callable[..., None]:
    """A CLI command whose failures exit non-zero with one clear line, without a traceback (set
    OCDS_ATLAS_DEBUG=1 to see it); an interruption exits 130."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            console.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as error:
            report_failure(error)  # once: Sentry's excepthook drops the same error if it is re-raised below
            if os.environ.get("OCDS_ATLAS_DEBUG"):
                raise
            message = describe(error)  # with its cause: "ConnectorException: Database error." alone said nothing
            # One line, however long; the message is data (names, titles, paths), never markup.
            console.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run
