from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import scrapy
from scrapy.http import Response

from crawler.items import FailedRequest
from crawler.spiders import PeriodicSpider


class ParaguayDncpRecordsSpider(PeriodicSpider):
    """
    Publisher
      Dirección Nacional de Contrataciones Públicas (DNCP)
    API documentation
      https://www.contrataciones.gov.py/datos/api/v3/doc/
    Shape
      A search by 30-day windows of call dates (``/search/processes``) lists the processes' OCIDs; each OCID's
      record package (``/ocds/record/{ocid}``: linked releases and the publisher's ``compiledRelease``).
      Every request needs an access token, obtained by POSTing the request token (``/oauth/token``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Needs the environment variable PARAGUAY_DNCP_REQUEST_TOKEN (registration on the portal). Access tokens
      expire after about 15 minutes: an answer 401 gets a new token and the request again. The search returns at
      most 10,000 processes a window. The publisher's ``compiledRelease`` has strings for amounts and
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

    # PeriodicSpider
    url_template = (
        "https://www.contrataciones.gov.py/datos/api/v3/doc/search/processes?fecha_desde={start}T00:00:00-04:00"
        "&fecha_hasta={end}T23:59:59-04:00&items_per_page=10000&tipo_fecha=publicacion_llamado"
    )
    period = 30
    default_from_date = "2010-01-01"

    token_url = "https://www.contrataciones.gov.py/datos/api/v3/doc/oauth/token"
    record_url = "https://www.contrataciones.gov.py/datos/api/v3/doc/ocds/record/{ocid}"

    # The access token: requested before anything else, and again when the API answers 401.

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.access_token = ""
        self.pending = [(url, {"search": True}) for url in self.start_requests_urls()]
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
        for url, meta in pending:
            yield self.authorized(url, meta)

    def renew(self, response: Response) -> Iterator[Any]:
        """A request answered 401: sent again with the current token if it has been renewed since, else once
        the token is renewed (one token request for all the requests waiting)."""
        meta = {"search": response.meta.get("search", False), "renewed": True}
        used = response.request.headers.get("Authorization", b"").decode() if response.request else ""
        if used != self.access_token:
            yield self.authorized(response.url, meta)
            return
        self.pending.append((response.url, meta))
        if len(self.pending) == 1:
            yield self.token_request()

    def authorized(self, url: str, meta: dict[str, Any]) -> scrapy.Request:
        meta = {**meta, "handle_httpstatus_list": [401]}
        return self.request(url, headers={"Authorization": self.access_token}, meta=meta, dont_filter=True)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status == 401 and response.meta.get("renewed"):
            yield FailedRequest(response.url, 401, "refused with a new access token too")
            return
        if response.status == 401:  # the access token expired
            yield from self.renew(response)
            return
        if not response.meta.get("search"):
            yield from super().parse(response)
            return
        # A search result lists OCIDs, it is not OCDS: kept in the files store, not loaded.
        self.files.write(response.url, response.body)
        for process in orjson.loads(response.body).get("records", []):
            for url in self.from_search(process):
                yield self.authorized(url, {})

    def from_search(self, process: dict[str, Any]) -> list[str]:
        """What to fetch for one process of a search result: its record package."""
        return [self.record_url.format(ocid=process["ocid"])]
