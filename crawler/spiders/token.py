"""``AccessTokenSpider``: an API that wants an access token, asked for with credentials before anything else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import orjson
import scrapy
from scrapy.http import Response

from crawler.items import FailedRequest
from crawler.spiders.base import PublisherSpider
from crawler.spiders.paged import resolve_pointer


class AccessTokenSpider(PublisherSpider):
    """
    Combine it with the base that reads the API (``class X(AccessTokenSpider, PeriodicSpider)``); every request then
    carries the token, and waits for it.

    token_url
      Where the token is asked for, with a POST.
    token_headers, token_body
      The token request's headers and JSON body (flat, strings). ``{NAME}`` in a value is replaced by the value of
      the credential ``NAME``, which the spider declares in ``credentials`` (e.g. a request token in
      ``Authorization``, a client secret in the body: ``{"clientSecret": "{EXAMPLE_CLIENT_SECRET}"}``).
    token_pointer
      The JSON pointer of the token in the answer (default ``/access_token``).
    token_scheme
      What goes before the token in each request's ``Authorization`` header (e.g. ``Bearer``; default nothing).
    token_expired_statuses
      The statuses with which the API says the token expired (default ``(401,)``): a new token is asked for (once
      for all the requests answered so meanwhile), and the request sent again with it, once.

    The token's answer is never stored or logged: it is a credential.
    """

    abstract = True
    token_url: ClassVar[str]
    token_headers: ClassVar[dict[str, str]] = {}
    token_body: ClassVar[dict[str, str]] = {}
    token_pointer: ClassVar[str] = "/access_token"
    token_scheme: ClassVar[str] = ""
    token_expired_statuses: ClassVar[tuple[int, ...]] = (401,)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_token(cls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.authorization = ""
        self.waiting: list[scrapy.Request] = []
        async for request in super().start():
            self.waiting.append(request)
        yield self.token_request()

    def token_request(self) -> scrapy.Request:
        values = {name: self.credential(name) for name in self.credentials}
        headers = {"Content-Type": "application/json", **_filled(self.token_headers, values)}
        return scrapy.Request(
            self.token_url,
            method="POST",
            headers=headers,
            body=orjson.dumps(_filled(self.token_body, values)),
            callback=self.parse_token,
            errback=self.failed,
            dont_filter=True,
            priority=1000,
        )

    def parse_token(self, response: Response) -> Iterator[Any]:
        try:
            token = resolve_pointer(orjson.loads(response.body), self.token_pointer)
        except orjson.JSONDecodeError:
            token = None
        if not isinstance(token, str) or not token:
            message = f"the token's answer has no token at {self.token_pointer}: nothing can be requested"
            yield FailedRequest(response.url, response.status, message, "access_token_missing")
            return
        self.authorization = f"{self.token_scheme} {token}".strip()
        waiting, self.waiting = self.waiting, []
        for request in waiting:
            yield self.authorized(request)

    def authorized(self, request: scrapy.Request) -> scrapy.Request:
        """The request with the current token (a copy: it may have been sent with an expired one)."""
        request = request.replace(dont_filter=True)
        request.headers["Authorization"] = self.authorization
        return request

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        request = super().request(url, **kwargs)
        statuses = request.meta.get("handle_httpstatus_list", [])
        request.meta["handle_httpstatus_list"] = [*statuses, *self.token_expired_statuses]
        if getattr(self, "authorization", ""):
            request.headers["Authorization"] = self.authorization
        return request

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status not in self.token_expired_statuses:
            yield from super().parse(response)
            return
        request = response.request
        if request is None or request.meta.get("token_renewed"):
            yield FailedRequest(response.url, response.status, "refused with a new access token too")
            return
        request = request.replace(meta={**request.meta, "token_renewed": True})
        used = request.headers.get("Authorization", b"").decode()
        if used != self.authorization:  # a new token came since it was sent
            yield self.authorized(request)
            return
        self.waiting.append(request)
        if len(self.waiting) == 1:
            yield self.token_request()


def _filled(values: dict[str, str], credentials: dict[str, str]) -> dict[str, str]:
    return {key: value.format_map(credentials) for key, value in values.items()}


def check_token(cls: type[AccessTokenSpider]) -> None:
    """Refuse a token spider whose declarations are missing, or that names a credential it does not declare."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(getattr(cls, "token_url", None), str) or not cls.token_url:
        raise TypeError(f"{where} must declare token_url (a non-empty string)")
    for attribute in ("token_headers", "token_body"):
        for value in getattr(cls, attribute).values():
            try:
                value.format_map({name: "" for name in cls.credentials})
            except (KeyError, ValueError, AttributeError) as error:
                raise TypeError(f"{where}.{attribute} names no declared credential: {error}") from None
