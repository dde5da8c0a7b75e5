"""What the report says about one indicator value: its text, its sample, and why it is suppressed.

Definitions come from the indicator catalogue (``aggregator.compare.catalogue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aggregator.compare.catalogue import CATALOGUE, MAX_MISSING_SHARE, METHODS, MIN_SAMPLE


@dataclass(frozen=True)
class Definition:
    id: str
    title: str
    definition: str
    eligibility: str
    min_sample: int = MIN_SAMPLE
    max_missing: float = MAX_MISSING_SHARE
    method: str = ""
    unit: str = ""


def catalogue() -> dict[str, Definition]:
    """The indicator catalogue, by id, in its order; the method spelt out."""
    return {
        item.id: Definition(
            id=item.id,
            title=item.title,
            definition=item.definition,
            eligibility=item.eligibility,
            min_sample=item.min_sample,
            method=f"{item.method}: {METHODS[item.method]}",
            unit=item.unit,
        )
        for item in CATALOGUE
    }


def unit_of(definition: Definition) -> str:
    """How values are written: share, days, usd, count, or number."""
    unit = definition.unit.lower()
    if unit in ("share", "days", "usd"):
        return unit
    if unit == "processes" or definition.id == "processes":
        return "count"
    if definition.id.endswith("_share"):
        return "share"
    return "number"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "no value"
    if unit == "share":
        return f"{100 * value:.0f} %" if abs(value) >= 0.1 or value == 0 else f"{100 * value:.1f} %"
    if unit == "days":
        return f"{value:.0f} days" if abs(value) >= 10 else f"{value:.1f} days"
    if unit == "usd":
        for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
            if abs(value) >= size:
                return f"USD {value / size:.1f}{suffix}"
        return f"USD {value:.0f}"
    if unit == "count":
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.2f}"


def suppression_reason(row: Mapping[str, Any], definition: Definition) -> str:
    """Why a suppressed value is not shown, from its own sample and missing share."""
    reasons = []
    n = row.get("n_eligible")
    if n is None or n < definition.min_sample:
        reasons.append(f"too few eligible: n = {n or 0} < {definition.min_sample}")
    missing = row.get("missing_share")
    if missing is not None and missing > definition.max_missing:
        reasons.append(f"{100 * missing:.0f} % missing > {100 * definition.max_missing:.0f} %")
    return "; ".join(reasons) or "suppressed by the indicator's rule"


@dataclass(frozen=True)
class Cell:
    """One value as the report shows it."""

    value: float | None
    text: str  # "42 %", or "suppressed"
    sample: str  # "n = 310"
    missing: str  # "12 % missing", or ""
    suppressed: bool
    reason: str
    year: int | None

    @property
    def label(self) -> str:
        if self.suppressed:
            return f"suppressed ({self.reason})"
        return self.text if self.value is None else f"{self.text} ({self.sample})"


def cell(row: Mapping[str, Any], definition: Definition) -> Cell:
    suppressed = bool(row.get("suppressed")) or row.get("value") is None
    missing = row.get("missing_share")
    return Cell(
        value=None if suppressed else float(row["value"]),
        text="suppressed" if suppressed else format_value(float(row["value"]), unit_of(definition)),
        sample=f"n = {row.get('n_eligible') or 0}",
        missing=f"{100 * missing:.0f} % missing" if missing else "",
        suppressed=suppressed,
        reason=_reason(row, definition) if suppressed else "",
        year=row.get("year"),
    )


def no_data(year: int | None = None) -> Cell:
    return Cell(None, "no data", "n = 0", "", False, "", year)


def _reason(row: Mapping[str, Any], definition: Definition) -> str:
    return suppression_reason(row, definition) if row.get("suppressed") else "no value computed"
