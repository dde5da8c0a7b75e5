from collections.abc import Iterator
from datetime import date
from typing import Any

from scrapy.http import Response

from crawler.spiders import IndexSpider, PagedSpider
from crawler.spiders.paged import add_query
from crawler.spiders.periodic import date_windows

API = "https://dadosabertos.compras.gov.br"
#: The first day with releases, for any buyer.
FIRST_DAY = "2021-08-10"


class BrazilComprasSpider(IndexSpider, PagedSpider):
    """
    Publisher
      Ministério da Gestão e da Inovação em Serviços Públicos: Compras.gov.br (Portal de Compras do Governo Federal)
    API documentation
      https://dadosabertos.compras.gov.br/swagger-ui/index.html#/11%20-%20OCDS/releases
    Shape
      The list of active buyers (``modulo-uasg/2_consultarOrgao?statusOrgao=true``, pages ``pagina`` counted by
      ``totalPaginas``, buyers in ``resultado``, each with its ``cnpjCpfOrgao``, ``IndexSpider``); for each buyer
      and each 28-day window, release packages (``modulo-ocds/1_releases``: ``buyerID``, ``releaseStartDate``,
      ``releaseEndDate``, ``page`` and ``offSet``), paged by ``links.next`` (``PagedSpider``).
    Spider arguments
      from_date, until_date: the windows' bounds (the API's own filter); without them, 2021-08-10 to today
    Caveats
      A window may span at most one calendar month (the API refuses "Período inicial e final maior que 1 mês"):
      28 days always fit. A window without releases is a package without ``releases``. An undocumented limit of
      about 100 requests a minute: one request at a time, 0.6 s apart. A full crawl is (buyers times windows) requests.
    """

    name = "brazil_compras"

    # PublisherSpider
    country = "BR"
    publisher_name = "Compras.gov.br"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.gov.br/compras"
    update_frequency = "daily"
    concurrency = 1
    delay = 0.6
    dates_at_load = False  # the windows are the publisher's own filter
    listings = True  # the buyers' list; the release packages are OCDS
    facts_from = (
        "kingfisher-collect:brazil_compras@2026-07",
        "https://dadosabertos.compras.gov.br/swagger-ui/index.html#/11%20-%20OCDS/releases",
    )

    # IndexSpider
    start_url = f"{API}/modulo-uasg/2_consultarOrgao?statusOrgao=true"
    total_pointer = "/totalPaginas"
    param_page = "pagina"
    items_pointer = "/resultado"

    def item_requests(self, item: Any, response: Response) -> Iterator[Any]:
        # A buyer's releases are asked window by window (the API's limit of a month), each window paged.
        buyer = item.get("cnpjCpfOrgao") if isinstance(item, dict) else None
        if not buyer:
            yield self.note("warning", "index_item_unreadable", "a listed buyer has no cnpjCpfOrgao", url=response.url)
            return
        first = self.from_date or date.fromisoformat(FIRST_DAY)
        for start, end in date_windows(first, self.until_date or date.today(), 28):
            window = {"releaseStartDate": start.isoformat(), "releaseEndDate": end.isoformat()}
            parameters = {"page": "1", "offSet": "100", "buyerID": str(buyer), **window}
            yield self.ocds_request(add_query(f"{API}/modulo-ocds/1_releases", parameters))
