from crawler.spiders import SearchSpider, SimpleSpider

PROCESSES = "https://www.zaragoza.es/sede/servicio/contratacion-publica/ocds/contracting-process/"


class SpainZaragozaSpider(SearchSpider, SimpleSpider):
    """
    Publisher
      Ayuntamiento de Zaragoza
    API documentation
      https://www.zaragoza.es/docs-api_sede/
    Shape
      A list of every process (``/contracting-process/?rf=html&rows=100000``: a JSON array of ``{ocid, id}``, in one
      page with that many rows); each process (``/contracting-process/{ocid}``) is a release package.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the list's ``before`` and ``after`` have
      no effect)
    Caveats
      The site answers HTTP 500 to a client that does not look like a browser: the crawl sends a browser's
      User-Agent. OCIDs end in ``-ContractingProcess``; the supplier's NIF is inside ``parties[].id``.
    """

    name = "spain_zaragoza"

    # PublisherSpider
    country = "ES"
    publisher_name = "Ayuntamiento de Zaragoza"
    data_type = "release_package"
    ocds_version = "1.1"
    level = "city"
    region = "AR"
    url = "https://www.zaragoza.es/sede/portal/contratacion/"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-1xraxc-",)
    dates_at_load = True
    browser_user_agent = True
    facts_from = ("kingfisher-collect:spain_zaragoza@2026-07", "https://www.zaragoza.es/docs-api_sede/")

    # SimpleSpider
    start_urls = (f"{PROCESSES}?rf=html&rows=100000",)

    # SearchSpider
    item_url = f"{PROCESSES}{{ocid}}"
