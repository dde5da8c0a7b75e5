"""The parties of a compiled release, with the roles its references give them, resolved to organizations.

References (``buyer``, ``tender.procuringEntity``, ``tender.tenderers``, ``awards[].suppliers``) are resolved
through ``parties`` by ``id``; a reference whose id is not there (or that has none, as in OCDS 1.0) becomes a party
of its own, once per id or name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aggregator.normalize.orgs import Organization, SchemeMap, resolve
from aggregator.normalize.register import Register
from aggregator.normalize.values import Problem, as_dict, dicts, text


@dataclass
class Party:
    party_id: str | None
    body: dict[str, Any]
    roles: list[str] = field(default_factory=list)
    organization: Organization | None = None


@dataclass
class Parties:
    parties: list[Party]
    by_id: dict[str, Party]
    by_reference: dict[tuple[str | None, str | None], Party]

    def find(self, reference: Any) -> Party | None:
        reference = as_dict(reference)
        party_id = text(reference.get("id"))
        if party_id in self.by_id:
            return self.by_id[party_id]
        return self.by_reference.get((party_id, text(reference.get("name"))))

    def key(self, reference: Any) -> str | None:
        party = self.find(reference)
        return party.organization.org_key if party and party.organization else None


def references(release: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role, reference) for every organization reference of the release."""
    if isinstance(release.get("buyer"), dict):
        yield "buyer", release["buyer"]
    tender = as_dict(release.get("tender"))
    if isinstance(tender.get("procuringEntity"), dict):
        yield "procuringEntity", tender["procuringEntity"]
    for tenderer in dicts(tender.get("tenderers")):
        yield "tenderer", tenderer
    for award in dicts(release.get("awards")):
        for supplier in dicts(award.get("suppliers")):
            yield "supplier", supplier


def collect(release: dict[str, Any]) -> Parties:
    """The release's parties, and a party for each reference that ``parties`` lacks, with their roles."""
    parties: list[Party] = []
    by_id: dict[str, Party] = {}
    for body in dicts(release.get("parties")):
        party = Party(text(body.get("id")), body, [role for role in map(text, _list(body.get("roles"))) if role])
        parties.append(party)
        if party.party_id is not None:
            by_id.setdefault(party.party_id, party)
    result = Parties(parties, by_id, {})
    for role, reference in references(release):
        party = result.find(reference)
        if party is None:
            party = Party(text(reference.get("id")), reference)
            parties.append(party)
            result.by_reference[(party.party_id, text(reference.get("name")))] = party
        if role not in party.roles:
            party.roles.append(role)
    return result


def resolve_parties(
    release: dict[str, Any], publisher: str, country: str, register: Register, schemes: SchemeMap
) -> tuple[Parties, list[Problem]]:
    result = collect(release)
    problems: list[Problem] = []
    for party in result.parties:
        party.organization = resolve(party.body, publisher, country, register, schemes)
        problems.extend(party.organization.problems)
    return result, problems


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, str) else []
