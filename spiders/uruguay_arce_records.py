from scrapy.http import Request, Response

from spiders.uruguay_arce_base import ARCE_DOCS, UruguayArceFeedBase

RECORD = "https://www.comprasestatales.gub.uy/ocds/record/{identifier}"


class UruguayArceRecordsSpider(UruguayArceFeedBase):
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
    data_type = "record_package"
    facts_from = ("kingfisher-collect:uruguay_records@2026-07", ARCE_DOCS)

    def item_request(self, response: Response, title: str, link: str) -> Request | None:
        # id_compra:1211147,release_id:llamado-1211147
        identifier = title.split(",")[0].partition(":")[2].strip()
        return self.ocds_request(RECORD.format(identifier=identifier)) if identifier else None
