"""Red flags equal to Cardinal's (open-contracting/cardinal-rs 0.0.8), as pure functions: settings in Cardinal's
INI format, its ``prepare`` corrections, and its eleven indicators over compiled releases."""

from aggregator.compare.redflags.prepare import prepare, prepare_all
from aggregator.compare.redflags.run import Result, Row, run
from aggregator.compare.redflags.settings import Settings, parse_settings, read_settings

__all__ = ["Result", "Row", "Settings", "parse_settings", "prepare", "prepare_all", "read_settings", "run"]
