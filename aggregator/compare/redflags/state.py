"""The accumulator every indicator folds releases into and finalizes: Cardinal's ``Indicators`` struct."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aggregator.compare.redflags.common import divide
from aggregator.compare.redflags.settings import Settings

GROUPS = ("OCID", "Buyer", "ProcuringEntity", "Tenderer")
MAPS = (
    "ocid_buyer_r038",
    "ocid_procuringentity_r038",
    "ocid_tenderer",
    "ocid_tenderer_r024",
    "ocid_tenderer_r028",
    "ocid_tenderer_r030",
    "ocid_tenderer_r035",
    "ocid_tenderer_r058",
)


@dataclass
class Tally:
    """Cardinal's ``Fraction``: tallies add as mediants (numerators and denominators apart)."""

    numerator: int = 0
    denominator: int = 0

    def add(self, numerator: int, denominator: int) -> None:
        self.numerator += numerator
        self.denominator += denominator

    @property
    def ratio(self) -> float:
        return divide(float(self.numerator), float(self.denominator))


@dataclass
class Classifications:
    """R048's tally for a supplier: in how many processes it won, and the classification prefixes it supplied."""

    processes: int = 0
    codes: set[str] = field(default_factory=set)


@dataclass
class State:
    """Results, meta and maps, with the intermediate values that indicators finalize over the whole input."""

    settings: Settings
    map: bool = False
    results: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    maps: dict[str, dict[str, Any]] = field(default_factory=lambda: {name: {} for name in MAPS})
    currency: str | None = None
    #: The first currency an indicator compared (whatever the main currency): see ``redflags/delta.py``.
    observed: str | None = None
    second_lowest_bid_ratios: dict[str, float] = field(default_factory=dict)
    winner_and_lowest_non_winner: dict[str, tuple[str, str]] = field(default_factory=dict)
    r025_tenderer: dict[str, Tally] = field(default_factory=dict)
    r038_buyer: dict[str, Tally] = field(default_factory=dict)
    r038_procuring_entity: dict[str, Tally] = field(default_factory=dict)
    r038_tenderer: dict[str, Tally] = field(default_factory=dict)
    r048_classifications: dict[str, Classifications] = field(default_factory=dict)
    #: What raised each result, by (group, key, code): the values compared, and a party's processes (``ocids``).
    details: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def set_result(
        self, group: str, key: str, code: str, value: float, details: dict[str, Any] | None = None, ocid: str = ""
    ) -> None:
        """Cardinal's result, with what raised it (not part of Cardinal's output): ``details``, and for a party
        flagged from a process, the process's ``ocid``."""
        self.results.setdefault(group, {}).setdefault(key, {})[code] = value
        entry = self.details.setdefault((group, key, code), {})
        entry.update(details or {})
        if ocid and ocid not in (ocids := entry.setdefault("ocids", [])):
            ocids.append(ocid)

    def set_meta(self, code: str, key: str, value: float) -> None:
        self.meta.setdefault(code, {})[key] = value

    def map_tenderer(self, name: str, ocid: str, tenderer_id: str) -> None:
        if self.map:
            self.maps[name].setdefault(ocid, set()).add(tenderer_id)

    def is_main_currency(self, currency: str) -> bool:
        """Cardinal's main-currency rule: the ``currency`` setting, else the first currency observed (by any
        indicator that compares amounts, in the order they run)."""
        if self.observed is None:
            self.observed = currency
        if self.currency is None:
            self.currency = currency if self.settings.currency is None else self.settings.currency
        return currency == self.currency


def tally(tallies: dict[str, Tally], key: str) -> Tally:
    return tallies.setdefault(key, Tally())


class Indicator:
    """One of Cardinal's ``Calculate`` implementations: fold each release, then finalize over all of them."""

    code = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def option(self, key: str) -> Any:
        return self.settings.indicator(self.code, key)

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        """Read one release (already past the global exclusions)."""

    def finalize(self, state: State) -> None:
        """Compute fences over the whole input and flag."""
