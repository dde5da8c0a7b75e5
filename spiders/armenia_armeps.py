import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response

from crawler.spiders import PagedSpider
from crawler.spiders.paged import add_query

DAY = 86_400_000  # the offsets are timestamps in milliseconds
#: How far the search for a working offset goes: 2**10 days after the one that failed.
LAST_EXPONENT = 10
#: Where the search stops narrowing: an offset this close (45 minutes) after the last failing one is taken.
CLOSE_ENOUGH = 2_700_000
SEARCH = "armeps_search"


class ArmeniaArmepsSpider(PagedSpider):
    """
    Publisher
      Armenian e-Procurement System (ARMEPS), Procurement Support Center of the Ministry of Finance of Armenia
    API documentation
      https://armeps.am/ocds/release (undocumented; the access pattern of kingfisher-collect's ``armenia`` spider)
    Shape
      A paged API of release packages of 100 releases; the next page is at the non-standard ``next_page.uri``,
      whose ``offset`` is a timestamp in milliseconds.
    Caveats
      Some offsets answer with an HTTP error. The crawl then searches forward for an offset that answers: one day
      later, two, four… up to 1024 days (or now), then back by halves to within 45 minutes of the last failing one,
      and goes on from there; what lies between is skipped, with a note. OCIDs are ``AM-PPS-<32 hex>``, not
      registered prefixes; ``planning`` is sometimes an array.
    """

    name = "armenia_armeps"

    # PublisherSpider
    country = "AM"
    publisher_name = "Armenian e-Procurement System (ARMEPS)"
    data_type = "release_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    url = "https://armeps.am"
    update_frequency = "continuous"
    ocid_prefixes = ("AM-PPS-",)
    facts_from = ("kingfisher-collect:armenia@2026-07",)

    # PagedSpider
    start_url = "https://armeps.am/ocds/release"
    next_pointer = "/next_page/uri"

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        # A page at an offset may answer an HTTP error (after its retries): parse() searches on from it.
        if _offset(url) is not None:
            kwargs["meta"] = {"handle_httpstatus_all": True, **kwargs.get("meta", {})}
        return super().request(url, **kwargs)

    def parse(self, response: Response) -> Iterator[Any]:
        if SEARCH in response.meta:
            yield from self.probe(response)
        elif response.status >= 400:
            self.keep_unloaded(response)
            offset = _offset(response.url)
            yield self.note(
                "warning",
                "offset_failed",
                f"the page at offset {offset} answers HTTP {response.status}: searching for a later offset",
                url=response.url,
                status=response.status,
            )
            yield self._probe(response.url, {"first": offset, "low": offset, "high": None, "exponent": 0})
        else:
            yield from super().parse(response)

    def probe(self, response: Response) -> Iterator[Any]:
        """An offset tried during the search: first doubling the distance until one answers, then halving the
        interval between the last that failed (``low``) and the first that answered (``high``)."""
        self.keep_unloaded(response)
        state = dict(response.meta[SEARCH])
        offset = _offset(response.url)
        assert offset is not None
        answered = response.status < 400
        if state["high"] is None and not answered:
            if offset >= _now() or state["exponent"] >= LAST_EXPONENT:
                yield self.note(
                    "error",
                    "no_offset_answers",
                    f"no offset within {2**LAST_EXPONENT} days after the one that failed answers: the crawl ends",
                    failed_offset=state["first"],
                )
                return
            state.update(low=offset, exponent=state["exponent"] + 1)
        elif answered:
            state["high"] = offset
        else:
            state["low"] = offset + 1
        if state["high"] is not None and state["high"] - state["low"] <= CLOSE_ENOUGH:
            yield self.note(
                "warning",
                "offsets_skipped",
                "an offset failed: the crawl goes on from the first one found to answer after it, and what lies "
                "between is skipped",
                failed_offset=state["first"],
                next_offset=state["high"],
            )
            yield self.request(_with_offset(response.url, state["high"]), dont_filter=True)
            return
        yield self._probe(response.url, state)

    def _probe(self, url: str, state: dict[str, Any]) -> Any:
        if state["high"] is None:
            offset = min(state["first"] + DAY * 2 ** state["exponent"], _now())
        else:
            offset = (state["low"] + state["high"]) // 2
        meta = {SEARCH: state, "dont_retry": True}
        return self.request(_with_offset(url, offset), meta=meta, dont_filter=True)


def _offset(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("offset")
    return int(values[0]) if values and values[0].isdigit() else None


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items() if key != "offset"}
    return add_query(parts._replace(query="").geturl(), {**query, "offset": str(offset)})


def _now() -> int:
    return int(time.time() * 1000)
