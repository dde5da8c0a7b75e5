from crawler.spiders import PeriodicSpider


class NepalDhangadhiSpider(PeriodicSpider):
    """
    Publisher
      Dhangadhi Sub-Metropolitan City: Infrastructure Management System (IMS)
    Bulk download documentation
      https://ims.susasan.org/dhangadhi/about
    Shape
      One release package per Nepali fiscal year (Bikram Sambat, from Shrawan 1, mid-July):
      ``/ocds/json/dhangadhi-2074-75.json``. The fiscal years are declared (``fiscal_year`` windows), not read from
      the portal's list (``/api/static-data/dhangadhi``), which names the same files.
    Spider arguments
      from_date, until_date: the fiscal years fetched (those that hold these dates); applied to release dates too
    Caveats
      From fiscal year 2080-81 (July 2023) on, the files need a login: the server redirects to its login page, which
      is noted, not followed. A fiscal year is taken to start on July 16 (Shrawan 1 falls between July 15 and 17):
      the dates of a crawl's first and last days are applied to the releases anyway.
    """

    name = "nepal_dhangadhi"

    # PublisherSpider
    country = "NP"
    publisher_name = "Dhangadhi Sub-Metropolitan City"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "city"
    region = "P7"
    url = "https://ims.susasan.org/dhangadhi"
    update_frequency = "irregular"
    dates_at_load = True
    facts_from = ("kingfisher-collect:nepal_dhangadhi@2026-07", "https://ims.susasan.org/dhangadhi/about")

    # PeriodicSpider
    url_template = "https://admin.ims.susasan.org/ocds/json/dhangadhi-{fiscal_year}-{fiscal_year_end_yy}.json"
    period = "fiscal_year"
    fiscal_year_start = "07-16"
    fiscal_year_offset = 57  # Bikram Sambat: fiscal year 2074-75 starts in July 2017
    default_from_date = "2017-07-16"
    missing_period_statuses = (302, 404)
    missing_period_hint = "from fiscal year 2080-81 on, the files need a login (the server redirects to it)"
