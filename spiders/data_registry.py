import re
from dataclasses import replace
from typing import Any, ClassVar

from crawler.spiders import PublisherInfo
from crawler.spiders.registry import UNKNOWN_COUNTRY, RegistrySpider

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class DataRegistrySpider(RegistrySpider):
    """
    Publisher
      Open Contracting Partnership: OCP Data Registry (any of its publications, each stored as its own publisher)
    Bulk download documentation
      https://data.open-contracting.org/en/publications.json (the public publications, as JSON);
      https://data.open-contracting.org/en/publication/<number> (a publication's page: licence, files)
    Shape
      Compiled releases (one per OCID) as gzipped JSON lines: the whole publication
      (``/en/publication/<number>/download?name=full.jsonl.gz``) or one year's (``name=2021.jsonl.gz``).
    Spider arguments
      publication: the publication's number in the registry (required); ``publication=list`` prints the
      registry's publications (number, country, title, date range) and stores nothing; ``publication=unserved``
      prints only those whose source no available spider here crawls (``scrapy crawlregistry`` crawls them)
      country: the publication's country, ISO 3166-1 alpha-2 (optional: by default the country of the flag the
      publication's page shows; when given, checked against it)
      from_date, until_date: download the years they span instead of the whole publication; applied to release
      dates too
    Caveats
      Each publication is stored as the publisher ``data_registry.<number>`` with ``via = 'data_registry'``; its
      country (until then ``ZZ``, unknown, on its first crawl), title, source, licence and refresh frequency come
      from the registry when the crawl closes. A page without a flag downloads nothing unless ``country`` is
      given. The data are the registry's compiled releases, as fresh as the registry's last refresh of the
      publication (its ``retrieval_frequency`` is our update frequency). The registry's data come from
      Kingfisher Collect's spiders: a publisher also crawled here directly gives the same OCIDs by two routes.
    """

    name = "data_registry"

    # PublisherSpider
    #: ZZ (ISO 3166 user-assigned: "unknown or unspecified"): each crawl is of one publication, whose country is
    #: the ``country`` argument, else learnt from the registry.
    country = UNKNOWN_COUNTRY
    publisher_name = "OCP Data Registry"
    url = "https://data.open-contracting.org"
    update_frequency = "monthly"
    facts_from = ("https://data.open-contracting.org/en/publications.json",)

    #: ``scrapy crawlall`` skips this spider (one crawl per publication); its dry run checks the listing answers.
    required_arguments = ("publication",)
    dry_run_arguments: ClassVar[dict[str, str]] = {"publication": "list"}

    def __init__(self, *args: Any, country: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publication_country = None if self.listing_only or not country else _country(country)

    @property
    def arguments(self) -> dict[str, Any]:
        return {**super().arguments, "country": self.publication_country}

    def declared_country(self) -> str | None:
        return self.publication_country

    def publisher_info(self) -> PublisherInfo:  # type: ignore[override]
        """One publisher per publication, in the publication's country; its title until the registry's is known."""
        info = super().publisher_info()
        if self.listing_only:
            return info
        return replace(
            info,
            name=f"{self.name}.{self.publication_number}",
            title=f"OCP Data Registry publication {self.publication_number}",
            country=self.publication_country or UNKNOWN_COUNTRY,
            url=None,
            update_frequency=None,
        )


def _country(value: str) -> str:
    code = value.strip().upper()
    if not _COUNTRY.match(code) or code == "ZZ" or (code.startswith("X") and code != "XK"):
        raise ValueError(f"country must be a real ISO 3166-1 alpha-2 code, not {value!r}")
    return code
