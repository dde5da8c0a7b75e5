from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import orjson
import scrapy
from scrapy.http import Response

from crawler.items import FailedRequest
from crawler.spiders import PeriodicSpider, SearchSpider

API = "https://www.contrataciones.gov.py/datos/api/v3/doc"


class ParaguayDncpRecordsSpider(SearchSpider, PeriodicSpider):
    """
    Publisher
      Dirección Nacional de Contrataciones Públicas (DNCP)
    API documentation
      https://www.contrataciones.gov.py/datos/api/v3/doc/
    Shape
      Two searches a 30-day window (``/search/processes``): processes by call date
      (``tipo_fecha=publicacion_llamado``), and processes still at planning, by release date
      (``tipo_fecha=fecha_release&tender.id=planned``). Each is paged (``page``, from 1; ``pagination.total_pages``)
      and lists processes (``records[].ocid``); each OCID's record package (``/ocds/record/{ocid}``: linked releases
      and the publisher's ``compiledRelease``). Every request needs an access token, obtained by POSTing the request
      token (``/oauth/token``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Needs the environment variable PARAGUAY_DNCP_REQUEST_TOKEN (registration on the portal,
      https://contrataciones.gov.py/datos/adm/login). Access tokens expire after about 15 minutes: an answer 401
      gets a new token and the request again. A search gives at most 10,000 processes, hence the 30-day windows and
      the planned processes searched apart. The publisher's ``compiledRelease`` has strings for amounts and
      ``contract`` for ``contracts``: the project recompiles from releases.
    """

    name = "paraguay_dncp_records"

    # PublisherSpider
    country = "PY"
    publisher_name = "Dirección Nacional de Contrataciones Públicas"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://www.contrataciones.gov.py"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-03ad3f-",)
    credentials = ("PARAGUAY_DNCP_REQUEST_TOKEN",)
    concurrency = 1
    allowed_domains = ("contrataciones.gov.py",)  # release URLs are on contrataciones.gov.py, without www
    dates_at_load = False  # the windows are the publisher's own filter
    facts_from = (
        "kingfisher-collect:paraguay_dncp_records@2026-07",
        "https://www.contrataciones.gov.py/datos/api/v3/doc/",
    )

    # PeriodicSpider
    url_template = (
        f"{API}/search/processes?fecha_desde={{start}}T00:00:00-04:00&fecha_hasta={{end}}T23:59:59-04:00"
        "&items_per_page=10000&{search}"
    )
    url_variants: ClassVar[dict[str, tuple[str, ...]]] = {
        "search": ("tipo_fecha=publicacion_llamado", "tipo_fecha=fecha_release&tender.id=planned"),
    }
    period = 30
    default_from_date = "2010-01-01"

    # SearchSpider
    search_items = ("records",)
    item_url = f"{API}/ocds/record/{{ocid}}"
    total_pointer = "/pagination/total_pages"
    page_param = "page"

    token_url = f"{API}/oauth/token"

    # The access token: requested before anything else, and again when the API answers 401.

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.access_token = ""
        self.pending = [request async for request in super().start()]
        yield self.token_request()

    def token_request(self) -> scrapy.Request:
        body = orjson.dumps({"request_token": self.credential("PARAGUAY_DNCP_REQUEST_TOKEN")})
        headers = {"Content-Type": "application/json"}
        return scrapy.Request(
            self.token_url,
            method="POST",
            body=body,
            headers=headers,
            callback=self.parse_token,
            errback=self.failed,
            dont_filter=True,
        )

    def parse_token(self, response: Response) -> Iterator[Any]:
        # Not stored: the body is a credential.
        self.access_token = orjson.loads(response.body)["access_token"]
        pending, self.pending = self.pending, []
        for request in pending:
            yield self.with_token(request)

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        headers = {**kwargs.pop("headers", {}), "Authorization": self.access_token}
        meta = {**kwargs.pop("meta", {}), "handle_httpstatus_list": [401]}
        return super().request(url, headers=headers, meta=meta, **kwargs)

    def with_token(self, request: scrapy.Request) -> scrapy.Request:
        headers = {**request.headers.to_unicode_dict(), "Authorization": self.access_token}
        return request.replace(headers=headers, dont_filter=True)

    def renew(self, response: Response) -> Iterator[Any]:
        """A request answered 401: sent again with the current token if it has been renewed since, else once
        the token is renewed (one token request for all the requests waiting)."""
        request = response.request.replace(meta={**response.meta, "renewed": True})
        if request.headers.get("Authorization", b"").decode() != self.access_token:
            yield self.with_token(request)
            return
        self.pending.append(request)
        if len(self.pending) == 1:
            yield self.token_request()

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status == 401 and response.meta.get("renewed"):
            yield FailedRequest(response.url, 401, "refused with a new access token too")
            return
        if response.status == 401:  # the access token expired
            yield from self.renew(response)
            return
        yield from super().parse(response)
