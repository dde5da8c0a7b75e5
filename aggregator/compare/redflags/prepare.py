"""Cardinal's ``prepare`` command as pure functions: correct quality issues in compiled releases before the
indicators read them, and report the issues it cannot correct.

In order: organization ids become strings (numbers as their text), are redacted or prefixed, and give each party
the roles it plays (``[defaults] party_roles``); ``procurementMethodDetails`` is cut at a separator; auction bids
move to ``/bids/details``; bid amounts are redacted; missing currencies, classification schemes, bid and award
statuses take defaults; statuses are mapped by ``[codelists.*]``; an award whose contracts are all cancelled is
cancelled. Objects where arrays belong (tenderers, suppliers, parties) become one-entry arrays. Removing a key
moves an object's last key into its place, as Cardinal's ``serde_json`` (``preserve_order``) does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from aggregator.compare.redflags.common import AWARD_STATUS, BID_STATUS, as_f64, get, is_number, split_pipes
from aggregator.compare.redflags.settings import Settings, parse_float

# Rust's char::is_whitespace, which str::trim_end strips (Python's str.isspace differs on U+001C to U+001F).
_RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


class Issue(NamedTuple):
    """A row of Cardinal's errors CSV: line, ocid, path, array indexes, incorrect value, error description."""

    line: int
    ocid: Any
    path: str
    indexes: int | str
    value: str
    description: str


def swap_remove(mapping: dict[str, Any], key: str) -> None:
    """Remove a key, moving the last key into its place (IndexMap's ``swap_remove``)."""
    keys = list(mapping)
    position = keys.index(key)
    del mapping[key]
    if position < len(keys) - 1:
        items = list(mapping.items())
        items.insert(position, items.pop())
        mapping.clear()
        mapping.update(items)


def stringify(mapping: Any, key: str) -> None:
    """A numeric id becomes its text (a float as Python writes it; Cardinal keeps the input's text)."""
    if isinstance(mapping, dict) and is_number(value := mapping.get(key)):
        mapping[key] = str(value) if isinstance(value, int) else repr(value)


def _is_unset(container: list[Any], index: int, key: str) -> bool:
    """``Value::get(key).is_none()``: the key is absent, or the entry is not an object."""
    entry = container[index]
    return not isinstance(entry, dict) or key not in entry


def _set(container: list[Any], index: int, key: str, value: Any) -> None:
    """``value[key] = …``: a null entry becomes an object first (any other non-object is left alone)."""
    if container[index] is None:
        container[index] = {}
    if isinstance(container[index], dict):
        container[index][key] = value


class Preparer:
    """The settings of ``prepare``, resolved once; call it on each release."""

    def __init__(self, settings: Settings) -> None:
        defaults, redactions, modifications = settings.defaults, settings.redactions, settings.modifications
        self.currency = defaults.currency
        self.scheme = defaults.item_classification_scheme
        self.bid_status_default = defaults.bid_status
        self.award_status_default = defaults.award_status
        self.party_roles = bool(defaults.party_roles)
        amounts = (parse_float(part) for part in split_pipes(redactions.amount))
        self.redact_amounts = frozenset(amount for amount in amounts if amount is not None)
        self.redact_ids = split_pipes(redactions.organization_id)
        self.by_contract_status = bool(settings.corrections.award_status_by_contract_status)
        self.move_auctions = bool(modifications.move_auctions)
        self.buyer_prefix = modifications.prefix_buyer_or_procuring_entity_id or ""
        self.tenderer_prefix = modifications.prefix_tenderer_or_supplier_id or ""
        self.split = modifications.split_procurement_method_details
        self.bid_statuses = settings.codelists.get("bid_status", {})
        self.award_statuses = settings.codelists.get("award_status", {})

    def __call__(
        self, release: dict[str, Any], line: int = 0, *, in_place: bool = False
    ) -> tuple[dict[str, Any], list[Issue]]:
        """The corrected copy of the release (the input is untouched) and the issues found; ``in_place`` corrects
        the input itself (a release just parsed, that nothing else holds: copying it took most of the time)."""
        if not in_place:
            release = copy.deepcopy(release)
        issues: list[Issue] = []

        def report(path: str, indexes: int | str, value: str, description: str) -> None:
            issues.append(Issue(line, release.get("ocid"), path, indexes, value, description))

        self.organizations(release, "parties", "", {}, "")
        roles = self.roles_lookup(release)
        self.organization(release, "buyer", self.buyer_prefix, roles, "buyer")
        self.tender(release, roles)
        self.auctions(release)
        details = get(release.get("bids"), "details")
        for index in range(len(details) if isinstance(details, list) else 0):
            self.bid(details, index, roles, report)
        cancelled = self.cancelled_awards(release)
        awards = release.get("awards")
        for index in range(len(awards) if isinstance(awards, list) else 0):
            self.award(awards, index, roles, cancelled, report)
        self.assign_roles(release, roles)
        return release, issues

    def identify(self, entry: Any, prefix: str, roles: dict[str, set[str]], role: str, redact: bool = True) -> None:
        """An organization reference's id: a string, redacted, else prefixed, and its role noted."""
        if not isinstance(entry, dict):
            return
        stringify(entry, "id")
        identifier = entry.get("id")
        if not isinstance(identifier, str):
            return
        if redact and identifier in self.redact_ids:
            swap_remove(entry, "id")
            return
        if not identifier.startswith(prefix):
            identifier = entry["id"] = prefix + identifier
        if identifier in roles:
            roles[identifier].add(role)

    def organization(self, parent: Any, key: str, prefix: str, roles: dict[str, set[str]], role: str) -> None:
        self.identify(get(parent, key), prefix, roles, role)

    def organizations(self, parent: Any, key: str, prefix: str, roles: dict[str, set[str]], role: str) -> None:
        if not isinstance(parent, dict):
            return
        if isinstance(parent.get(key), dict):
            parent[key] = [parent[key]]
        for entry in parent.get(key) if isinstance(parent.get(key), list) else ():
            self.identify(entry, prefix, roles, role)

    def roles_lookup(self, release: dict[str, Any]) -> dict[str, set[str]]:
        """Each party's roles as given, to which its references add (only with ``party_roles``)."""
        lookup: dict[str, set[str]] = {}
        parties = release.get("parties")
        if self.party_roles and isinstance(parties, list):
            for party in parties:
                if isinstance(identifier := get(party, "id"), str):
                    given = get(party, "roles")
                    lookup[identifier] = {r for r in given if isinstance(r, str)} if isinstance(given, list) else set()
        return lookup

    def assign_roles(self, release: dict[str, Any], lookup: dict[str, set[str]]) -> None:
        parties = release.get("parties")
        if not self.party_roles or not isinstance(parties, list):
            return
        for party in parties:
            if isinstance(identifier := get(party, "id"), str) and lookup[identifier]:
                party["roles"] = sorted(lookup[identifier])

    def tender(self, release: dict[str, Any], roles: dict[str, set[str]]) -> None:
        tender = release.get("tender")
        if not isinstance(tender, dict):
            return
        self.organization(tender, "procuringEntity", self.buyer_prefix, roles, "procuringEntity")
        details = tender.get("procurementMethodDetails")
        if self.split is not None and isinstance(details, str):
            # Rust's split("") yields "" first.
            first = details.split(self.split, 1)[0] if self.split else ""
            tender["procurementMethodDetails"] = first.rstrip(_RUST_WHITESPACE)

    def auctions(self, release: dict[str, Any]) -> None:
        """``/auctions[]/stages[]/bids`` become ``/bids/details``, unless ``/bids`` is set."""
        if not self.move_auctions or "bids" in release or not isinstance(release.get("auctions"), list):
            return
        details: list[Any] = []
        for auction in release["auctions"]:
            stages = get(auction, "stages")
            for stage in stages if isinstance(stages, list) else ():
                if isinstance(stage, dict) and "bids" in stage:
                    bids = stage["bids"]
                    swap_remove(stage, "bids")
                    if isinstance(bids, list):
                        details.extend(bids)
        release["bids"] = {"details": details}

    def bid(self, details: list[Any], index: int, roles: dict[str, set[str]], report: Any) -> None:
        value = get(details[index], "value")
        if isinstance(value, dict):
            self.amount(value, index, report)
        self.schemes(get(details[index], "items"), "/bids/details[]/items[]/classification/scheme", index, report)
        self.status(details, index, self.bid_status_default, self.bid_statuses, BID_STATUS, "/bids/details[]", report)
        self.organizations(details[index], "tenderers", self.tenderer_prefix, roles, "tenderer")

    def amount(self, value: dict[str, Any], index: int, report: Any) -> None:
        amount = value.get("amount")
        if is_number(amount):
            if as_f64(amount) in self.redact_amounts:
                swap_remove(value, "amount")
            elif as_f64(amount) == 0.0:
                report("/bids/details[]/value/amount", index, "", "is zero")
        if "currency" not in value:
            if self.currency is not None:
                value["currency"] = self.currency
            else:
                report("/bids/details[]/value/currency", index, "", "not set")

    def schemes(self, items: Any, path: str, index: int, report: Any) -> None:
        for number, item in enumerate(items if isinstance(items, list) else ()):
            classification = get(item, "classification")
            if isinstance(classification, dict) and "scheme" not in classification:
                if self.scheme is not None:
                    classification["scheme"] = self.scheme
                else:
                    report(path, f"{index}.{number}", "", "not set")

    def status(
        self,
        container: list[Any],
        index: int,
        default: str | None,
        mapping: dict[str, str],
        codes: frozenset[str],
        path: str,
        report: Any,
    ) -> None:
        if _is_unset(container, index, "status"):
            if default is not None:
                _set(container, index, "status", default)
            else:
                report(f"{path}/status", index, "", "not set")
        status = get(container[index], "status")
        if isinstance(status, str):
            status = container[index]["status"] = mapping.get(status, status)
            if status not in codes:
                report(f"{path}/status", index, status, "invalid")

    def cancelled_awards(self, release: dict[str, Any]) -> dict[str, bool]:
        """For each ``awardID``, whether all its contracts are cancelled (with the correction on)."""
        cancelled: dict[str, bool] = {}
        contracts = release.get("contracts")
        if not self.by_contract_status or not isinstance(contracts, list):
            return cancelled
        for contract in contracts:
            stringify(contract, "awardID")
            if isinstance(award_id := get(contract, "awardID"), str):
                is_cancelled = get(contract, "status") == "cancelled"
                cancelled[award_id] = cancelled.get(award_id, True) and is_cancelled
        return cancelled

    def award(
        self, awards: list[Any], index: int, roles: dict[str, set[str]], cancelled: dict[str, bool], report: Any
    ) -> None:
        stringify(awards[index], "id")
        items = get(awards[index], "items")
        for item in items if isinstance(items, list) else ():
            self.identify(get(item, "classification"), "", {}, "", redact=False)
        self.schemes(items, "/awards[]/items[]/classification/scheme", index, report)
        self.status(awards, index, self.award_status_default, self.award_statuses, AWARD_STATUS, "/awards[]", report)
        award = awards[index]
        if self.by_contract_status and isinstance(award_id := get(award, "id"), str) and cancelled.get(award_id):
            award["status"] = "cancelled"
        self.organizations(award, "suppliers", self.tenderer_prefix, roles, "supplier")


def prepare(release: dict[str, Any], settings: Settings, line: int = 0) -> tuple[dict[str, Any], list[Issue]]:
    """One release corrected as ``ocdscardinal prepare`` corrects it, and its issues."""
    return Preparer(settings)(release, line)


def prepare_all(releases: Iterable[Any], settings: Settings) -> Iterator[tuple[dict[str, Any], list[Issue]]]:
    """Each release that is a JSON object, corrected, with its issues (lines numbered from 1)."""
    preparer = Preparer(settings)
    for line, release in enumerate(releases, 1):
        if isinstance(release, dict):
            yield preparer(release, line)
