"""The ``ocds-atlas`` command: every command module registered on one application."""

from __future__ import annotations

from aggregator.cli import access, database, flow, indicators, notes, operations, publishers
from aggregator.cli.app import app, command

__all__ = ["access", "app", "flow", "main", "notes", "operations"]

app.add_typer(indicators.indicators_app, name="indicators")
app.add_typer(publishers.publishers_app, name="publishers")
app.add_typer(database.db_app, name="db")
command("red-flags")(indicators.red_flags_command)
command("quality")(indicators.quality)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
