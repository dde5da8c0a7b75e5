from datetime import date

from crawler.spiders import PeriodicSpider

FISCAL_YEAR = "https://tenders.go.ke/api/ocds/tenders?fy={start}-{end}"


class KenyaPpipBulkSpider(PeriodicSpider):
    """
    Publisher
      Public Procurement Regulatory Authority (PPRA): Public Procurement Information Portal (PPIP)
    Bulk download documentation
      https://tenders.go.ke/ocds
    Shape
      One release package per fiscal year (July to June, ``tenders?fy=2024-2025``), every tender and contract
      release of the year.
    Spider arguments
      from_date, until_date: the fiscal years fetched (those that hold these dates); applied to release dates too
    Caveats
      A fiscal year is one large response (thousands of releases). ``tender.tenderPeriod.startDate`` is the
      export's time, not the tender's. The index of tenders and their packages one by one: ``kenya_ppip``.
    """

    name = "kenya_ppip_bulk"

    # PublisherSpider
    country = "KE"
    publisher_name = "Public Procurement Regulatory Authority: PPIP"
    data_type = "release_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    url = "https://tenders.go.ke"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-5whusi-",)
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:kenya_ppra@2026-07",
        "https://tenders.go.ke/ocds",
    )

    # PeriodicSpider
    url_template = FISCAL_YEAR
    period = "year"
    default_from_date = "2018-07-01"  # the portal opened in July 2018 (Executive Order No. 2 of 2018)

    def start_requests_urls(self) -> list[str]:
        # Fiscal years, not calendar years: a year is named by both its calendar years.
        first = self.from_date or date.fromisoformat(self.default_from_date)
        last = self.until_date or date.today()
        years = range(fiscal_year(first), fiscal_year(last) + 1)
        return [FISCAL_YEAR.format(start=year, end=year + 1) for year in years]


def fiscal_year(day: date) -> int:
    """The calendar year in which the fiscal year holding ``day`` starts (Kenya's starts on 1 July)."""
    return day.year if day.month >= 7 else day.year - 1
