"""Comparing: indicators, red flags and data quality, computed in the database from the normalized layer (red
flags from each publisher's compiled releases).

``catalogue`` (what each indicator means, as data), ``refresh`` (computing them), ``show`` (their rows as tables),
``red_flags`` (Cardinal's red flags in the database; the pure functions in ``redflags/``).

May import: the base, ``aggregator.raw``, ``compile``, ``normalize`` and this package.
"""
