from typing import Any, ClassVar

from crawler.spiders import PeriodicSpider


class AlbaniaKppSpider(PeriodicSpider):
    """
    Publisher
      Komisioni i Prokurimit Publik (KPP), the Public Procurement Commission: its decisions on complaints
    Bulk download documentation
      https://kpp.al/en/Historiku?nrVendimi=&OperatoriEkonmik=&idOperatori=&autoritetiKotraktues=&id=
    Shape
      One POST a year to ``api/public/Decision/getBulkJsonByYear`` whose JSON body filters the decisions' dates
      (``extraConditions``: ``decision_date >= 1/1/YEAR`` and ``<= 1/1/YEAR+1``, dates as month/day/year); the
      answer's ``result`` is a release package (``root_path``).
    Spider arguments
      from_date, until_date: the years fetched (the API's own filter, cut to the dates); applied to release
      dates too. Without them, 2021 to this year.
    Caveats
      A year without decisions is a release package whose ``releases`` is empty. The upper bound is inclusive and
      falls on the next year's first day: a decision of 1 January is served with both years (stored once).
    """

    name = "albania_kpp"

    # PublisherSpider
    country = "AL"
    publisher_name = "Komisioni i Prokurimit Publik (KPP)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://kpp.al"
    update_frequency = "daily"
    root_path = "result"
    dates_at_load = True
    facts_from = ("kingfisher-collect:albania_public_procurement_commission@2026-07",)

    # PeriodicSpider
    url_template = "https://kpp.al/api/public/Decision/getBulkJsonByYear"
    period = "year"
    default_from_date = "2021-01-01"
    date_format = "%-m/%-d/%Y"
    body_template: ClassVar[dict[str, Any]] = {
        "extraConditions": [["decision_date", ">=", "{start}"], ["decision_date", "<=", "{after}"]],
    }
