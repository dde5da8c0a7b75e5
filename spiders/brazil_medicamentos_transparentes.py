from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import IndexSpider


class BrazilMedicamentosTransparentesSpider(IndexSpider):
    """
    Publisher
      Transparência Brasil: Medicamentos Transparentes
    API documentation
      https://medicamentos-api.transparencia.org.br/docs#/DadosAbertos
    Bulk download documentation
      https://medicamentos.transparencia.org.br/dados-abertos
    Shape
      An index of files (``dados-abertos``, paged by ``skip`` and ``take``; ``response.count`` counts them): each
      of ``response.records`` lists its ``files``, of which the one of ``type`` ``json`` is a zip of release
      packages.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the index has no date filter)
    Caveats
      Purchases of medicines by Brazilian public bodies, gathered by Transparência Brasil (not a buyer's own
      publication). Files of other types (CSV) are the same data: not fetched.
    """

    name = "brazil_medicamentos_transparentes"

    # PublisherSpider
    country = "BR"
    publisher_name = "Transparência Brasil: Medicamentos Transparentes"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://medicamentos.transparencia.org.br"
    update_frequency = "irregular"
    listings = True  # the index lists files; the zips are OCDS
    dates_at_load = True
    allowed_domains = ("transparencia.org.br",)
    facts_from = (
        "kingfisher-collect:brazil_medicamentos_transparentes@2026-07",
        "https://medicamentos-api.transparencia.org.br/docs#/DadosAbertos",
    )

    # IndexSpider
    start_url = "https://medicamentos-api.transparencia.org.br/dados-abertos"
    total_pointer = "/response/count"
    page_size = 100
    param_offset = "skip"
    param_limit = "take"
    items_pointer = "/response/records"

    def item_requests(self, item: Any, response: Response) -> Iterator[Any]:
        # An item is a list of files in several formats: only the JSON one (a zip) is OCDS.
        files = item.get("files") if isinstance(item, dict) else None
        urls = [f["url"] for f in files or [] if isinstance(f, dict) and f.get("type") == "json" and f.get("url")]
        if not urls:
            yield self.note("warning", "index_item_unreadable", "an item lists no JSON file", url=response.url)
        for url in urls:
            yield self.ocds_request(url)
