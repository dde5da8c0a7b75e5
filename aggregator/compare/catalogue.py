"""The indicator catalogue, as data: what each indicator means, which processes it counts, and how its value is
made from them. What each process gives each indicator is read from its facts by the ``expand_facts`` block of
``sql/queries/compare/indicators.sql`` (supplier concentration from its buyer's sums: ``expand_buyer``); the
methods below are applied to each group's sums and counts there (``update_values``, ``update_median``).

Every value is computed per group (a country, a publisher or a buyer, and a year). The year of a process is the
year of its tender period's start, else of its release date (UTC); a process with neither has no year and counts
nowhere. Only primary processes count (one row per process published by several routes).

For each process of the group: ``in_scope`` says the indicator concerns it (e.g. competitive procedures, or those
of unknown procedure type); ``eligible`` that it is in scope and has what the indicator needs. ``n_total`` counts
the group's processes, ``n_eligible`` the eligible ones, and ``missing_share`` is the share of in-scope processes
that are not eligible. A value is suppressed when ``missing_share`` exceeds 30 % or ``n_eligible`` is below the
indicator's minimum sample.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_MISSING_SHARE = 0.3
MIN_SAMPLE = 30

#: How the value is made from the eligible processes' contributions (and weights).
METHODS = {
    "mean": "the mean of the contributions (a share when contributions are 0 or 1)",
    "median": "the median of the contributions",
    "ratio": "the sum of the contributions divided by the sum of the weights",
    "sum": "the sum of the contributions",
    "count": "the number of eligible processes",
    "median_over_buyers": "the median, over buyers, of each buyer's value (contribution of the buyer's processes)",
}


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    definition: str
    eligibility: str
    method: str
    unit: str
    min_sample: int = MIN_SAMPLE

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"{self.id}: unknown method {self.method!r}")


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        "single_bid_share",
        "Single bidding",
        "Share of competitive processes that received exactly one tender.",
        "Procedure type open or selective (unknown type: in scope, missing) with a known number of tenderers.",
        "mean",
        "share",
    ),
    Indicator(
        "non_open_share",
        "Non-open procedures (count)",
        "Share of processes whose procedure type is not open (selective, limited or direct).",
        "Every process; eligible when its procedure type is known.",
        "mean",
        "share",
    ),
    Indicator(
        "non_open_value_share",
        "Non-open procedures (value)",
        "Share of the value (USD) of processes whose procedure type is not open.",
        "Every process; eligible when its procedure type and value (awarded, else tender, in USD) are known.",
        "ratio",
        "share",
    ),
    Indicator(
        "direct_award_share",
        "Direct awards (count)",
        "Share of processes awarded directly (procedure type direct).",
        "Every process; eligible when its procedure type is known.",
        "mean",
        "share",
    ),
    Indicator(
        "direct_award_value_share",
        "Direct awards (value)",
        "Share of the value (USD) of processes awarded directly.",
        "Every process; eligible when its procedure type and value (awarded, else tender, in USD) are known.",
        "ratio",
        "share",
    ),
    Indicator(
        "submission_period_days",
        "Submission period",
        "Median length of the tender period (end minus start), in days.",
        "Open procedures (unknown type: in scope, missing) with a tender period start and end, end not before start.",
        "median",
        "days",
    ),
    Indicator(
        "short_submission_share",
        "Short submission periods",
        "Share of open procedures whose tender period is shorter than 15 days.",
        "Open procedures (unknown type: in scope, missing) with a tender period start and end, end not before start.",
        "mean",
        "share",
    ),
    Indicator(
        "decision_period_days",
        "Decision period",
        "Median number of days from the end of the tender period to the first award's date.",
        "Processes with awards, not direct (unknown type: in scope, missing); eligible with a tender period end "
        "and an award date not before it.",
        "median",
        "days",
    ),
    Indicator(
        "awards_per_process",
        "Awards per process",
        "Mean number of awards per competitive process.",
        "Procedure type open or selective (unknown type: in scope, missing).",
        "mean",
        "awards",
    ),
    Indicator(
        "tenderers_mean",
        "Tenderers per process",
        "Mean number of tenderers per competitive process.",
        "Procedure type open or selective (unknown type: in scope, missing) with a known number of tenderers.",
        "mean",
        "tenderers",
    ),
    Indicator(
        "supplier_concentration_hhi",
        "Supplier concentration",
        "Herfindahl-Hirschman index (0-1) of suppliers' shares of a buyer's awarded value (USD) in the year; at "
        "country level the median over buyers, at publisher level over the buyers with awarded processes in it.",
        "Processes with awards whose buyer has at least 10 awards in the country and year (no known buyer: in "
        "scope, missing); eligible when the buyer has at least 10 awards with a supplier and a USD value.",
        "median_over_buyers",
        "index",
    ),
    Indicator(
        "contract_value_increase_share",
        "Contract value increases",
        "Share of contracts whose value exceeds the value of their award by more than 20 % (same currency).",
        "Processes with contracts; eligible when a contract and its award both have a value in one currency.",
        "ratio",
        "share",
    ),
    Indicator(
        "missing_supplier_id_share",
        "Suppliers without identifier",
        "Share of awards with no supplier identified by a registered identifier (name keys count as missing).",
        "Processes with awards.",
        "ratio",
        "share",
    ),
    Indicator(
        "missing_value_share",
        "Awards without value",
        "Share of awards without an amount.",
        "Processes with awards.",
        "ratio",
        "share",
    ),
    Indicator(
        "value_usd_total",
        "Awarded value",
        "Total value of awards, in USD at the award date's rate.",
        "Processes with awards; eligible when every award with an amount has a USD value.",
        "sum",
        "USD",
    ),
    Indicator(
        "processes",
        "Processes",
        "Number of processes.",
        "Every process.",
        "count",
        "processes",
        min_sample=1,
    ),
)

BY_ID = {indicator.id: indicator for indicator in CATALOGUE}


def methodology_markdown() -> str:
    """The methodology page: the rules, then one section per indicator."""
    lines = ["# Indicators: methodology", "", __doc__.split("\n\n", 1)[1].strip(), ""]
    for item in CATALOGUE:
        lines += [
            f"## {item.title} (`{item.id}`)",
            "",
            f"- Definition: {item.definition}",
            f"- Eligible processes: {item.eligibility}",
            f"- Method: {METHODS[item.method]}; unit: {item.unit}.",
            f"- Minimum sample: {item.min_sample} eligible processes; suppressed when more than "
            f"{MAX_MISSING_SHARE:.0%} of the processes in scope miss what it needs.",
            "",
        ]
    return "\n".join(lines)
