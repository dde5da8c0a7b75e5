"""A test-only downloader middleware: every request a real spider makes goes to a local server instead.

Enabled by the setting ``OCDS_ATLAS_REPLAY_URL`` (the local server's address), which only tests pass, through
:func:`replay_settings`. The request ``https://host/path?query`` becomes ``{replay}/host/path?query``, fetched with
the same method, headers and body; the response keeps the spider's real URL, so next links, ``allowed_domains``
and the files store see what they would see in production. Redirects are not followed here: they go back to
Scrapy as they are, so its redirect middleware and ``AllowedDomainsMiddleware`` see the real ``Location``. It runs
last (900): after ``AllowedDomainsMiddleware`` and after the middlewares that set headers (User-Agent,
Accept-Encoding…).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from crawler import settings as project_settings

SETTING = "OCDS_ATLAS_REPLAY_URL"


def replay_settings(server_url: str) -> dict[str, Any]:
    """The settings a test passes to ``run_spider`` to crawl a real spider against ``server_url``."""
    return {
        SETTING: server_url,
        "DOWNLOADER_MIDDLEWARES": {**project_settings.DOWNLOADER_MIDDLEWARES, "tests.replay.ReplayMiddleware": 900},
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "OCDS_ATLAS_RETRY_BASE_DELAY": 0.01,
    }


def local_path(url: str) -> str:
    """The local server's path for a real URL: its host, then its path."""
    parts = urlsplit(url)
    return f"/{parts.hostname}{parts.path}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx reaches Scrapy as an HTTPError, below


class ReplayMiddleware:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        # The local server is on this machine: no proxy from the environment.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        base = crawler.settings.get(SETTING)
        if not base:
            raise NotConfigured
        return cls(base)

    def process_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        target = self.base + local_path(request.url) + (f"?{parts.query}" if parts.query else "")
        headers = {key.decode(): b",".join(values).decode() for key, values in request.headers.items()}
        outgoing = urllib.request.Request(target, data=request.body or None, headers=headers, method=request.method)
        try:
            with self.opener.open(outgoing, timeout=60) as reply:
                status, reply_headers, body = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, body = error.code, error.headers, error.read()
        scrapy_headers = Headers({k: v for k, v in reply_headers.items() if k.lower() != "transfer-encoding"})
        cls = responsetypes.from_args(headers=scrapy_headers, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=scrapy_headers, body=body, request=request)
