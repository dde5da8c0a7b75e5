from crawler.spiders import SimpleSpider


class SandboxXbSpider(SimpleSpider):
    """
    Publisher
      Kingdom of Borealia, central purchasing body (fictional: the sandbox)
    Shape
      One bulk zip, a JSON-lines member of bare releases per year.
    """

    name = "sandbox_xb"
    is_sandbox = True

    # PublisherSpider
    country = "XB"
    publisher_name = "Kingdom of Borealia: Central Purchasing Body (sandbox)"
    data_type = "release"
    ocds_version = "1.1"

    # SimpleSpider
    start_urls = ("{sandbox}/xb/bulk.zip",)
