from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.spiders import PeriodicSpider


class UruguayArceReleasesSpider(PeriodicSpider):
    """
    Publisher
      Agencia Reguladora de Compras Estatales (ARCE)
    API documentation
      https://www.gub.uy/agencia-compras-contrataciones-estado/datos-y-estadisticas/datos/open-contracting
    Shape
      An RSS feed a month (``/ocds/rss/{year}/{month}``) with one ``item`` per release; each item's ``link`` is
      that release's package (``/ocds/release/{id}``, e.g. ``llamado-1343954``, ``adjudicacion-1342977``).
    Spider arguments
      from_date, until_date: the months fetched; applied to release dates as well
    Caveats
      The server refuses clients that do not look like a browser: a browser's User-Agent is sent. Each process
      has one release per stage (call, award, amendment), each in its own package; the feeds are slow, so
      requests are spaced.
    """

    name = "uruguay_arce_releases"

    # PublisherSpider
    country = "UY"
    publisher_name = "Agencia Reguladora de Compras Estatales (ARCE)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.comprasestatales.gub.uy"
    licence = "https://www.agesic.gub.uy/innovaportal/file/6327/1/licencia-de-datos-abiertos.pdf"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-yfs5dr-",)
    delay = 0.9
    allowed_domains = ("comprasestatales.gub.uy",)  # the feeds' links may drop the www
    dates_at_load = True
    listings = True  # a month's RSS feed; each item's release package is OCDS
    browser_user_agent = True
    facts_from = (
        "kingfisher-collect:uruguay_releases@2026-07",
        "https://www.gub.uy/agencia-compras-contrataciones-estado/datos-y-estadisticas/datos/open-contracting",
    )

    # PeriodicSpider
    url_template = "https://www.comprasestatales.gub.uy/ocds/rss/{year}/{month:02d}"
    period = "month"
    default_from_date = "2017-11-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or not response.xpath("//channel"):
            yield self.note("error", "feed_unreadable", "the month's feed is not RSS", url=response.url)
            return
        links = [link.strip() for link in response.xpath("//item/link/text()").getall() if link.strip()]
        for link in links:
            yield self.ocds_request(response.urljoin(link))
