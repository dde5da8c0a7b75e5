from typing import Any

from spiders.paraguay_dncp_records import ParaguayDncpRecordsSpider


class ParaguayDncpReleasesSpider(ParaguayDncpRecordsSpider):
    """
    Publisher
      Dirección Nacional de Contrataciones Públicas (DNCP)
    API documentation
      https://www.contrataciones.gov.py/datos/api/v3/doc/
    Shape
      As ``paraguay_dncp_records`` (token, 30-day searches), but each process's releases are fetched, one release
      package each, from the URLs the search lists (``records[].releases[].url``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Needs the environment variable PARAGUAY_DNCP_REQUEST_TOKEN. Release ``date`` is often the time of the
      export, not of the event: the merge breaks ties by release id. Release ids are unique per OCID only.
    """

    name = "paraguay_dncp_releases"

    # PublisherSpider
    data_type = "release_package"

    def from_search(self, process: dict[str, Any]) -> list[str]:
        return [release["url"] for release in process.get("releases", []) if release.get("url")]
