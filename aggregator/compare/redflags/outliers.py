"""Red flags that compare each case with the whole input: fences from quartiles (Q1 - 1.5 IQR, Q3 + 1.5 IQR)
computed over every release given, as Cardinal computes them over one file. R024 (price close to winning bid),
R025 (excessive unsuccessful bids), R038 (excessive disqualified bids), R048 (heterogeneous supplier), R058
(heavily discounted bid). A ``threshold`` setting replaces the computed fence."""

from __future__ import annotations

from typing import Any

from aggregator.compare.redflags.common import (
    complete_awards_and_bids_if_all_awards_final,
    get,
    lower_upper_quartiles,
    mul_add,
    quantile,
    single_supplier_id,
    sole_tenderer_id,
    submitted_bids,
    tenderer_ids,
)
from aggregator.compare.redflags.state import Classifications, Indicator, State, Tally, tally


def lower_fence(state: State, code: str, values: list[float], prefix: str = "") -> tuple[float, float]:
    """Q1 - 1.5 IQR and Q1, with both quartiles written to Meta."""
    q1, q3 = lower_upper_quartiles(values)
    state.set_meta(code, f"{prefix}q1", q1)
    state.set_meta(code, f"{prefix}q3", q3)
    return mul_add(q3 - q1, -1.5, q1), q1


def upper_fence(state: State, code: str, values: list[float], prefix: str = "") -> float:
    """Q3 + 1.5 IQR, with both quartiles written to Meta."""
    q1, q3 = lower_upper_quartiles(values)
    state.set_meta(code, f"{prefix}q1", q1)
    state.set_meta(code, f"{prefix}q3", q3)
    return mul_add(q3 - q1, 1.5, q3)


class R024(Indicator):
    """The second-lowest bid ratio is at most the lower fence. The process gets the ratio; the winner and the
    lowest other tenderer get 0. Skipped unless Q1 and the fence are positive."""

    code = "R024"

    def finalize(self, state: State) -> None:
        threshold = self.option("threshold")
        ratios = state.second_lowest_bid_ratios
        fence, q1 = (threshold, 1.0) if threshold is not None else lower_fence(state, self.code, list(ratios.values()))
        state.set_meta(self.code, "lower_fence", fence)
        if not (q1 > 0.0 and fence > 0.0):
            return
        for ocid, ratio in ratios.items():
            if ratio <= fence:
                winner, other = state.winner_and_lowest_non_winner[ocid]
                details = {"ratio": ratio, "lower_fence": fence, "winner": winner, "second_lowest": other}
                state.set_result("OCID", ocid, self.code, ratio, details)
                for tenderer_id in (winner, other):
                    state.set_result("Tenderer", tenderer_id, self.code, 0.0, ocid=ocid)
                    state.map_tenderer("ocid_tenderer_r024", ocid, tenderer_id)


class R058(Indicator):
    """The second-lowest bid ratio is at least the upper fence (if positive). The process gets the ratio; the
    winner gets 0."""

    code = "R058"

    def finalize(self, state: State) -> None:
        ratios = state.second_lowest_bid_ratios
        fence = self.option("threshold")
        if fence is None:
            fence = upper_fence(state, self.code, list(ratios.values()))
        state.set_meta(self.code, "upper_fence", fence)
        if not fence > 0.0:
            return
        for ocid, ratio in ratios.items():
            if ratio >= fence:
                winner, other = state.winner_and_lowest_non_winner[ocid]
                details = {"ratio": ratio, "upper_fence": fence, "winner": winner, "second_lowest": other}
                state.set_result("OCID", ocid, self.code, ratio, details)
                state.set_result("Tenderer", winner, self.code, 0.0, ocid=ocid)
                state.map_tenderer("ocid_tenderer_r058", ocid, winner)


class R025(Indicator):
    """Per tenderer, over processes with one active award to one supplier (all awards final): processes won /
    processes with a valid single-tenderer bid. Flags tenderers whose count reaches the ``percentile`` of counts
    and whose ratio is at most the lower fence (if Q1 and the fence are positive)."""

    code = "R025"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        found = complete_awards_and_bids_if_all_awards_final(release)
        if found is None or len(found[0]) != 1 or (supplier_id := single_supplier_id(found[0][0])) is None:
            return
        valid = {
            tenderer_id
            for bid in found[1]
            if isinstance(get(bid, "status"), str)
            and (tenderer_id := sole_tenderer_id(bid)) is not None
            and bid["status"] == "valid"
        }
        for tenderer_id in valid:
            tally(state.r025_tenderer, tenderer_id).add(int(supplier_id == tenderer_id), 1)

    def finalize(self, state: State) -> None:
        tallies = state.r025_tenderer
        count_fence = quantile((float(t.denominator) for t in tallies.values()), self.option("percentile") / 100)
        threshold = self.option("threshold")
        ratios = [t.ratio for t in tallies.values()]
        fence, q1 = (threshold, 1.0) if threshold is not None else lower_fence(state, self.code, ratios)
        state.set_meta(self.code, "upper_fence", count_fence)
        state.set_meta(self.code, "lower_fence", fence)
        if not (q1 > 0.0 and fence > 0.0):
            return
        for tenderer_id, counts in tallies.items():
            if counts.denominator >= count_fence and counts.ratio <= fence:
                details = {"won": counts.numerator, "bids": counts.denominator, "lower_fence": fence}
                details["count_fence"] = count_fence
                state.set_result("Tenderer", tenderer_id, self.code, counts.ratio, details)


class R038(Indicator):
    """Disqualified bids / submitted bids, per buyer and procuring entity (over at least
    ``minimum_contracting_processes`` bids) and per tenderer (over at least ``minimum_submitted_bids``), at least
    the upper fence (if positive)."""

    code = "R038"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        bids = submitted_bids(release)
        if not bids:
            return
        disqualified = 0
        for bid in bids:
            increment = int(bid["status"] == "disqualified")
            disqualified += increment
            for tenderer_id in tenderer_ids(bid):
                tally(state.r038_tenderer, tenderer_id).add(increment, 1)
        organizations = (
            (release.get("buyer"), state.r038_buyer, "ocid_buyer_r038"),
            (get(release.get("tender"), "procuringEntity"), state.r038_procuring_entity, "ocid_procuringentity_r038"),
        )
        for organization, tallies, name in organizations:
            if isinstance(identifier := get(organization, "id"), str):
                tally(tallies, identifier).add(disqualified, len(bids))
                if state.map and disqualified > 0:
                    state.maps[name][ocid] = identifier

    def finalize(self, state: State) -> None:
        processes = self.option("minimum_contracting_processes")
        self.flag(state, "Buyer", state.r038_buyer, processes)
        self.flag(state, "ProcuringEntity", state.r038_procuring_entity, processes)
        self.flag(state, "Tenderer", state.r038_tenderer, self.option("minimum_submitted_bids"))

    def flag(self, state: State, group: str, tallies: dict[str, Tally], minimum: int) -> None:
        ratios = {key: counts.ratio for key, counts in tallies.items() if counts.denominator >= minimum}
        if not ratios:
            return
        fence = self.option("threshold")
        if fence is None:
            fence = upper_fence(state, self.code, list(ratios.values()), f"{group}_")
        state.set_meta(self.code, f"{group}_upper_fence", fence)
        if fence > 0.0:
            for key, ratio in ratios.items():
                if ratio >= fence:
                    counts = tallies[key]
                    details = {"disqualified": counts.numerator, "submitted": counts.denominator, "upper_fence": fence}
                    state.set_result(group, key, self.code, ratio, details)


class R048(Indicator):
    """Per supplier of active single-supplier awards in at least ``minimum_contracting_processes`` processes: the
    number of distinct item classification prefixes (``digits`` long), at least the upper fence."""

    code = "R048"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        awards = release.get("awards")
        if not isinstance(awards, list):
            return
        digits = self.option("digits")
        observed: set[str] = set()
        for award in awards:
            items = get(award, "items")
            supplier_id = single_supplier_id(award)
            if not isinstance(get(award, "status"), str) or not isinstance(items, list) or supplier_id is None:
                continue
            if award["status"] != "active":
                continue
            for item in items:
                classification_id = get(get(item, "classification"), "id")
                if isinstance(classification_id, str):
                    classifications = state.r048_classifications.setdefault(supplier_id, Classifications())
                    # A supplier counts once per contracting process.
                    if supplier_id not in observed:
                        observed.add(supplier_id)
                        classifications.processes += 1
                    classifications.codes.add(classification_id[:digits])

    def finalize(self, state: State) -> None:
        minimum = self.option("minimum_contracting_processes")
        lengths = {
            key: float(len(tallied.codes))
            for key, tallied in state.r048_classifications.items()
            if tallied.processes >= minimum
        }
        threshold = self.option("threshold")
        fence = upper_fence(state, self.code, list(lengths.values())) if threshold is None else float(threshold)
        state.set_meta(self.code, "upper_fence", fence)
        for key, length in lengths.items():
            if length >= fence:
                processes = state.r048_classifications[key].processes
                details = {"classifications": int(length), "processes": processes, "upper_fence": fence}
                state.set_result("Tenderer", key, self.code, length, details)
