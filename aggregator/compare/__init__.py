"""Comparing: indicators, red flags and data quality, computed in the database from the normalized layer.

``catalogue`` (what each indicator means, as data), ``refresh`` (computing them), ``show`` (their rows as tables).

May import: the base, ``aggregator.raw``, ``compile``, ``normalize`` and this package.
"""
