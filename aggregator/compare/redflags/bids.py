"""Red flags read from the bids of one contracting process: R028 (identical bid prices), R035 (all except winning
bid disqualified), R036 (lowest bid disqualified); and what R024 and R058 gather per process (the percentage
difference between the winning bid and the second-lowest valid bid)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from aggregator.compare.redflags.common import (
    bid_amount_and_currency,
    complete_awards_and_bids_if_all_awards_final,
    divide,
    get,
    matches_procurement_method_details,
    single_supplier_id,
    split_pipes,
    submitted_bids,
    tenderer_and_value_of_valid_bids,
    tenderer_ids,
)
from aggregator.compare.redflags.state import Indicator, State


class PriceComparison(Indicator):
    """An indicator that compares bid prices, skipping the procedures the settings exclude from price comparison."""

    @cached_property
    def lists(self) -> tuple[frozenset[str], frozenset[str]]:
        include = split_pipes(self.settings.price_comparison_procurement_methods)
        return include, split_pipes(self.settings.no_price_comparison_procurement_methods)

    def compares_prices(self, release: dict[str, Any]) -> bool:
        return matches_procurement_method_details(release, *self.lists)


class Tenderers(Indicator):
    """For ``--map``: the tenderers of submitted bids in each process."""

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        for bid in submitted_bids(release):
            for tenderer_id in tenderer_ids(bid):
                state.map_tenderer("ocid_tenderer", ocid, tenderer_id)


class SecondLowestBidRatio(PriceComparison):
    """Where one award is active (others cancelled or unsuccessful) to one supplier: (lowest valid bid of another
    tenderer - winner's lowest valid bid) / winner's lowest valid bid, in the main currency, if not negative."""

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        if not self.compares_prices(release):
            return
        found = complete_awards_and_bids_if_all_awards_final(release)
        if found is None or len(found[0]) != 1 or (supplier_id := single_supplier_id(found[0][0])) is None:
            return
        winner: tuple[str, float] | None = None
        other: tuple[str, float] | None = None
        for tenderer_id, amount, currency in tenderer_and_value_of_valid_bids(found[1]):
            if not state.is_main_currency(currency):
                continue
            if supplier_id == tenderer_id:
                if winner is None or amount < winner[1]:
                    winner = (tenderer_id, amount)
            elif other is None or amount < other[1]:
                other = (tenderer_id, amount)
        if winner is not None and other is not None and other[1] >= winner[1]:
            state.second_lowest_bid_ratios[ocid] = divide(other[1] - winner[1], winner[1])
            state.winner_and_lowest_non_winner[ocid] = (winner[0], other[0])


class R028(PriceComparison):
    """Submitted bids from different sets of tenderers have the same amount and currency. Flags the process and
    the tenderers of both bids."""

    code = "R028"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        if not self.compares_prices(release):
            return
        prices: dict[tuple[float, str], frozenset[str]] = {}
        for bid in submitted_bids(release):
            price = bid_amount_and_currency(bid)
            if not isinstance(get(bid, "tenderers"), list) or price is None:
                continue
            ids = frozenset(tenderer_ids(bid))
            if not ids:
                continue
            # A tenderer may submit more bids at the same price.
            if price in prices and ids != prices[price]:
                details = {"amount": price[0], "currency": price[1], "tenderers": sorted(ids | prices[price])}
                state.set_result("OCID", ocid, self.code, 1.0, details)
                for tenderer_id in ids | prices[price]:
                    state.set_result("Tenderer", tenderer_id, self.code, 1.0, ocid=ocid)
                    state.map_tenderer("ocid_tenderer_r028", ocid, tenderer_id)
            prices[price] = ids


class R035(Indicator):
    """All awards final; one tenderer has valid bids, it is the only supplier of the active awards, and at least
    ``threshold`` other tenderers have disqualified bids. The value is how many; the winner is flagged with 0."""

    code = "R035"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        found = complete_awards_and_bids_if_all_awards_final(release)
        if found is None:
            return
        complete_awards, details = found
        suppliers = {
            supplier_id
            for award in complete_awards
            if isinstance(get(award, "suppliers"), list)
            for supplier in award["suppliers"]
            if isinstance(supplier_id := get(supplier, "id"), str)
        }
        valid, disqualified = _tenderers_by_status(details)
        threshold = max(self.option("threshold"), 1)
        difference = len(disqualified - valid)
        if len(valid) == 1 and valid == suppliers and difference >= threshold:
            (winner,) = valid
            details = {"disqualified_tenderers": difference, "threshold": threshold, "winner": winner}
            state.set_result("OCID", ocid, self.code, float(difference), details)
            state.set_result("Tenderer", winner, self.code, 0.0, ocid=ocid)
            state.map_tenderer("ocid_tenderer_r035", ocid, winner)


def _tenderers_by_status(details: list[Any]) -> tuple[set[str], set[str]]:
    valid: set[str] = set()
    disqualified: set[str] = set()
    for bid in details:
        status = get(bid, "status")
        if not isinstance(status, str) or not isinstance(get(bid, "tenderers"), list):
            continue
        if status == "valid":
            valid.update(tenderer_ids(bid))
        elif status == "disqualified":
            disqualified.update(tenderer_ids(bid))
    return valid, disqualified


class R036(PriceComparison):
    """An award is active, a valid bid has an amount, and the lowest submitted bid (main currency; the first of
    equal lowest amounts) is disqualified."""

    code = "R036"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        if not self.compares_prices(release):
            return
        awards = release.get("awards")
        if not isinstance(awards, list) or not any(get(award, "status") == "active" for award in awards):
            return
        lowest: float | None = None
        currency = ""
        lowest_is_disqualified = False
        has_valid_bid_with_amount = False
        for bid in submitted_bids(release):
            price = bid_amount_and_currency(bid)
            if price is None or not state.is_main_currency(price[1]):
                continue
            if lowest is None or price[0] < lowest:
                lowest, currency = price
                lowest_is_disqualified = bid["status"] == "disqualified"
            has_valid_bid_with_amount |= bid["status"] == "valid"
        if has_valid_bid_with_amount and lowest_is_disqualified:
            state.set_result("OCID", ocid, self.code, 1.0, {"lowest_amount": lowest, "currency": currency})
