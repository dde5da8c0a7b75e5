"""Compiling: each OCID's releases and records merged into one compiled release, by the standard's rules.

``rules`` (the release schema patched with the data's extensions, their patches fetched by ``extensions``), ``merge``
and ``fastmerge`` (pure), ``run`` (the queue of OCIDs a load touched, read in batches), ``store`` (what a batch
merged, written with its notes) and ``held`` (a load's own compile, from the bodies it has just parsed).

May import: the base, ``aggregator.raw`` and this package. Parallel runs are handed a runner from above
(``aggregator.operate.workers``), never imported from here.
"""
