from crawler.spiders import PeriodicSpider


class GermanyOeffentlichevergabeSpider(PeriodicSpider):
    """
    Publisher
      Beschaffungsamt des Bundesministeriums des Innern (BMI): Bekanntmachungsservice (oeffentlichevergabe.de)
    API documentation
      https://www.oeffentlichevergabe.de/documentation/swagger-ui/opendata/index.html
    Shape
      One zip a month of the notices published that month, as release packages
      (``api/notice-exports?pubMonth=YYYY-MM&format=ocds.zip``).
    Spider arguments
      from_date, until_date: the months fetched (by publication month); applied to release dates too. Without
      them, 2022-12 to this month.
    Caveats
      The current month's export grows until the month is over.
    """

    name = "germany_oeffentlichevergabe"

    # PublisherSpider
    country = "DE"
    publisher_name = "Bekanntmachungsservice (oeffentlichevergabe.de)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.oeffentlichevergabe.de"
    update_frequency = "daily"
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:germany@2026-07",
        "https://www.oeffentlichevergabe.de/documentation/swagger-ui/opendata/index.html",
    )

    # PeriodicSpider
    url_template = "https://www.oeffentlichevergabe.de/api/notice-exports?pubMonth={year}-{month:02d}&format=ocds.zip"
    period = "month"
    default_from_date = "2022-12-01"
