"""Operating the pipeline: crawls run in a child process (``crawl_runner``) and taken in (``intake``), the stages
run with progress (``pipeline``), scheduled updates (``update``), the task queue and its workers (``tasks``,
``workers``), publisher health, retention of the files store, Scrapyd, and error reporting (``observability``).

May import: the base, every stage (raw, compile, normalize, compare, publish), ``aggregator.sandbox`` and this
package. Never ``aggregator.cli``.
"""
