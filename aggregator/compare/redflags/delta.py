"""Cardinal's indicators one compiled release at a time, so that a publisher's red flags can follow its changes.

What one release gives (a :class:`Contribution`) is folded alone, with the publisher's main currency given:
its flags of its own (R003, R018, R028, R030, R035, R036: the process's, and the tenderers' with the process
named), and what the fences of the others need (the second-lowest bid ratio of R024 and R058, the tallies of
R025, R038 and R048). Contributions fed in OCID order into :func:`merge` and then finalized give exactly what
:class:`~aggregator.compare.redflags.run.Runner` gives over the same releases: tallies add up whatever the
order (so a publisher's are kept summed, ``red_flag_tally``, not merged again), a party's processes are listed
in the order fed, and a release folded with the main currency given reads its bids as it would after the
releases before it. The main currency (Cardinal's ``currency`` setting, else the
first currency an indicator compares) is the first ``currency`` of the contributions in OCID order: when it
changes, every contribution of the publisher must be folded again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from aggregator.compare.redflags.run import PARTY_ROLES, Runner, is_excluded, party_references
from aggregator.compare.redflags.state import Classifications, State, Tally, tally

#: Codes whose flags each release raises alone, and codes whose flags need the publisher's fences.
OWN_CODES = ("R003", "R018", "R028", "R030", "R035", "R036")
FENCE_CODES = ("R024", "R025", "R038", "R048", "R058")


@dataclass
class Contribution:
    """What one compiled release gives the indicators. ``own``: its process's flags (code, value, details);
    ``parties``: its tenderers' flags of its own codes (group, id, code, value); ``ratio``: (ratio, winner,
    second-lowest) for R024 and R058; ``tallies``: name (r025, r038_buyer, r038_procuring_entity, r038_tenderer)
    to (key, numerator, denominator); ``classifications``: R048's (supplier, codes); ``references``: the ids of
    its buyer, procuring entity and tenderers, by role; ``currency``: the first currency it compared."""

    excluded: bool = False
    currency: str | None = None
    own: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    parties: list[tuple[str, str, str, float]] = field(default_factory=list)
    ratio: tuple[float, str, str] | None = None
    tallies: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    classifications: list[tuple[str, list[str]]] = field(default_factory=list)
    references: dict[str, list[str]] = field(default_factory=dict)

    def shared(self) -> dict[str, Any] | None:
        """What the publisher's fences and parties' flags need, as JSON (None when nothing), but the ratio and the
        tallies (kept apart: :meth:`tallies_json`; the ratio in columns of its own, read without JSON)."""
        found = {
            "parties": [[g, k, c, encode(v)] for g, k, c, v in self.parties],
            "classifications": [[s, codes] for s, codes in self.classifications],
        }
        found = {key: value for key, value in found.items() if value}
        return found or None

    def tallies_json(self) -> dict[str, list[list[Any]]] | None:
        """The tallies, as JSON (None when none): kept apart, summed per publisher (``red_flag_tally``), since
        they add up whatever the order."""
        found = {name: [list(t) for t in values] for name, values in self.tallies.items() if values}
        return found or None

    def own_json(self) -> list[list[Any]] | None:
        return [[code, encode(value), details] for code, value, details in self.own] or None


TALLIES = ("r025_tenderer", "r038_buyer", "r038_procuring_entity", "r038_tenderer")


def contribution(runner: Runner, release: Any, currency: str | None) -> Contribution:
    """Fold one (prepared) compiled release alone, the main currency being ``currency`` (None: not known yet)."""
    if is_excluded(release, runner.exclude):
        return Contribution(excluded=True)
    state = State(settings=runner.state.settings)
    state.currency = currency
    ocid = release["ocid"]
    for indicator in runner.indicators:
        indicator.fold(state, release, ocid)
    found = Contribution(currency=state.observed)
    for group, keys in state.results.items():
        for key, codes in keys.items():
            for code, value in codes.items():
                if group == "OCID":
                    found.own.append((code, value, state.details.get((group, key, code), {})))
                else:
                    found.parties.append((group, key, code, value))
    if ocid in state.second_lowest_bid_ratios:
        found.ratio = (state.second_lowest_bid_ratios[ocid], *state.winner_and_lowest_non_winner[ocid])
    for name in TALLIES:
        tallies: dict[str, Tally] = getattr(state, name)
        found.tallies[name] = [(key, t.numerator, t.denominator) for key, t in sorted(tallies.items())]
    found.classifications = [(key, sorted(c.codes)) for key, c in state.r048_classifications.items()]
    references: dict[str, list[str]] = {}
    for role, identifier in party_references(release):
        if identifier not in references.setdefault(role, []):
            references[role].append(identifier)
    found.references = references
    return found


def merge(
    state: State,
    ocid: str,
    own: list[list[Any]] | None,
    shared: dict[str, Any] | None,
    tallies: dict[str, list[list[Any]]] | None = None,
    ratio: tuple[float, str, str] | None = None,
) -> None:
    """Add one release's contribution (as stored: :meth:`Contribution.own_json`, :meth:`Contribution.shared`,
    :meth:`Contribution.tallies_json`, :attr:`Contribution.ratio`) to the publisher's state; call in OCID order."""
    for code, value, details in own or ():
        state.set_result("OCID", ocid, code, decode(value), details)
    for name, values in (tallies or {}).items():
        for key, numerator, denominator in values:
            tally(getattr(state, name), key).add(numerator, denominator)
    if ratio is not None:
        state.second_lowest_bid_ratios[ocid] = ratio[0]
        state.winner_and_lowest_non_winner[ocid] = (ratio[1], ratio[2])
    if not shared:
        return
    for group, key, code, value in shared.get("parties", ()):
        state.set_result(group, key, code, decode(value), ocid=ocid)
    for supplier, codes in shared.get("classifications", ()):
        classifications = state.r048_classifications.setdefault(supplier, Classifications())
        classifications.processes += 1
        classifications.codes.update(codes)


def encode(value: float) -> float | str:
    """A float as JSON: NaN and infinities (Cardinal's divisions by zero) as their names."""
    return value if math.isfinite(value) else str(value)


def decode(value: float | str) -> float:
    return float(value)


__all__ = ["FENCE_CODES", "OWN_CODES", "PARTY_ROLES", "TALLIES", "Contribution", "contribution", "merge"]
