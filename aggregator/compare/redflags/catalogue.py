"""Cardinal's eleven red flags as data: code, name (as Cardinal's documentation titles them), where Cardinal puts
its results (the contracting process, and parties by role), and a one-line definition."""

from __future__ import annotations

from typing import NamedTuple


class RedFlag(NamedTuple):
    code: str
    name: str
    #: "process" and/or party roles: buyer, procuringEntity, tenderer.
    levels: tuple[str, ...]
    definition: str


CATALOGUE = (
    RedFlag(
        "R003",
        "Short submission period",
        ("process",),
        "the tender period is shorter than the threshold (15 whole days; per procurementMethodDetails if set)",
    ),
    RedFlag(
        "R018",
        "Single bid received",
        ("process",),
        "tender/numberOfTenderers is 1, in an open or selective procedure",
    ),
    RedFlag(
        "R024",
        "Price close to winning bid",
        ("process", "tenderer"),
        "the second-lowest valid bid is within the lower fence of the winning bid (ratio (second - winner) / winner "
        "at most Q1 - 1.5 IQR of all processes' ratios); the winner and the second are flagged too",
    ),
    RedFlag(
        "R025",
        "Excessive unsuccessful bids",
        ("tenderer",),
        "a tenderer with many valid bids (at least the 75th percentile) wins few (processes won / processes bid at "
        "most the lower fence)",
    ),
    RedFlag(
        "R028",
        "Identical bid prices",
        ("process", "tenderer"),
        "submitted bids of different tenderers have the same amount and currency",
    ),
    RedFlag(
        "R030",
        "Late bid won",
        ("process", "tenderer"),
        "a valid bid dated after the tender period's end came from a supplier of an active award",
    ),
    RedFlag(
        "R035",
        "All except winning bid disqualified",
        ("process", "tenderer"),
        "one tenderer has valid bids and is the only supplier, and at least 1 other tenderer's bids were disqualified",
    ),
    RedFlag(
        "R036",
        "Lowest bid disqualified",
        ("process",),
        "an award is active and the lowest submitted bid was disqualified",
    ),
    RedFlag(
        "R038",
        "Excessive disqualified bids",
        ("buyer", "procuringEntity", "tenderer"),
        "the share of disqualified bids of a buyer, procuring entity or tenderer is at least the upper fence "
        "(Q3 + 1.5 IQR of all ratios)",
    ),
    RedFlag(
        "R048",
        "Heterogeneous supplier",
        ("tenderer",),
        "a supplier (of 20 processes or more) supplies items of more classification prefixes (2 digits) than the "
        "upper fence",
    ),
    RedFlag(
        "R058",
        "Heavily discounted bid",
        ("process", "tenderer"),
        "the winning bid is far below the second-lowest valid bid (ratio at least the upper fence); the winner is "
        "flagged too",
    ),
)
BY_CODE = {flag.code: flag for flag in CATALOGUE}
