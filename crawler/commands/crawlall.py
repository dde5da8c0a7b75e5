"""``scrapy crawlall [NAME …]``: run every publisher's spider at once (the sandbox's only when asked), or those
named. A spider whose publication is gone (``available = False``) is skipped, with a line saying since when and why,
unless it is named.

``--dry-run`` checks that each live endpoint answers: each spider's first request is made (with its retries), its
answer's status and time are reported, and nothing is parsed or stored. A spider that needs arguments (the OCP
Data Registry's ``publication``) is skipped, unless it declares ``dry_run_arguments`` for a dry
run."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any, Self

from scrapy import Request
from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response

#: Close reasons of a crawl that ended as it should (as :data:`aggregator.operate.intake.SUCCESSFUL`).
SUCCESSFUL = ("finished", "sample")
_FIRST = "ocds_atlas_dry_run_first"
_STARTED = "ocds_atlas_dry_run_started"


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] [spider …]"

    def short_desc(self) -> str:
        return "Run every publisher's spider; --dry-run requests each one's first URL only and stores nothing"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="request each spider's first URL only; store nothing"
        )
        parser.add_argument("--sample", type=int, metavar="N", help="stop each spider after N releases or records")
        parser.add_argument("--include-sandbox", action="store_true", help="run the sandbox spiders too")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.sample is not None and opts.sample < 1:
            raise UsageError("--sample must be at least 1")
        if opts.dry_run:
            self.settings.set("ITEM_PIPELINES", {}, priority="cmdline")
            # Before every other middleware, so that the time it reports is the whole answer's, retries included.
            middlewares = {**self.settings.getdict("DOWNLOADER_MIDDLEWARES"), f"{__name__}.FirstRequestOnly": 10}
            self.settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        loader = self.crawler_process.spider_loader
        choice = choose_spiders(loader, sorted(set(args)), opts.include_sandbox, opts.dry_run)
        if not choice:
            print("no spider to run (the sandbox's are left out unless --include-sandbox)")
            return
        arguments = {} if opts.dry_run or opts.sample is None else {"sample": opts.sample}
        for name, reason in choice.items():
            if reason:
                print(f"{name}: skipped, {reason}")
        names = [name for name, reason in choice.items() if not reason]
        if not names:
            return
        crawlers = {name: self.crawler_process.create_crawler(name) for name in names}
        with _files_store_elsewhere() if opts.dry_run else contextlib.nullcontext():
            for crawler in crawlers.values():
                extra = getattr(crawler.spidercls, "dry_run_arguments", {}) if opts.dry_run else {}
                self.crawler_process.crawl(crawler, **arguments, **extra)
            self.crawler_process.start()
        report = dry_run_outcome if opts.dry_run else crawl_outcome
        failed = 0
        for name, crawler in crawlers.items():
            ok, line = report(crawler.stats.get_stats() if crawler.stats else {})
            failed += not ok
            print(f"{name}: {line}")
        self.exitcode = 1 if failed or self.crawler_process.bootstrap_failed else 0


def choose_spiders(
    spider_loader: Any, named: list[str], include_sandbox: bool, dry_run: bool, gone_unnamed: bool = True
) -> dict[str, str | None]:
    """The spiders a command runs, each with why it is skipped (None: it runs), in order: the ``named`` ones, or
    else every spider (the sandbox's only with ``include_sandbox``; those whose publication is gone only with
    ``gone_unnamed``, as skipped). A name that is no spider is a usage error."""
    unknown = sorted(set(named) - set(spider_loader.list()))
    if unknown:
        raise UsageError(f"no such spider(s): {', '.join(unknown)}")
    names = list(dict.fromkeys(named)) or spiders_to_run(spider_loader, include_sandbox)
    choice = {name: skip_reason(spider_loader.load(name), dry_run, named=bool(named)) for name in names}
    if named or gone_unnamed:
        return choice
    return {name: reason for name, reason in choice.items() if getattr(spider_loader.load(name), "available", True)}


def spiders_to_run(spider_loader: Any, include_sandbox: bool) -> list[str]:
    """Every spider's name, sorted; the sandbox's only with ``include_sandbox``."""
    names = sorted(spider_loader.list())
    return [n for n in names if include_sandbox or not getattr(spider_loader.load(n), "is_sandbox", False)]


def missing_credentials(spider: Any) -> list[str]:
    """The environment variables a spider declares in ``credentials`` that are not set."""
    return [name for name in getattr(spider, "credentials", ()) if not os.environ.get(name)]


def skip_reason(spider: Any, dry_run: bool, named: bool = False) -> str | None:
    """Why a spider is not run: its publication is gone (unless it is ``named``), credentials are missing, or it
    needs arguments (which a dry run may supply)."""
    if not named and not getattr(spider, "available", True):
        since, reason = getattr(spider, "unavailable_since", None), getattr(spider, "unavailable_reason", None)
        return f"unavailable since {since}: {reason} (name it to crawl it anyway)"
    missing = missing_credentials(spider)
    if missing:
        return f"needs the credential(s) {', '.join(missing)}"
    needed = getattr(spider, "required_arguments", ())
    if needed and not (dry_run and getattr(spider, "dry_run_arguments", None)):
        return f"needs the argument(s) {', '.join(needed)}: crawl it with scrapy crawl {spider.name} -a …"
    return None


def dry_run_outcome(stats: dict[str, Any]) -> tuple[bool, str]:
    status = stats.get("ocds_atlas/dry_run_status")
    if status is None:
        errors = sorted(k.rpartition("/")[2] for k in stats if k.startswith("downloader/exception_type_count/"))
        return False, f"no response ({', '.join(errors) or stats.get('finish_reason', 'not started')})"
    seconds = stats.get("ocds_atlas/dry_run_seconds")
    took = f" in {seconds:.2f} s" if seconds is not None else ""
    return status < 400, f"HTTP {status}{took} {stats.get('ocds_atlas/dry_run_url')}"


def crawl_outcome(stats: dict[str, Any]) -> tuple[bool, str]:
    reason = stats.get("finish_reason", "not started")
    releases, records = stats.get("ocds_atlas/releases", 0), stats.get("ocds_atlas/records", 0)
    return reason in SUCCESSFUL, f"{reason}, {releases} releases, {records} records"


@contextlib.contextmanager
def _files_store_elsewhere() -> Iterator[None]:
    """A dry run stores nothing: spiders write their responses to a directory deleted afterwards."""
    previous = os.environ.get("OCDS_ATLAS_HOME")
    with tempfile.TemporaryDirectory(prefix="ocds-atlas-dry-run-") as home:
        os.environ["OCDS_ATLAS_HOME"] = home
        try:
            yield
        finally:
            if previous is None:
                del os.environ["OCDS_ATLAS_HOME"]
            else:
                os.environ["OCDS_ATLAS_HOME"] = previous


class FirstRequestOnly:
    """A dry run's downloader middleware: lets a spider's first request through (and its retries), ignores the
    others, and records the first request's final response (status, URL, seconds since the first attempt) in the
    stats. The response is not handed to the spider: a dry run parses and stores nothing."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.passed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get(_FIRST):
            return
        if self.passed:
            raise IgnoreRequest("dry run: only the first request is made")
        self.passed = True
        request.meta[_FIRST] = True
        request.meta[_STARTED] = time.monotonic()

    def process_response(self, request: Request, response: Response) -> Response:
        # A response the retry middleware retries never comes back this far: this is the final answer.
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("ocds_atlas/dry_run_status", response.status)
        self.crawler.stats.set_value("ocds_atlas/dry_run_url", response.url)
        self.crawler.stats.set_value("ocds_atlas/dry_run_seconds", time.monotonic() - request.meta[_STARTED])
        raise IgnoreRequest(f"dry run: HTTP {response.status} recorded, not parsed")
