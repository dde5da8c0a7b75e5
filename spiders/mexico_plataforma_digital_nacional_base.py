"""The Plataforma Digital Nacional's contracting system (S6): one search API for every supplier of data."""

from typing import Any, ClassVar

from crawler.spiders import IndexSpider
from crawler.spiders.paged import add_query

#: The S6 search; ``supplier_id`` selects the system whose releases are searched.
PDN_SEARCH = "https://api.plataformadigitalnacional.org/s6/api/v1/search"
PDN_FACTS = (
    "kingfisher-collect:mexico_plataforma_digital_nacional_base@2026-07",
    "https://plataformadigitalnacional.org/contrataciones",
)


class MexicoPlataformaDigitalNacionalBase(IndexSpider):
    """
    A system that supplies the Plataforma Digital Nacional (a state's anti-corruption system, or the SHCP). Each
    spider declares its ``supplier_id`` (the PDN's code for the system) and its metadata.

    The search is POSTed with a JSON body ``{"page": N, "pageSize": 10}``, pages numbered from 0; each page's
    ``data`` is an array of releases, and ``pagination.total`` counts them all.
    """

    abstract = True
    supplier_id: ClassVar[str]

    # PublisherSpider
    country = "MX"
    data_type = "release"
    ocds_version = "1.1"
    root_path = "data.item"
    url = "https://plataformadigitalnacional.org"
    update_frequency = "daily"

    # IndexSpider
    method = "POST"
    body_format = "json"
    total_pointer = "/pagination/total"
    page_size = 10
    param_page = "page"
    first_page = 0  # the publisher's first page is page 0
    param_limit = "pageSize"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The search's URL is the supplier's: set before IndexSpider checks that it is declared.
        if isinstance(cls.__dict__.get("supplier_id"), str) and cls.supplier_id:
            cls.start_url = add_query(PDN_SEARCH, {"supplier_id": cls.supplier_id})
        super().__init_subclass__(**kwargs)
