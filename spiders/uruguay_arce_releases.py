from scrapy.http import Request, Response

from spiders.uruguay_arce_base import ARCE_DOCS, UruguayArceFeedBase


class UruguayArceReleasesSpider(UruguayArceFeedBase):
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
    data_type = "release_package"
    facts_from = ("kingfisher-collect:uruguay_releases@2026-07", ARCE_DOCS)

    def item_request(self, response: Response, title: str, link: str) -> Request | None:
        return self.ocds_request(response.urljoin(link)) if link else None
