from crawler.spiders import PagedSpider, PeriodicSpider


class ColombiaCceApiSpider(PeriodicSpider, PagedSpider):
    """
    Publisher
      Agencia Nacional de Contratación Pública: Colombia Compra Eficiente (SECOP I, SECOP II, Tienda Virtual)
    API documentation
      https://apiocds.colombiacompra.gov.co/apiCCE-2.0/
    Shape
      Release packages by date window (``/releases/dates/{from}/{until}``, ``PeriodicSpider``), each window paged
      with ``links.next`` (``_id``) (``PagedSpider``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Some pages hold raw TAB characters inside strings: such a page is not JSON, its next link is unreadable (a
      note) and the window stops there (kingfisher-collect removes the TABs before parsing). Dates without time
      zones; mojibake in some names.
    """

    name = "colombia_cce_api"

    # PublisherSpider
    country = "CO"
    publisher_name = "Colombia Compra Eficiente"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.colombiacompra.gov.co"
    licence = "https://opendatacommons.org/licenses/pddl/1-0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-k50g02-",)
    dates_at_load = False  # the windows are the publisher's own filter
    available = False
    unavailable_since = "2023-03"
    unavailable_reason = (
        "apiocds.colombiacompra.gov.co has been down since 2023-03 (kingfisher-collect issue 1176); kingfisher-"
        "collect removed colombia_api as lapsed (0323cc9, 2026-02-12)"
    )
    facts_from = (
        "kingfisher-collect:colombia_api@2026-02",
        "https://apiocds.colombiacompra.gov.co/apiCCE-2.0/",
    )

    # PeriodicSpider
    url_template = "https://apiocds.colombiacompra.gov.co/apiCCE-2.0/rest/releases/dates/{start}/{end}"
    period = "month"
    default_from_date = "2011-01-01"
