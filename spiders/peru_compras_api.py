from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Response, TextResponse

from crawler.spiders import SimpleSpider

SITE = "https://www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub/"


class PeruComprasApiSpider(SimpleSpider):
    """
    Publisher
      Perú Compras: Central de Compras Públicas (purchase orders under framework agreements)
    API documentation
      https://www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub/
    Shape
      A text of lists separated by ``¯`` (``obtenerFiltros``); the first lists the framework agreements, separated by
      ``¬``, each as ``id-type^description``. Each agreement's orders between two dates are a release package
      (``DescargaJsonOCDS?pAcuerdo={id}&pFechaIni=…&pFechaFin=…``).
    Spider arguments
      from_date, until_date: the API's date filter; without them, 2017-01-01 to today
    Caveats
      The JSON sometimes holds raw newlines inside strings: they are escaped, with a note.
    """

    name = "peru_compras_api"

    # PublisherSpider
    country = "PE"
    publisher_name = "Perú Compras: Central de Compras Públicas"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.perucompras.gob.pe"
    update_frequency = "daily"
    dates_at_load = False  # the API's own filter
    listings = True  # the list of framework agreements
    repair_raw_newlines = True
    facts_from = ("kingfisher-collect:peru_compras_api@2026-07", SITE)

    # SimpleSpider
    start_urls = (f"{SITE}obtenerFiltros",)

    default_from_date = "2017-01-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or "¬" not in response.text:
            yield self.note(
                "error", "agreements_unreadable", "the filters list no framework agreement", url=response.url
            )
            return
        first = self.from_date or date.fromisoformat(self.default_from_date)
        last = self.until_date or date.today()
        for agreement in response.text.split("¯")[0].split("¬"):
            # e.g. "130-BIENES^IM-CE-2020-9 MATERIAL MÉDICO "
            if identifier := agreement.split("-")[0].strip():
                query = {"pAcuerdo": identifier, "pFechaIni": first.isoformat(), "pFechaFin": last.isoformat()}
                yield self.ocds_request(f"{SITE}DescargaJsonOCDS?{urlencode(query)}")
