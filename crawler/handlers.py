"""Downloads whose large bodies go to the files store as they arrive, never into memory.

Scrapy's HTTP/1.1 handler reads a body into a ``BytesIO`` (``_ResponseReader._bodybuf``) and hands the spider a
response holding all of it. :class:`StreamingDownloadHandler` gives that reader a :class:`SpillingBuffer`
instead: a successful response whose ``Content-Length`` exceeds ``OCDS_ATLAS_STREAM_THRESHOLD`` (default 32 MB),
or whose unknown length grows past it, is written chunk by chunk to ``spider.files``; the response then has an
empty body, the flag ``streamed``, and the file's path in ``response.meta[STREAMED_PATH]``. Everything else of the
reader stays Scrapy's: ``DOWNLOAD_MAXSIZE`` (the file is deleted and the download cancelled), ``DOWNLOAD_WARNSIZE``,
data loss, timeouts (the partial file is deleted).

A streamed body is stored as it came: with ``Content-Encoding: gzip`` the file holds gzip, which the aggregator
recognises by its magic bytes; the header is renamed ``X-Ocds-Atlas-Content-Encoding`` so that
``HttpCompressionMiddleware`` does not decompress the empty body.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _ScrapyAgent
from scrapy.crawler import Crawler
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.web.iweb import UNKNOWN_LENGTH

logger = logging.getLogger(__name__)

#: The key of ``response.meta`` that holds a streamed body's path.
STREAMED_PATH = "ocds_atlas_path"
DEFAULT_THRESHOLD = 32 << 20


class SpillingBuffer:
    """Stands in for the reader's ``BytesIO``: memory up to ``threshold`` bytes, then a ``.partial`` file renamed
    to its final name when the body is complete."""

    def __init__(self, path_for: Callable[[], Path], threshold: int, expected: int) -> None:
        self._path_for = path_for
        self._threshold = threshold
        self._memory = io.BytesIO()
        self._file: io.BufferedWriter | None = None
        self.path: Path | None = None
        if expected > threshold:
            self._spill()

    def write(self, data: bytes) -> None:
        if self._file is None and self._memory.tell() + len(data) > self._threshold:
            self._spill()
        (self._file or self._memory).write(data)

    def _spill(self) -> None:
        self.path = self._path_for()
        self._file = self._partial().open("wb")
        self._file.write(self._memory.getvalue())
        self._memory = io.BytesIO()

    def _partial(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + ".partial")

    def getvalue(self) -> bytes:
        """The body in memory, or, once spilled, b"" (the file is then complete and renamed)."""
        if self._file is None:
            return self._memory.getvalue()
        if not self._file.closed:
            self._file.close()
            partial = self._partial()
            partial.replace(partial.with_name(partial.name.removesuffix(".partial")))
        return b""

    def truncate(self, size: int = 0) -> int:
        """What the reader calls when DOWNLOAD_MAXSIZE is passed: the body is dropped."""
        self.discard()
        return self._memory.truncate(size)

    def discard(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
            self._partial().unlink(missing_ok=True)
            self.path = None
            self._file = None


class _StreamingAgent(_ScrapyAgent):
    """Scrapy's agent for one request, whose response reader gets a :class:`SpillingBuffer` (2xx responses of a
    spider with a files store only), and whose response says where a spilled body went."""

    def __init__(self, *, path_for: Callable[[str], Path] | None, threshold: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._path_for = path_for
        self._threshold = threshold
        self._buffer: SpillingBuffer | None = None
        self._request: Request | None = None

    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        if self._path_for is not None and 200 <= txresponse.code < 300:
            expected = txresponse.length if txresponse.length != UNKNOWN_LENGTH else -1
            self._request = request
            txresponse.deliverBody = self._deliver_into_buffer(txresponse.deliverBody, request, expected)
        return super()._cb_bodyready(txresponse, request)

    def _deliver_into_buffer(self, deliver: Callable[[Any], None], request: Request, expected: int) -> Any:
        path_for = self._path_for
        assert path_for is not None

        def deliver_body(reader: Any) -> None:
            # Scrapy's _ResponseReader writes every chunk to _bodybuf and reads it once, with getvalue().
            self._buffer = SpillingBuffer(lambda: path_for(request.url), self._threshold, expected)
            reader._bodybuf = self._buffer
            reader._finished.addErrback(self._discard)
            deliver(reader)

        return deliver_body

    def _discard(self, failure: Failure) -> Failure:
        if self._buffer is not None:
            self._buffer.discard()
        return failure

    def _cb_bodydone(self, result: Any, url: str) -> Response:
        response = super()._cb_bodydone(result, url)
        if self._buffer is not None and self._buffer.path is not None and self._request is not None:
            self._request.meta[STREAMED_PATH] = str(self._buffer.path)
            response.flags.append("streamed")
            encoding = response.headers.pop(b"Content-Encoding", None)
            if encoding:
                response.headers[b"X-Ocds-Atlas-Content-Encoding"] = encoding
        return response


class StreamingDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, with large bodies written to the spider's files store as they arrive."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._threshold = crawler.settings.getint("OCDS_ATLAS_STREAM_THRESHOLD", DEFAULT_THRESHOLD)

    async def download_request(self, request: Request) -> Response:
        request.meta.pop(STREAMED_PATH, None)  # a retried or redirected request starts afresh
        files = getattr(self._crawler.spider, "files", None)
        agent = _StreamingAgent(
            path_for=files.path_for if files is not None else None,
            threshold=self._threshold,
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        deferred: Deferred[Response] = agent.download_request(request)
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(deferred)
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
