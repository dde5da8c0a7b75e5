from crawler.spiders import PagedSpider


class SandboxXaSpider(PagedSpider):
    """
    Publisher
      Republica de Aldora, national procurement agency (fictional: the sandbox)
    Shape
      A paged API of release packages with ``links.next``; publishes bids with the bids extension.
    Spider arguments
      from_date, until_date: the API's own date filter (``from``, ``until``)
    """

    name = "sandbox_xa"
    is_sandbox = True

    # PublisherSpider
    country = "XA"
    publisher_name = "Republica de Aldora: Agencia Nacional de Compras (sandbox)"
    data_type = "release_package"
    ocds_version = "1.1"

    # PagedSpider
    start_url = "{sandbox}/xa/releases?page=1"
    from_date_param = "from"
    until_date_param = "until"
