from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from scrapy.http import Response

from crawler.spiders import PagedSpider, PeriodicSpider

#: Numbers that are not JSON, as some pages write them, and what they become (kingfisher-collect's repair).
NOT_JSON = ((b"1e9999", b"9999999"), (b" 000,", b" 0,"))


class UkFindATenderSpider(PeriodicSpider, PagedSpider):
    """
    Publisher
      Cabinet Office: Find a Tender Service (FTS)
    API documentation
      https://www.find-tender.service.gov.uk/apidocumentation/1.0/GET-ocdsReleasePackages
    Shape
      Release packages of the notices updated in 6-hour windows (``updatedFrom``, ``updatedTo``, UTC date-times,
      ``PeriodicSpider``: longer windows do not return every release), each window paged with ``links.next``
      (``cursor``) (``PagedSpider``).
    Spider arguments
      from_date, until_date: the windows' bounds (an incremental crawl starts at its exact date-time)
    Caveats
      At most 12 requests in 2 minutes (the load balancer answers 429 "12 request limit in 2 minute exceeded",
      without ``Retry-After``): one request every 10 s, and a 429 is retried after 2 minutes; 503 is retried too.
      Some pages hold numbers that are not JSON (``1e9999``, ``000``): they are rewritten before the page is
      stored, with an ``info`` note. About 4 windows a day from 2021: a full crawl takes about a day.
    """

    name = "uk_find_a_tender"

    # PublisherSpider
    country = "GB"
    publisher_name = "Cabinet Office: Find a Tender Service"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.find-tender.service.gov.uk"
    licence = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-h6vhtk-",)
    concurrency = 1
    rate_limit = (12, 120)
    dates_at_load = False  # the windows are the publisher's own filter
    facts_from = (
        "kingfisher-collect:united_kingdom_fts@2026-07",
        "https://www.find-tender.service.gov.uk/apidocumentation/1.0/GET-ocdsReleasePackages",
    )

    # PeriodicSpider
    url_template = (
        "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages?updatedFrom={start}&updatedTo={end}"
    )
    period = timedelta(hours=6)
    date_format = "%Y-%m-%dT%H:%M:%SZ"
    default_from_date = "2021-01-01"

    def parse(self, response: Response) -> Iterator[Any]:
        # The publisher's invalid numbers would make the whole page unreadable, its releases and its next link lost.
        body = response.body
        for wrong, right in NOT_JSON:
            body = body.replace(wrong, right)
        if body != response.body:
            message = "numbers that are not JSON (1e9999, 000) were rewritten before the page was stored"
            yield self.note("info", "invalid_numbers_rewritten", message, url=response.url)
            response = response.replace(body=body)
        yield from super().parse(response)
