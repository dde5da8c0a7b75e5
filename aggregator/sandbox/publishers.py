"""The fictional publishers served by the sandbox, declared as data.

Countries use ISO 3166-1 user-assigned codes (XA, XB, XC), so nothing here can be mistaken for a real country.

Deliberate faults (each is handled by the pipeline as a note, never a crash):

- ``xa`` (paged release packages):

  * exactly one release has no ``date``: the ``tender`` release of ``Faults.undated_ocid`` (its release id is
    ``Faults.undated_release_id``). Releases are ordered by date, so the undated one sorts first (page 1); it is
    only served when neither ``from`` nor ``until`` is given.
  * the final page of the unfiltered listing is **invalid JSON** (its body is cut in half) although it is served
    with status 200. The previous page's ``links.next`` points to it and, since it cannot be parsed, it has no
    usable next link. Filtered listings (``from``/``until``) are served whole.

- ``xb`` (bulk zip of JSON lines): exactly one line of one ``releases-YYYY.jsonl`` member is a release without
  ``ocid``: a copy of the ``tender`` release of ``Faults.missing_ocid_source`` with its ``ocid`` removed. It is an
  extra line: the process it was copied from keeps its own, complete release.

- ``xc`` (paged record packages): the first request for page ``Faults.http_500_once_page`` on a given server
  instance answers HTTP 500; every later request for it answers 200. Each server keeps its own counter, so a
  fresh server behaves the same.
"""

from dataclasses import dataclass, field
from datetime import date

RELEASE_PAGES = "release_pages"
BULK_JSONL_ZIP = "bulk_jsonl_zip"
RECORD_PAGES = "record_pages"

BID_EXTENSION = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Country:
    """A fictional country: its language and how its organizations are identified."""

    code: str  # ISO 3166-1 user-assigned alpha-2
    name: str  # in the country's language
    language: str  # "es" | "en" | "fr"
    buyer_scheme: str  # org-id-like scheme of public bodies
    supplier_scheme: str  # org-id-like scheme of companies
    free_text_scheme: str  # what a sloppy publisher writes instead of the scheme code
    central_entity: str  # central purchasing body that procures on behalf of buyers
    supplier_pool: int  # suppliers known in the country (publishers use slices of the pool)


@dataclass(frozen=True)
class Faults:
    """Machine-readable facts about the deliberate faults of a publisher (see the module docstring)."""

    undated_ocid: str | None = None
    undated_release_id: str | None = None
    truncated_final_page: bool = False
    missing_ocid_source: str | None = None  # OCID whose tender release is copied without its ocid
    missing_ocid_release_id: str | None = None
    http_500_once_page: int | None = None


@dataclass(frozen=True)
class Publisher:
    """One fictional publisher: who it is, what it publishes and how."""

    key: str
    name: str
    country: Country
    level: str  # "national" | "city"
    ocds_version: str  # "1.1" | "1.0"
    shape: str  # RELEASE_PAGES | BULK_JSONL_ZIP | RECORD_PAGES
    ocid_prefix: str
    processes: int
    buyers: int
    suppliers: tuple[int, int]  # slice of the country's supplier pool
    currency: str
    other_currencies: tuple[str, ...]
    foreign_share: float  # share of processes in another currency
    method_weights: tuple[float, float, float, float]  # open, selective, limited, direct
    classification: str  # "CPV" | "UNSPSC"
    utc_offset: str  # suffix of every date-time, e.g. "-06:00" or "Z"
    published_date: str
    bids: bool = False  # publishes the bids extension
    faults: Faults = field(default_factory=Faults)
    first_day: date = date(2021, 1, 1)
    last_day: date = date(2023, 12, 31)  # last possible planning date; later stages may fall after it

    @property
    def entry_path(self) -> str:
        """Path of the first URL a crawler requests."""
        return {
            RELEASE_PAGES: f"/{self.key}/releases?page=1",
            BULK_JSONL_ZIP: f"/{self.key}/bulk.zip",
            RECORD_PAGES: f"/{self.key}/records?page=1",
        }[self.shape]

    @property
    def uid(self) -> str:
        """The publisher's identifier in its country's register of public bodies."""
        return f"{self.key.upper().replace('_', '-')}-0001"

    def package_metadata(self) -> dict[str, object]:
        """Package fields shared by every package of this publisher (without ``uri`` and contents)."""
        metadata: dict[str, object] = {}
        if self.ocds_version != "1.0":
            metadata["version"] = self.ocds_version
        metadata["publishedDate"] = self.published_date
        metadata["publisher"] = {"name": self.name, "scheme": self.country.buyer_scheme, "uid": self.uid}
        metadata["license"] = LICENSE
        metadata["publicationPolicy"] = f"https://sandbox.invalid/{self.key}/publication-policy"
        if self.bids:
            metadata["extensions"] = [BID_EXTENSION]
        return metadata


ALDORA = Country(
    code="XA",
    name="República de Aldora",
    language="es",
    buyer_scheme="XA-RFC",
    supplier_scheme="XA-RFC",
    free_text_scheme="RFC",
    central_entity="Oficialía Mayor de la República de Aldora",
    supplier_pool=320,
)
BOREALIA = Country(
    code="XB",
    name="Kingdom of Borealia",
    language="en",
    buyer_scheme="XB-PBR",
    supplier_scheme="XB-CRN",
    free_text_scheme="Companies Registry",
    central_entity="Crown Purchasing Service of Borealia",
    supplier_pool=340,
)
CADMIE = Country(
    code="XC",
    name="République de Cadmie",
    language="fr",
    buyer_scheme="XC-SIRET",
    supplier_scheme="XC-SIRET",
    free_text_scheme="SIRET",
    central_entity="Union cadméenne des achats publics",
    supplier_pool=280,
)

XA = Publisher(
    key="xa",
    name="Agencia Nacional de Compras Públicas de la República de Aldora",
    country=ALDORA,
    level="national",
    ocds_version="1.1",
    shape=RELEASE_PAGES,
    ocid_prefix="ocds-sbxa01",
    processes=1200,
    buyers=48,
    suppliers=(0, 320),
    currency="MXN",
    other_currencies=("USD",),
    foreign_share=0.06,
    method_weights=(0.40, 0.12, 0.08, 0.40),
    classification="UNSPSC",
    utc_offset="-06:00",
    published_date="2024-02-01T09:00:00-06:00",
    bids=True,
    faults=Faults(
        undated_ocid="ocds-sbxa01-000137",
        undated_release_id="ocds-sbxa01-000137-tender",
        truncated_final_page=True,
    ),
)
XB = Publisher(
    key="xb",
    name="Crown Purchasing Service of Borealia",
    country=BOREALIA,
    level="national",
    ocds_version="1.1",
    shape=BULK_JSONL_ZIP,
    ocid_prefix="ocds-sbxb01",
    processes=1100,
    buyers=50,
    suppliers=(0, 300),
    currency="GBP",
    other_currencies=("EUR", "USD"),
    foreign_share=0.08,
    method_weights=(0.55, 0.20, 0.10, 0.15),
    classification="CPV",
    utc_offset="Z",
    published_date="2024-02-01T09:00:00Z",
    faults=Faults(
        missing_ocid_source="ocds-sbxb01-000421",
        missing_ocid_release_id="ocds-sbxb01-000421-tender",
    ),
)
XC = Publisher(
    key="xc",
    name="Observatoire des marchés publics de la République de Cadmie",
    country=CADMIE,
    level="national",
    ocds_version="1.1",
    shape=RECORD_PAGES,
    ocid_prefix="ocds-sbxc01",
    processes=1050,
    buyers=44,
    suppliers=(0, 280),
    currency="EUR",
    other_currencies=("USD",),
    foreign_share=0.05,
    method_weights=(0.50, 0.15, 0.15, 0.20),
    classification="CPV",
    utc_offset="+01:00",
    published_date="2024-02-01T09:00:00+01:00",
    faults=Faults(http_500_once_page=2),
)
XB_CITY = Publisher(
    key="xb_city",
    name="City of Northhaven",
    country=BOREALIA,
    level="city",
    ocds_version="1.0",
    shape=RELEASE_PAGES,
    ocid_prefix="ocds-sbxb02",
    processes=240,
    buyers=30,
    suppliers=(160, 340),
    currency="GBP",
    other_currencies=(),
    foreign_share=0.0,
    method_weights=(0.45, 0.15, 0.10, 0.30),
    classification="CPV",
    utc_offset="Z",
    published_date="2024-02-01T09:00:00Z",
)

SANDBOX_PUBLISHERS: dict[str, Publisher] = {p.key: p for p in (XA, XB, XC, XB_CITY)}
