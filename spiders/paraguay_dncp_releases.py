from typing import Any

from spiders.paraguay_dncp_records import ParaguayDncpRecordsSpider


class ParaguayDncpReleasesSpider(ParaguayDncpRecordsSpider):
    """
    Publisher
      Dirección Nacional de Contrataciones Públicas (DNCP)
    API documentation
      https://www.contrataciones.gov.py/datos/api/v3/doc/
    Shape
      As ``paraguay_dncp_records`` (token; two searches a 30-day window, by call date and for processes still at
      planning, every page of each), but each process's releases are fetched, one release package each, from the
      URLs the search lists (``records[].releases[].url``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Needs the environment variable PARAGUAY_DNCP_REQUEST_TOKEN. Release ``date`` is often the time of the
      export, not of the event: the merge breaks ties by release id. Release ids are unique per OCID only.
    """

    name = "paraguay_dncp_releases"

    # PublisherSpider
    data_type = "release_package"
    facts_from = (
        "kingfisher-collect:paraguay_dncp_releases@2026-07",
        "https://www.contrataciones.gov.py/datos/api/v3/doc/",
    )

    # SearchSpider
    item_url = None

    def item_urls(self, item: Any) -> list[str]:
        # A process names its releases' URLs itself.
        releases = item.get("releases") if isinstance(item, dict) else None
        return [r["url"] for r in releases or [] if isinstance(r, dict) and isinstance(r.get("url"), str) and r["url"]]
