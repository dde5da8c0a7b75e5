"""``scrapy probe [NAME …]``: whether each publication answers as its spider expects, as JSON on stdout, for
``ocds-atlas probe`` and ``ocds-atlas update`` (which must not import Scrapy).

Each spider's first request(s) (``--requests``, from its ``start()``, with the arguments it would crawl with) go
through Scrapy's own downloader, with its settings (user agent, allowed domains, a POST's body), without retries and
with a short timeout (``--timeout``). Only the first ``--bytes`` of each answer are read. For each answer: its HTTP
status, seconds, content type, and whether the body is what the spider expects: OCDS of its ``data_type``
(:func:`aggregator.raw.expect.classify_body`), or, for a spider with ``listings``, a listing from which its
``parse_listing`` names at least one request and notes no error. Nothing is parsed further or stored.

By default every available real spider is probed; a spider whose publication is gone only when named. A spider that
cannot start (credentials missing, arguments needed without ``dry_run_arguments``) is reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from collections.abc import Callable
from typing import Any, Self

from scrapy import Request, signals
from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, StopDownload, UsageError
from scrapy.http import Response

from aggregator.raw.expect import Verdict, classify_body
from crawler.commands.crawlall import _files_store_elsewhere, choose_spiders
from crawler.items import CrawlNote
from crawler.spiders.declarations import OCDS_DATA

_PROBED = "ocds_atlas_probed"
_STARTED = "ocds_atlas_probe_started"
STATS_KEY = "ocds_atlas/probe"


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] [spider …]"

    def short_desc(self) -> str:
        return "Request each publication's first URL(s) and say, as JSON, whether it answers as the spider expects"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for each answer")
        parser.add_argument("--requests", type=int, default=1, metavar="N", help="first requests made per spider")
        parser.add_argument("--bytes", type=int, default=1 << 20, metavar="N", help="bytes read of each answer")
        parser.add_argument("--include-sandbox", action="store_true", help="probe the sandbox spiders too")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if opts.requests < 1 or opts.bytes < 1 or opts.timeout <= 0:
            raise UsageError("--requests, --bytes and --timeout must be positive")
        middlewares = {**self.settings.getdict("DOWNLOADER_MIDDLEWARES"), f"{__name__}.ProbeMiddleware": 10}
        overrides = {
            "ITEM_PIPELINES": {},
            "DOWNLOADER_MIDDLEWARES": middlewares,
            # Scrapy's own handlers: the bytes_received signal stops each answer after --bytes.
            "DOWNLOAD_HANDLERS": {},
            "RETRY_ENABLED": False,
            "DOWNLOAD_TIMEOUT": opts.timeout,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "OCDS_ATLAS_PROBE_REQUESTS": opts.requests,
            "OCDS_ATLAS_PROBE_BYTES": opts.bytes,
        }
        self.settings.setdict(overrides, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        loader = self.crawler_process.spider_loader
        # A named spider is probed even if its publication is gone; unnamed, such a spider is left out.
        choice = choose_spiders(loader, args, opts.include_sandbox, dry_run=True, gone_unnamed=False)
        results: dict[str, dict[str, Any]] = {}
        crawlers = {}
        for name, reason in choice.items():
            spider = loader.load(name)
            results[name] = declared(spider)
            if reason or not hasattr(spider, "data_type"):
                results[name]["skipped"] = reason or "not a publisher's spider"
            else:
                crawlers[name] = self.crawler_process.create_crawler(name)
        with _files_store_elsewhere():
            for crawler in crawlers.values():
                # A spider that needs arguments is probed with those of a dry run (the registry: its listing).
                self.crawler_process.crawl(crawler, **getattr(crawler.spidercls, "dry_run_arguments", {}))
            if crawlers:
                self.crawler_process.start()
        for name, crawler in crawlers.items():
            stats = crawler.stats.get_stats() if crawler.stats else {}
            requests = stats.get(STATS_KEY, [])
            results[name]["requests"] = requests
            results[name]["ok"] = bool(requests) and all(r["ok"] for r in requests)
            if not requests:
                results[name]["problem"] = (
                    f"no request was made ({stats.get('finish_reason', 'the spider did not start')})"
                )
        print(json.dumps([results[name] for name in choice], ensure_ascii=False))


def spiders_to_probe(spider_loader: Any, include_sandbox: bool) -> list[str]:
    """The spiders probed when none is named: every real one (the sandbox's too with ``include_sandbox``) whose
    publication is not gone."""
    return list(choose_spiders(spider_loader, [], include_sandbox, dry_run=True, gone_unnamed=False))


def declared(spider: Any) -> dict[str, Any]:
    """What the probe says of a spider besides its answers."""
    return {
        "spider": spider.name,
        "is_sandbox": getattr(spider, "is_sandbox", False),
        "available": getattr(spider, "available", True),
        "unavailable_since": getattr(spider, "unavailable_since", None),
        "unavailable_reason": getattr(spider, "unavailable_reason", None),
        "expected": "a listing" if getattr(spider, "listings", False) else getattr(spider, "data_type", None),
        "ok": None,
        "skipped": None,
        "problem": None,
        "requests": [],
    }


def listing_verdict(callback: Callable[[Response], Any], response: Response) -> Verdict:
    """Whether a listing names what the spider follows: at least one request (or, for a listing the spider prints,
    as the registry's ``publication=list``, one line), and no error note."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            yielded = list(callback(response) or ())
    except Exception as error:  # the spider's own code met an answer it cannot read
        return Verdict(False, "an unreadable listing", f"the listing cannot be read: {type(error).__name__}: {error}")
    requests = [r for r in yielded if isinstance(r, Request)]
    errors = [n for n in yielded if isinstance(n, CrawlNote) and n.level == "error"]
    lines = printed.getvalue().splitlines()
    if errors:
        return Verdict(False, "a listing with errors", errors[0].message)
    if requests:
        return Verdict(True, f"a listing naming {len(requests)} request(s)")
    if lines:
        return Verdict(True, f"a listing of {len(lines)} entries")
    return Verdict(False, "a listing naming nothing", "the listing names no request")


def response_verdict(spider: Any, request: Request, response: Response) -> Verdict:
    """What an answer is worth: an error status; a listing (an answer for the spider's ``parse_listing``, or for
    another callback of its own); else OCDS of the spider's data type."""
    if response.status >= 400:
        return Verdict(False, f"HTTP {response.status}", f"the publisher answered HTTP {response.status}")
    callback = request.callback or spider.parse
    if callback != spider.parse:
        return listing_verdict(callback, response)
    if getattr(spider, "listings", False) and not response.meta.get(OCDS_DATA):
        return listing_verdict(spider.parse_listing, response)
    if getattr(spider, "data_format", None):
        return Verdict(True, f"a {spider.data_format} file (not checked further)")
    cut = "download_stopped" in response.flags
    return classify_body(response.body, spider.data_type, root_path=spider.root_path, encoding=spider.encoding, cut=cut)


class ProbeMiddleware:
    """Lets a spider's first ``OCDS_ATLAS_PROBE_REQUESTS`` requests through and ignores the others; reads at most
    ``OCDS_ATLAS_PROBE_BYTES`` of each answer; records each answer (or failure) in the stats, never hands it to the
    spider."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("OCDS_ATLAS_PROBE_REQUESTS", 1)
        self.max_bytes = crawler.settings.getint("OCDS_ATLAS_PROBE_BYTES", 1 << 20)
        self.passed = 0
        self.received: dict[int, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        received = self.received.get(id(request), 0) + len(data)
        self.received[id(request)] = received
        if received >= self.max_bytes:
            raise StopDownload(fail=False)

    def process_request(self, request: Request) -> None:
        if request.meta.get(_PROBED):
            return
        if self.passed >= self.limit:
            raise IgnoreRequest("probe: only the first requests are made")
        self.passed += 1
        request.meta[_PROBED] = True
        request.meta[_STARTED] = time.monotonic()

    def process_response(self, request: Request, response: Response) -> Response:
        verdict = response_verdict(self.crawler.spider, request, response)
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        self._record(request, response.status, content_type, len(response.body), verdict)
        raise IgnoreRequest(f"probe: HTTP {response.status} recorded")

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.get(_PROBED) and not isinstance(exception, IgnoreRequest):
            problem = f"{type(exception).__name__}: {exception}".rstrip(": ")
            self._record(request, None, None, None, Verdict(False, "no answer", problem))

    def _record(
        self, request: Request, status: int | None, content_type: str | None, size: int | None, verdict: Verdict
    ) -> None:
        assert self.crawler.stats is not None
        seconds = round(time.monotonic() - request.meta[_STARTED], 3)
        row = {
            "url": request.url,
            "method": request.method,
            "status": status,
            "seconds": seconds,
            "content_type": content_type,
            "bytes": size,
            "ok": verdict.ok,
            "found": verdict.found,
            "problem": verdict.problem,
        }
        self.crawler.stats.set_value(STATS_KEY, [*self.crawler.stats.get_value(STATS_KEY, []), row])
