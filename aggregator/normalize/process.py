"""One compiled release in, its normalized rows out: the process, its awards, contracts, parties and identifiers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from aggregator.normalize import dates
from aggregator.normalize.money import money
from aggregator.normalize.ocids import process_key
from aggregator.normalize.orgs import SchemeMap
from aggregator.normalize.parties import Parties, resolve_parties
from aggregator.normalize.procedures import Mapping, classify
from aggregator.normalize.rates import RateTables
from aggregator.normalize.register import Register
from aggregator.normalize.values import Problem, as_dict, dicts, raw, text


@dataclass(frozen=True)
class Context:
    """What every compiled release is normalized with, loaded once per run."""

    register: Register
    schemes: SchemeMap
    procedures: Mapping
    currencies: frozenset[str]
    rates: RateTables
    today: date


@dataclass(frozen=True)
class Compiled:
    compiled_release_id: int
    publisher_id: int
    publisher: str
    country: str
    ocid: str
    body: dict[str, Any]
    declared_prefixes: tuple[str, ...] = ()


@dataclass
class Normalized:
    process: dict[str, Any]
    awards: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def output_hash(self) -> bytes:
        rows = (self.process, self.awards, self.contracts, self.parties, self.identifiers)
        return hashlib.sha256(orjson.dumps(rows, default=_json, option=orjson.OPT_SORT_KEYS)).digest()


def number_of_tenderers(tender: dict[str, Any]) -> int | None:
    """``numberOfTenderers`` when it is an integer; where it is missing, the distinct tenderers that
    ``tender.tenderers`` lists (by id, else identifier, else name): Taiwan lists them and gives no number."""
    number = tender.get("numberOfTenderers")
    if type(number) is int:
        return number
    listed = tender.get("tenderers")
    if number is not None or not isinstance(listed, list):
        return None
    keys = {
        orjson.dumps(t.get("id") or t.get("identifier") or t.get("name") or t, option=orjson.OPT_SORT_KEYS)
        for t in dicts(listed)
    }
    return len(keys) or None


def _json(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


class Builder:
    """Builds the rows of one compiled release; problems are collected as they are met."""

    def __init__(self, compiled: Compiled, ctx: Context) -> None:
        self.compiled = compiled
        self.ctx = ctx
        self.problems: list[Problem] = []

    def date(self, value: Any, name: str) -> tuple[datetime | None, str | None]:
        parsed, problem = dates.parse(value, self.ctx.today)
        if problem:
            self.problems.append(Problem(problem.code, problem.level, problem.message, f"{name}: {problem.value}"))
        return parsed, raw(value)

    def money(self, value: Any, *references: tuple[datetime | None, str]) -> dict[str, Any]:
        day, source = next(((moment.date(), name) for moment, name in references if moment), (None, None))
        columns, problems = money(value, (day, source), self.compiled.country, self.ctx.currencies, self.ctx.rates)
        self.problems.extend(problems)
        return columns

    def build(self) -> Normalized:
        release = self.compiled.body
        parties, problems = resolve_parties(
            release, self.compiled.publisher, self.compiled.country, self.ctx.register, self.ctx.schemes
        )
        self.problems.extend(problems)
        released, released_raw = self.date(release.get("date"), "date")
        result = Normalized(self.process(release, parties, released, released_raw))
        result.awards = self.awards(release, parties, released)
        result.contracts = self.contracts(release, released)
        result.process["award_count"], result.process["contract_count"] = len(result.awards), len(result.contracts)
        result.parties, result.identifiers = self.parties(parties)
        result.problems = self.problems
        return result

    def process(
        self, release: dict[str, Any], parties: Parties, released: datetime | None, released_raw: str | None
    ) -> dict[str, Any]:
        compiled, tender = self.compiled, as_dict(release.get("tender"))
        key, scope, problem = process_key(compiled.ocid, compiled.publisher, compiled.declared_prefixes)
        self.problems.extend([problem] if problem else [])
        method, details = text(tender.get("procurementMethod")), text(tender.get("procurementMethodDetails"))
        procedure = classify(compiled.publisher, method, details, self.ctx.procedures)
        self.problems.extend(procedure.problems)
        period = as_dict(tender.get("tenderPeriod"))
        start, start_raw = self.date(period.get("startDate"), "tender.tenderPeriod.startDate")
        end, end_raw = self.date(period.get("endDate"), "tender.tenderPeriod.endDate")
        buyer = parties.find(release.get("buyer")) or next((p for p in parties.parties if "buyer" in p.roles), None)
        organization = buyer.organization if buyer else None
        return {
            "compiled_release_id": compiled.compiled_release_id,
            "publisher_id": compiled.publisher_id,
            "ocid": compiled.ocid,
            "process_key": key,
            "ocid_scope": scope,
            "country": compiled.country,
            "buyer_org_key": organization.org_key if organization else None,
            "buyer_country": organization.country if organization and organization.method == "identifier" else None,
            "title": text(tender.get("title")),
            "tender_status": text(tender.get("status")),
            "procurement_method_raw": method,
            "procurement_method_details_raw": details,
            "procurement_method": procedure.procurement_method,
            "procedure_type": procedure.procedure_type,
            "procedure_type_source": procedure.source,
            "main_procurement_category": text(tender.get("mainProcurementCategory")),
            "number_of_tenderers": number_of_tenderers(tender),
            "release_date": released,
            "release_date_raw": released_raw,
            "tender_start": start,
            "tender_start_raw": start_raw,
            "tender_end": end,
            "tender_end_raw": end_raw,
            **self.money(tender.get("value"), (start, "tender_period_start"), (released, "release_date")),
        }

    def awards(self, release: dict[str, Any], parties: Parties, released: datetime | None) -> list[dict[str, Any]]:
        if release.get("awards") is not None and not isinstance(release.get("awards"), list):
            self.problems.append(Problem("not_an_array", "warning", "a field that should be an array", "awards"))
        rows = []
        for position, award in enumerate(dicts(release.get("awards"))):
            moment, moment_raw = self.date(award.get("date"), "awards.date")
            suppliers = [parties.key(supplier) for supplier in dicts(award.get("suppliers"))]
            rows.append(
                {
                    "position": position,
                    "award_id": text(award.get("id")),
                    "title": text(award.get("title")),
                    "status": text(award.get("status")),
                    "date": moment,
                    "date_raw": moment_raw,
                    "supplier_org_keys": [key for key in suppliers if key],
                    **self.money(award.get("value"), (moment, "award_date"), (released, "release_date")),
                }
            )
        return rows

    def contracts(self, release: dict[str, Any], released: datetime | None) -> list[dict[str, Any]]:
        contracts = release.get("contracts")
        if contracts is None and isinstance(release.get("contract"), list):
            contracts = release["contract"]
            self.problems.append(Problem("contract_singular", "info", "contracts published as 'contract' were read"))
        rows = []
        for position, contract in enumerate(dicts(contracts)):
            signed, signed_raw = self.date(contract.get("dateSigned"), "contracts.dateSigned")
            period = as_dict(contract.get("period"))
            start, start_raw = self.date(period.get("startDate"), "contracts.period.startDate")
            end, end_raw = self.date(period.get("endDate"), "contracts.period.endDate")
            references = (signed, "contract_date_signed"), (start, "contract_period_start"), (released, "release_date")
            rows.append(
                {
                    "position": position,
                    "contract_id": text(contract.get("id")),
                    "award_id": text(contract.get("awardID")),
                    "title": text(contract.get("title")),
                    "status": text(contract.get("status")),
                    "date_signed": signed,
                    "date_signed_raw": signed_raw,
                    "period_start": start,
                    "period_start_raw": start_raw,
                    "period_end": end,
                    "period_end_raw": end_raw,
                    **self.money(contract.get("value"), *references),
                }
            )
        return rows

    def parties(self, parties: Parties) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows, identifiers = [], []
        for party in parties.parties:
            organization = party.organization
            if organization is None or organization.org_key is None:
                continue
            position = len(rows)
            rows.append(
                {
                    "position": position,
                    "party_id": party.party_id,
                    "name": organization.name,
                    "roles": party.roles,
                    "org_key": organization.org_key,
                    "method": organization.method,
                    "score": organization.score,
                    "scheme": organization.scheme,
                    "identifier": organization.identifier,
                    "country": organization.country,
                }
            )
            for number, row in enumerate(organization.identifiers):
                identifiers.append({"party_position": position, "position": number, **vars(row)})
        return rows, identifiers


def build(compiled: Compiled, ctx: Context) -> Normalized:
    return Builder(compiled, ctx).build()
