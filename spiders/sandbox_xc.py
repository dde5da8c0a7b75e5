from crawler.spiders import PagedSpider


class SandboxXcSpider(PagedSpider):
    """
    Publisher
      République de Cadmie, observatoire des marchés (fictional: the sandbox)
    Shape
      A paged API of record packages (embedded releases) with ``links.next``.
    """

    name = "sandbox_xc"
    is_sandbox = True

    # PublisherSpider
    country = "XC"
    publisher_name = "République de Cadmie : Observatoire des marchés publics (sandbox)"
    data_type = "record_package"
    ocds_version = "1.1"

    # PagedSpider
    start_url = "{sandbox}/xc/records?page=1"
