"""Run the enabled indicators over compiled releases, as ``ocdscardinal indicators`` does over one file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aggregator.compare.redflags import bids, outliers, process
from aggregator.compare.redflags.common import (
    get,
    is_cancelled_contracting_process,
    matches_procurement_method_details,
    round4,
    split_pipes,
    tenderer_ids,
)
from aggregator.compare.redflags.settings import Settings
from aggregator.compare.redflags.state import GROUPS, Indicator, State

# Cardinal's order: the order in which indicators fold a release matters to the main currency.
INDICATORS: dict[str, type[Indicator]] = {
    "R003": process.R003,
    "R018": process.R018,
    "R024": outliers.R024,
    "R025": outliers.R025,
    "R028": bids.R028,
    "R030": process.R030,
    "R035": bids.R035,
    "R036": bids.R036,
    "R038": outliers.R038,
    "R048": outliers.R048,
    "R058": outliers.R058,
}
# Where each group's results belong, as OCDS party roles (None: the contracting process).
ROLES = {"OCID": None, "Buyer": "buyer", "ProcuringEntity": "procuringEntity", "Tenderer": "tenderer"}


class Row(NamedTuple):
    """One result: a process (``scope`` "process", ``key`` its ocid, ``role`` None) or a party (``scope`` "party",
    ``key`` its id, ``role`` buyer, procuringEntity or tenderer)."""

    scope: str
    key: str
    role: str | None
    code: str
    value: float


@dataclass
class Result:
    """Cardinal's output: ``results`` maps a group (OCID, Buyer, ProcuringEntity, Tenderer; only those with
    results) to identifiers to codes to values; ``meta`` holds the quartiles and fences (unrounded); ``maps``
    the processes' organizations, when asked for. Beyond Cardinal's output: ``details`` (what raised each result,
    by group, identifier and code), and the n of each rate: ``processes`` read (past the exclusions) and the
    distinct ``parties`` of each role in them."""

    results: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    maps: dict[str, dict[str, Any]] | None = None
    details: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    processes: int = 0
    parties: dict[str, int] = field(default_factory=dict)

    def to_json(self, *, meta: bool = True) -> dict[str, Any]:
        """What ``ocdscardinal indicators [--no-meta] [--map]`` prints (sets as sorted lists)."""
        output: dict[str, Any] = {group: values for group, values in self.results.items()}
        if meta:
            output["Meta"] = {code: {k: round4(v) for k, v in values.items()} for code, values in self.meta.items()}
        if self.maps is not None:
            output["Maps"] = {
                name: {key: sorted(value) if isinstance(value, set) else value for key, value in mapping.items()}
                for name, mapping in self.maps.items()
            }
        return output

    def rows(self) -> Iterator[Row]:
        """The results flat, in group order."""
        for group in GROUPS:
            role = ROLES[group]
            scope = "process" if role is None else "party"
            for key, codes in self.results.get(group, {}).items():
                for code, value in codes.items():
                    yield Row(scope, key, role, code, value)


def enabled(settings: Settings, *, map: bool = False) -> list[Indicator]:
    """The indicators to run, in Cardinal's order, with the helpers some depend on first."""
    codes = settings.indicators
    indicators: list[Indicator] = []
    if map and codes.keys() & {"R025", "R038", "R048"}:
        indicators.append(bids.Tenderers(settings))
    if codes.keys() & {"R024", "R058"}:
        indicators.append(bids.SecondLowestBidRatio(settings))
    indicators.extend(indicator(settings) for code, indicator in INDICATORS.items() if code in codes)
    return indicators


def is_excluded(release: Any, exclude: frozenset[str]) -> bool:
    """Cardinal's global exclusions: not an object, an ocid that isn't a string, a cancelled tender, or a
    ``procurementMethodDetails`` in ``[exclusions] procurement_method_details``."""
    return (
        not isinstance(release, dict)
        or not isinstance(release.get("ocid"), str)
        or is_cancelled_contracting_process(release)
        or not matches_procurement_method_details(release, frozenset(), exclude)
    )


class Runner:
    """Cardinal's indicators fed one compiled release at a time (so that a caller can stream them), then finished:
    only what the fences need is kept between releases."""

    def __init__(self, settings: Settings, *, map: bool = False) -> None:
        self.indicators = enabled(settings, map=map)
        self.state = State(settings=settings, map=map)
        self.exclude = split_pipes(settings.exclude_procurement_method_details)
        self.map = map
        self.processes = 0
        self.parties: dict[str, set[str]] = {role: set() for role in PARTY_ROLES}

    def feed(self, release: Any) -> None:
        if is_excluded(release, self.exclude):
            return
        self.processes += 1
        for role, identifier in party_references(release):
            self.parties[role].add(identifier)
        for indicator in self.indicators:
            indicator.fold(self.state, release, release["ocid"])

    def finish(self) -> Result:
        state = self.state
        for indicator in self.indicators:
            indicator.finalize(state)
        results = {group: state.results[group] for group in GROUPS if state.results.get(group)}
        parties = {role: len(ids) for role, ids in self.parties.items()}
        maps = state.maps if self.map else None
        return Result(results, state.meta, maps, state.details, self.processes, parties)


PARTY_ROLES = ("buyer", "procuringEntity", "tenderer")


def party_references(release: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The ids of the buyer, the procuring entity and the tenderers of bids, as Cardinal's groups read them."""
    for role, organization in (
        ("buyer", release.get("buyer")),
        ("procuringEntity", get(release.get("tender"), "procuringEntity")),
    ):
        if isinstance(identifier := get(organization, "id"), str):
            yield role, identifier
    details = get(release.get("bids"), "details")
    for bid in details if isinstance(details, list) else ():
        for identifier in tenderer_ids(bid):
            yield "tenderer", identifier


def run(compiled_releases: Iterable[dict[str, Any]], settings: Settings, *, map: bool = False) -> Result:
    """Cardinal's indicators over the compiled releases (one per contracting process), as over one file."""
    runner = Runner(settings, map=map)
    for release in compiled_releases:
        runner.feed(release)
    return runner.finish()


def rows(compiled_releases: Iterable[dict[str, Any]], settings: Settings) -> list[Row]:
    """The results as flat rows (scope, ocid or party id, role, code, value)."""
    return list(run(compiled_releases, settings).rows())
