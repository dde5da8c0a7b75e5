from crawler.spiders import PeriodicSpider


class ThailandBangkokSpider(PeriodicSpider):
    """
    Publisher
      Bangkok Metropolitan Administration (BMA)
    Bulk download documentation
      https://opencontract.bangkok.go.th/ocds.html
    Shape
      One release package per year, from 2023, named by the year of the Buddhist era (Gregorian + 543):
      ``ocds_releases_2567.json`` holds 2024.
    Spider arguments
      from_date, until_date: the years fetched; applied to release dates too
    Caveats
      The site is behind Cloudflare: a browser User-Agent is sent, but a client it challenges gets an HTML page
      ("Verify you are human") instead of JSON, which is then not loaded (a note); kingfisher-collect reuses a
      clearance cookie solved by hand.
    """

    name = "thailand_bangkok"

    # PublisherSpider
    country = "TH"
    publisher_name = "Bangkok Metropolitan Administration (BMA)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "city"
    region = "10"  # ISO 3166-2:TH-10, Krung Thep Maha Nakhon
    url = "https://opencontract.bangkok.go.th"
    update_frequency = "daily"
    dates_at_load = True  # whole years are fetched
    browser_user_agent = True
    facts_from = ("kingfisher-collect:thailand_bangkok@2026-07", "https://opencontract.bangkok.go.th/ocds.html")

    # PeriodicSpider
    url_template = "https://opencontract.bangkok.go.th/assets/data/output/yearly/ocds_releases_{year}.json"
    period = "year"
    year_offset = 543  # the Buddhist era
    default_from_date = "2023-01-01"
