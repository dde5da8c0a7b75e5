"""ARCE's monthly RSS feeds of Uruguay's purchases (an ``item`` per release), read by two spiders."""

from collections.abc import Iterator
from typing import Any

from scrapy.http import Request, Response, TextResponse

from crawler.spiders import PeriodicSpider

ARCE_DOCS = "https://www.gub.uy/agencia-compras-contrataciones-estado/datos-y-estadisticas/datos/open-contracting"


class UruguayArceFeedBase(PeriodicSpider):
    """
    A month's feed is ``/ocds/rss/{year}/{month}``; each ``item`` has a ``title`` such as
    ``id_compra:1211147,release_id:llamado-1211147`` and a ``link`` to that release's package. Each spider says,
    in ``item_request``, what it fetches for an item. The server refuses clients that do not look like a browser.
    """

    abstract = True

    # PublisherSpider
    country = "UY"
    publisher_name = "Agencia Reguladora de Compras Estatales (ARCE)"
    ocds_version = "1.1"
    url = "https://www.comprasestatales.gub.uy"
    licence = "https://www.agesic.gub.uy/innovaportal/file/6327/1/licencia-de-datos-abiertos.pdf"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-yfs5dr-",)
    delay = 0.9
    allowed_domains = ("comprasestatales.gub.uy",)  # the feeds' links may drop the www
    dates_at_load = True
    listings = True  # a month's RSS feed; what its items point to is OCDS
    browser_user_agent = True

    # PeriodicSpider
    url_template = "https://www.comprasestatales.gub.uy/ocds/rss/{year}/{month:02d}"
    period = "month"
    default_from_date = "2017-11-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or not response.xpath("//channel"):
            yield self.note("error", "feed_unreadable", "the month's feed is not RSS", url=response.url)
            return
        for item in response.xpath("//item"):
            title = (item.xpath("title/text()").get() or "").strip()
            link = (item.xpath("link/text()").get() or "").strip()
            request = self.item_request(response, title, link)
            if request is None:
                yield self.note("warning", "feed_item_unreadable", "a feed item names nothing to fetch", title=title)
            else:
                yield request

    def item_request(self, response: Response, title: str, link: str) -> Request | None:
        """The request for one feed item, or None when the item does not say what to fetch."""
        raise NotImplementedError
