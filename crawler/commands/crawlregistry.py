"""``scrapy crawlregistry``: crawl every publication of the OCP Data Registry whose source no available spider here
crawls (see :func:`crawler.spiders.registry.unserved_publications`), each as its own publisher
(``data_registry.<number>``, its country learnt from the registry), one after another. First a crawl of
``data_registry`` with ``publication=unserved`` reads the registry's listing and lists them (``--list`` stops
there); then each is crawled as ``scrapy crawl data_registry -a publication=<number>`` would."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from crawler.commands.crawlall import crawl_outcome
from crawler.spiders.registry import UNSERVED

SPIDER = "data_registry"


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Crawl every OCP Data Registry publication whose source no available spider here crawls"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--list", action="store_true", help="list those publications only; crawl nothing")
        parser.add_argument("--sample", type=int, metavar="N", help="stop each crawl after N compiled releases")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args:
            raise UsageError("crawlregistry takes no spider names")
        if opts.sample is not None and opts.sample < 1:
            raise UsageError("--sample must be at least 1")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        process = self.crawler_process
        assert process is not None
        finder = process.create_crawler(SPIDER)
        crawlers: dict[int, Crawler] = {}
        arguments = {} if opts.sample is None else {"sample": opts.sample}

        def crawl_next(numbers: list[int]) -> None:
            """Crawl the next publication once the previous crawl is over (one at a time: each is a whole
            publication, and each crawl compiles what it stored when it closes)."""
            if numbers:
                number = numbers.pop(0)
                crawlers[number] = process.create_crawler(SPIDER)
                crawl = process.crawl(crawlers[number], publication=str(number), **arguments)
                when_done(crawl, lambda: crawl_next(numbers))

        def crawl_listed() -> None:
            listed = list(getattr(finder.spider, "listed", []))
            print(f"{len(listed)} publication(s) whose source no available spider here crawls", flush=True)
            if not opts.list:
                crawl_next(listed)

        when_done(process.crawl(finder, publication=UNSERVED), crawl_listed)
        process.start()
        # The listing not read (not answered, not JSON): an error in the finder's log.
        finder_stats = finder.stats.get_stats() if finder.stats else {}
        failed = process.bootstrap_failed or not finder_stats.get("finish_reason") or "log_count/ERROR" in finder_stats
        for number, crawler in crawlers.items():
            ok, line = crawl_outcome(crawler.stats.get_stats() if crawler.stats else {})
            failed = failed or not ok
            print(f"{SPIDER}.{number}: {line}")
        self.exitcode = 1 if failed else 0


def when_done(crawl: Any, then: Callable[[], None]) -> None:
    """Call ``then`` as soon as a crawl is over, whatever its outcome: before the process checks whether crawls are
    still running (it stops when none is), so that a crawl ``then`` starts keeps it running. ``crawl`` is what the
    process's ``crawl`` returns: an asyncio task, or a Twisted deferred."""
    if isinstance(crawl, Deferred):
        crawl.addBoth(lambda result: (then(), result)[1])
    else:
        crawl.add_done_callback(lambda _: then())
