"""The raw layer: what publishers published, stored as they published it, with provenance.

Reading files of any shape (archives, streams, encodings, envelopes, spreadsheets), storing each file as a
``crawl_file`` with its releases and records (bodies once, keyed by their hash) and every problem as a note, and
the publisher and crawl rows everything points to.

May import: the base (``aggregator.db``, ``settings``, ``errors``, ``notes``, ``migrate``, ``dates``, ``fetch``,
``standard``) and this package. Nothing above it (compile, normalize, compare, publish, operate, cli).
"""
