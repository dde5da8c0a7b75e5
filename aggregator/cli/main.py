"""The ``ocds-atlas`` command: every command module registered on one application."""

from __future__ import annotations

from aggregator.cli import flow, indicators, operations
from aggregator.cli.app import app, command

__all__ = ["app", "flow", "main", "operations"]

app.add_typer(indicators.indicators_app, name="indicators")
command("red-flags")(indicators.red_flags_command)
command("quality")(indicators.quality)


def main() -> None:
    app()
