"""What Cardinal's indicators share: JSON access as serde_json does it, exclusions, bid and award statuses, numbers.

Each helper mirrors one function of Cardinal 0.0.8 (``src/lib.rs``); the docstring names it. A JSON value is read as
Rust's ``serde_json::Value``: a key of something that is not an object is absent, a number is never a boolean.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

BID_STATUS = frozenset({"invited", "pending", "valid", "disqualified", "withdrawn"})
AWARD_STATUS = frozenset({"pending", "active", "cancelled", "unsuccessful"})


def get(value: Any, key: str) -> Any:
    """``Value::get``: the member of an object, None for anything else."""
    return value.get(key) if isinstance(value, dict) else None


def is_number(value: Any) -> bool:
    """``Value::Number``: an int or a float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_f64(value: int | float) -> float:
    """``Number::as_f64``: an int too large for a double is infinite, as Rust parses it."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def divide(numerator: float, denominator: float) -> float:
    """IEEE division, as Rust's ``/`` on f64 (infinite or NaN where Python raises)."""
    if denominator == 0:
        if numerator == 0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator


def mul_add(a: float, b: float, c: float) -> float:
    """``f64::mul_add``: ``a * b + c`` rounded once, as a fused multiply-add."""
    if not all(math.isfinite(x) for x in (a, b, c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def round4(value: float) -> float | None:
    """Cardinal's ``Meta`` rounding: ``(v * 10_000.0).round() / 10_000.0``, half away from zero; NaN and infinity
    are written as JSON null."""
    scaled = value * 10_000.0
    if not math.isfinite(scaled):
        return None
    whole = float(math.trunc(scaled))
    if abs(scaled - whole) >= 0.5:
        whole += math.copysign(1.0, scaled)
    return whole / 10_000.0


def split_pipes(value: str | None, default: str = "") -> frozenset[str]:
    """``parse_pipe_separated_value``: Rust's ``split_terminator('|')``, which drops one trailing empty part."""
    parts = (default if value is None else value).split("|")
    if parts[-1] == "":
        parts.pop()
    return frozenset(parts)


def _ulps_eq_one(tau: float) -> bool:
    """``approx::ulps_eq!(tau, 1.0)`` with its defaults: within f64::EPSILON, or at most 4 ulps apart."""
    if abs(tau - 1.0) <= sys.float_info.epsilon:
        return True
    if tau <= 0:
        return False
    return abs(struct.unpack("<q", struct.pack("<d", tau))[0] - _ONE_BITS) <= 4


_ONE_BITS = struct.unpack("<q", struct.pack("<d", 1.0))[0]


def quantile(values: Iterable[float], tau: float) -> float:
    """statrs 0.16 ``Data::quantile`` (R's type 8, median-unbiased), as Cardinal's quartiles and percentiles use it."""
    data = sorted(values)
    n = len(data)
    if not 0.0 <= tau <= 1.0 or n == 0:
        return math.nan
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    hf = int(h)
    if hf <= 0 or tau == 0.0:
        return math.nan if any(math.isnan(x) for x in data) else data[0]
    if hf >= n or _ulps_eq_one(tau):
        return math.nan if any(math.isnan(x) for x in data) else data[-1]
    low, high = data[hf - 1], data[hf]
    return low + (h - hf) * (high - low)


def lower_upper_quartiles(values: Iterable[float]) -> tuple[float, float]:
    data = list(values)
    return quantile(data, 0.25), quantile(data, 0.75)


# Exclusions and selections.


def is_cancelled_contracting_process(release: dict[str, Any]) -> bool:
    """``Indicators::is_cancelled_contracting_process``: ``/tender/status`` is "cancelled"."""
    return get(get(release, "tender"), "status") == "cancelled"


def matches_procurement_method(tender: dict[str, Any], methods: frozenset[str]) -> bool:
    """``Indicators::matches_procurement_method``: no filter matches all; a filter needs a matching string."""
    if not methods:
        return True
    method = tender.get("procurementMethod")
    return isinstance(method, str) and method in methods


def matches_procurement_method_details(
    release: dict[str, Any], include: frozenset[str], exclude: frozenset[str]
) -> bool:
    """``Indicators::matches_procurement_method_details``: an allow list, if not empty, wins over a deny list."""
    details = get(get(release, "tender"), "procurementMethodDetails")
    if isinstance(details, str):
        return details in include if include else details not in exclude
    return not include


def submitted_bids(release: dict[str, Any]) -> list[Any]:
    """``Indicators::get_submitted_bids``: bids whose status is a string other than invited and withdrawn."""
    details = get(get(release, "bids"), "details")
    if not isinstance(details, list):
        return []
    return [bid for bid in details if isinstance(status := get(bid, "status"), str) and status not in _NOT_SUBMITTED]


_NOT_SUBMITTED = frozenset({"invited", "withdrawn"})


def complete_awards_and_bids_if_all_awards_final(release: dict[str, Any]) -> tuple[list[Any], list[Any]] | None:
    """``Indicators::get_complete_awards_and_bids_if_all_awards_final``: None if an award's status is a string
    other than active, cancelled and unsuccessful, or if ``/awards`` or ``/bids/details`` isn't an array."""
    awards = release.get("awards")
    details = get(release.get("bids"), "details")
    if not isinstance(awards, list) or not isinstance(details, list):
        return None
    complete = []
    for award in awards:
        status = get(award, "status")
        if not isinstance(status, str) or status in ("cancelled", "unsuccessful"):
            continue
        if status != "active":
            return None
        complete.append(award)
    return complete, details


def single_supplier_id(award: Any) -> str | None:
    """The id of an award's only supplier, where the award names exactly one supplier with a string id."""
    suppliers = get(award, "suppliers")
    if isinstance(suppliers, list) and len(suppliers) == 1 and isinstance(supplier_id := get(suppliers[0], "id"), str):
        return supplier_id
    return None


def sole_tenderer_id(bid: Any) -> str | None:
    """The id of a bid's only tenderer, where the bid names exactly one tenderer with a string id."""
    tenderers = get(bid, "tenderers")
    if isinstance(tenderers, list) and len(tenderers) == 1 and isinstance(tenderer_id := get(tenderers[0], "id"), str):
        return tenderer_id
    return None


def tenderer_ids(bid: Any) -> list[str]:
    """The string ids of a bid's tenderers, in order."""
    tenderers = get(bid, "tenderers")
    if not isinstance(tenderers, list):
        return []
    return [tenderer_id for tenderer in tenderers if isinstance(tenderer_id := get(tenderer, "id"), str)]


def bid_amount_and_currency(bid: Any) -> tuple[float, str] | None:
    """A bid's ``value``: a numeric amount and a string currency, or None."""
    value = get(bid, "value")
    amount, currency = get(value, "amount"), get(value, "currency")
    if is_number(amount) and isinstance(currency, str):
        return as_f64(amount), currency
    return None


def tenderer_and_value_of_valid_bids(details: list[Any]) -> list[tuple[str, float, str]]:
    """``Indicators::get_tenderer_and_value_of_valid_bids``: valid bids with one tenderer, an amount and a currency."""
    tuples = []
    for bid in details:
        tenderer_id = sole_tenderer_id(bid)
        value = bid_amount_and_currency(bid)
        if get(bid, "status") == "valid" and tenderer_id is not None and value is not None:
            tuples.append((tenderer_id, *value))
    return tuples
