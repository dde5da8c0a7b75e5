from crawler.spiders import PagedSpider


class SandboxXbCitySpider(PagedSpider):
    """
    Publisher
      City of Northhaven, Kingdom of Borealia (fictional: the sandbox)
    Shape
      A paged API of OCDS 1.0 release packages with ``links.next``.
    Spider arguments
      from_date, until_date: the API's own date filter (``from``, ``until``)
    """

    name = "sandbox_xb_city"
    is_sandbox = True

    # PublisherSpider
    country = "XB"
    publisher_name = "City of Northhaven (sandbox)"
    data_type = "release_package"
    ocds_version = "1.0"
    level = "city"

    # PagedSpider
    start_url = "{sandbox}/xb_city/releases?page=1"
    from_date_param = "from"
    until_date_param = "until"
