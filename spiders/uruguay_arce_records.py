from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.spiders import PeriodicSpider

RECORD = "https://www.comprasestatales.gub.uy/ocds/record/{identifier}"


class UruguayArceRecordsSpider(PeriodicSpider):
    """
    Publisher
      Agencia Reguladora de Compras Estatales (ARCE)
    API documentation
      https://www.gub.uy/agencia-compras-contrataciones-estado/datos-y-estadisticas/datos/open-contracting
    Shape
      An RSS feed a month (``/ocds/rss/{year}/{month}``) with one ``item`` per release, titled
      ``id_compra:1211147,release_id:llamado-1211147``; each purchase's record package is ``/ocds/record/{id_compra}``
      (its releases embedded, with a ``compiledRelease``).
    Spider arguments
      from_date, until_date: the months fetched; applied to release dates as well
    Caveats
      The server refuses clients that do not look like a browser. A purchase with several releases in a month is
      listed once per release and fetched once.
    """

    name = "uruguay_arce_records"

    # PublisherSpider
    country = "UY"
    publisher_name = "Agencia Reguladora de Compras Estatales (ARCE)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://www.comprasestatales.gub.uy"
    licence = "https://www.agesic.gub.uy/innovaportal/file/6327/1/licencia-de-datos-abiertos.pdf"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-yfs5dr-",)
    delay = 0.9
    allowed_domains = ("comprasestatales.gub.uy",)
    dates_at_load = True
    listings = True  # a month's RSS feed
    browser_user_agent = True
    facts_from = (
        "kingfisher-collect:uruguay_records@2026-07",
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
        for title in response.xpath("//item/title/text()").getall():
            # id_compra:1211147,release_id:llamado-1211147
            identifier = title.split(",")[0].partition(":")[2].strip()
            if identifier:
                yield self.ocds_request(RECORD.format(identifier=identifier))
