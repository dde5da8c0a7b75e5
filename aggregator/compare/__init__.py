"""Comparing: indicators, red flags and data quality, computed in the database from the normalized layer (red
flags from each publisher's compiled releases).

``catalogue`` (what each indicator means, as data), ``refresh`` (the three parts, each by delta from the processes
that changed: ``changes``), ``facts`` (indicators: one row of facts per process, groups' sums, buyers' sums, medians
by rank), ``quality`` (field coverage and checks: bit masks per process), ``show`` (their rows as tables),
``red_flags`` and ``flag_facts`` (Cardinal's red flags in the database, by compiled release; the pure functions in
``redflags/``).

May import: the base, ``aggregator.raw``, ``compile``, ``normalize`` and this package.
"""
