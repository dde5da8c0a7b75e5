"""Red flags read from one contracting process alone: R003 (short submission period), R018 (single bid received)
and R030 (late bid won)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from aggregator.compare.redflags.common import get, is_number, matches_procurement_method, split_pipes, tenderer_ids
from aggregator.compare.redflags.state import Indicator, State
from aggregator.compare.redflags.timestamps import parse_rfc3339, whole_days


class R003(Indicator):
    """The tender period, in whole days, is shorter than the threshold (per ``procurementMethodDetails`` if set)."""

    code = "R003"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        tender = release.get("tender")
        if not isinstance(tender, dict) or not matches_procurement_method(tender, self.methods):
            return
        period = tender.get("tenderPeriod")
        start, end = get(period, "startDate"), get(period, "endDate")
        if not isinstance(start, str) or not isinstance(end, str):
            return
        start_ns, end_ns = parse_rfc3339(start), parse_rfc3339(end)
        if start_ns is None or end_ns is None:
            return
        days, threshold = whole_days(start_ns, end_ns), self.threshold(tender)
        if days < threshold:
            details = {"days": days, "threshold": threshold, "startDate": start, "endDate": end}
            state.set_result("OCID", ocid, self.code, 1.0, details)

    @cached_property
    def methods(self) -> frozenset[str]:
        return split_pipes(self.option("procurement_methods"))

    def threshold(self, tender: dict[str, Any]) -> int:
        details = tender.get("procurementMethodDetails")
        by_details: dict[str, int] = self.option("procurement_method_details")
        if isinstance(details, str) and details in by_details:
            return by_details[details]
        return self.option("threshold")


class R018(Indicator):
    """``/tender/numberOfTenderers`` is the integer 1, for the selected procurement methods (open and selective)."""

    code = "R018"

    @cached_property
    def methods(self) -> frozenset[str]:
        return split_pipes(self.option("procurement_methods"))

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        tender = release.get("tender")
        if not isinstance(tender, dict):
            return
        number = tender.get("numberOfTenderers")
        # serde_json's as_u64() of an arbitrary-precision number: only an integer literal reads as 1.
        is_one = is_number(number) and isinstance(number, int) and number == 1
        if is_one and matches_procurement_method(tender, self.methods):
            details = {"numberOfTenderers": 1, "procurementMethod": tender.get("procurementMethod")}
            state.set_result("OCID", ocid, self.code, 1.0, details)


class R030(Indicator):
    """A valid bid dated after ``/tender/tenderPeriod/endDate`` (compared as strings) came from a supplier of an
    active award. Flags the process and that tenderer."""

    code = "R030"

    def fold(self, state: State, release: dict[str, Any], ocid: str) -> None:
        end_date = get(get(release.get("tender"), "tenderPeriod"), "endDate")
        awards = release.get("awards")
        details = get(release.get("bids"), "details")
        if not isinstance(end_date, str) or not isinstance(awards, list) or not isinstance(details, list):
            return
        winners = {
            supplier_id
            for award in awards
            if get(award, "status") == "active" and isinstance(get(award, "suppliers"), list)
            for supplier_id in _ids(award["suppliers"])
        }
        for bid in details:
            date = get(bid, "date")
            if get(bid, "status") != "valid" or not isinstance(date, str) or date <= end_date:
                continue
            if not isinstance(get(bid, "tenderers"), list):
                continue
            for tenderer_id in tenderer_ids(bid):
                if tenderer_id in winners:
                    details = {"bid_date": date, "endDate": end_date, "tenderer": tenderer_id}
                    state.set_result("OCID", ocid, self.code, 1.0, details)
                    state.set_result("Tenderer", tenderer_id, self.code, 1.0, ocid=ocid)
                    state.map_tenderer("ocid_tenderer_r030", ocid, tenderer_id)


def _ids(organizations: list[Any]) -> list[str]:
    return [identifier for organization in organizations if isinstance(identifier := get(organization, "id"), str)]
