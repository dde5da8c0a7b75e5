"""Fictional buyers and suppliers, with identifiers as messy as real ones.

Suppliers are drawn per country (one seeded pool) so that publishers of the same country share suppliers. Most
identifiers are clean; a few suppliers use a free-text scheme, a badly formatted identifier, or none at all.
"""

import random
from dataclasses import dataclass
from typing import Any

from aggregator.sandbox.publishers import Country, Publisher
from aggregator.sandbox.vocabulary import (
    BRANDS,
    CITY_DEPARTMENTS,
    CITY_SCHOOLS,
    FIRST_NAMES,
    LOCAL_BODIES,
    NATIONAL_BODIES,
    PLACES,
    REGIONS,
    SECTORS,
    SUPPLIER_PATTERNS,
    SURNAMES,
)

NO_IDENTIFIER_SHARE = 0.03
FREE_TEXT_SCHEME_SHARE = 0.04
BADLY_FORMATTED_SHARE = 0.04


@dataclass(frozen=True)
class Organization:
    """A buyer or supplier as it recurs across processes."""

    party_id: str
    name: str
    identifier: tuple[str, str] | None  # (scheme, id) as published
    locality: str
    country_name: str

    def reference(self) -> dict[str, Any]:
        """OCDS 1.1 OrganizationReference."""
        return {"id": self.party_id, "name": self.name}

    def block(self) -> dict[str, Any]:
        """OCDS 1.0 Organization: the full block, without ``id``."""
        block: dict[str, Any] = {"name": self.name}
        if self.identifier:
            scheme, local_id = self.identifier
            block["identifier"] = {"scheme": scheme, "id": local_id, "legalName": self.name}
        block["address"] = {"locality": self.locality, "countryName": self.country_name}
        return block

    def party(self, roles: list[str]) -> dict[str, Any]:
        """OCDS 1.1 entry of the ``parties`` array."""
        return {"id": self.party_id, **self.block(), "roles": roles}


def luhn_digit(digits: str) -> str:
    """The digit that makes ``digits + digit`` pass the Luhn check (as SIREN and SIRET numbers do)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def siret(rng: random.Random) -> str:
    siren = f"{rng.randrange(10_000_000, 100_000_000)}"
    siren += luhn_digit(siren)
    body = f"{siren}{rng.randrange(1, 100):04d}"
    return body + luhn_digit(body)


def rfc(name: str, rng: random.Random) -> str:
    letters = "".join(word[0] for word in name.upper().split() if word[0].isalpha())[:3].ljust(3, "X")
    born = f"{rng.randrange(75, 100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    check = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(3))
    return letters.encode("ascii", "replace").decode().replace("?", "X") + born + check


def company_number(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"SC{rng.randrange(100_000, 999_999)}"
    return f"{rng.randrange(100_000, 15_000_000):08d}"


def local_identifier(scheme: str, name: str, rng: random.Random) -> str:
    if scheme.endswith("RFC"):
        return rfc(name, rng)
    if scheme.endswith("SIRET"):
        return siret(rng)
    if scheme.endswith("CRN"):
        return company_number(rng)
    return f"PB{rng.randrange(10_000, 99_999)}"


def badly_formatted(scheme: str, local_id: str) -> str:
    """How a careless clerk types an identifier."""
    if scheme.endswith("SIRET"):
        return f"{local_id[:3]} {local_id[3:6]} {local_id[6:9]} {local_id[9:]}"
    if scheme.endswith("CRN"):
        return local_id.lstrip("0")
    return f"{local_id[:3]}-{local_id[3:9]}-{local_id[9:]}".lower()


def unique_names(make: Any, count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = make(rng)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def supplier_name(language: str, rng: random.Random) -> str:
    surname, surname2 = rng.sample(SURNAMES[language], 2)
    return rng.choice(SUPPLIER_PATTERNS[language]).format(
        surname=surname,
        surname2=surname2,
        first=rng.choice(FIRST_NAMES[language]),
        brand=rng.choice(BRANDS[language]),
        sector=rng.choice(SECTORS[language]),
        place=rng.choice(PLACES[language]),
        region=rng.choice(REGIONS.get(language, ("",))),
    )


def supplier_pool(country: Country, seed: int) -> list[Organization]:
    """All suppliers of a country, in a fixed order."""
    rng = random.Random(f"{seed}:{country.code}:suppliers")
    names = unique_names(lambda r: supplier_name(country.language, r), country.supplier_pool, rng)
    suppliers = []
    for number, name in enumerate(names, 1):
        scheme = country.supplier_scheme
        local_id = local_identifier(scheme, name, rng)
        draw = rng.random()
        identifier: tuple[str, str] | None = (scheme, local_id)
        party_id = f"{scheme}-{local_id}"
        if draw < NO_IDENTIFIER_SHARE:
            identifier, party_id = None, f"{country.code}-SUP-{number:04d}"
        elif draw < NO_IDENTIFIER_SHARE + FREE_TEXT_SCHEME_SHARE:
            identifier = (country.free_text_scheme, local_id)
        elif draw < NO_IDENTIFIER_SHARE + FREE_TEXT_SCHEME_SHARE + BADLY_FORMATTED_SHARE:
            identifier = (scheme, badly_formatted(scheme, local_id))
        locality = rng.choice(PLACES[country.language])
        suppliers.append(Organization(party_id, name, identifier, locality, country.name))
    return suppliers


def buyer_names(publisher: Publisher, rng: random.Random) -> list[str]:
    language = publisher.country.language
    if publisher.level == "city":
        big = [f"Northhaven City Council - {department}" for department in CITY_DEPARTMENTS]
        small = [f"{school} Primary School, Northhaven" for school in CITY_SCHOOLS]
    else:
        big = list(NATIONAL_BODIES[language])
        small = [template.format(place=place) for template in LOCAL_BODIES[language] for place in PLACES[language]]
    rng.shuffle(big)
    rng.shuffle(small)
    return (big + small)[: publisher.buyers]  # big buyers first: they get the highest Zipf weights


def buyers(publisher: Publisher, seed: int) -> list[Organization]:
    """The publisher's buyers, most active first (Zipf weights follow this order)."""
    rng = random.Random(f"{seed}:{publisher.key}:buyers")
    country = publisher.country
    places = PLACES[country.language]  # the capital first
    result = []
    for name in buyer_names(publisher, rng):
        local_id = local_identifier(country.buyer_scheme, name, rng)
        locality = next((place for place in places if place in name), places[0])
        result.append(
            Organization(
                f"{country.buyer_scheme}-{local_id}", name, (country.buyer_scheme, local_id), locality, country.name
            )
        )
    return result


def central_entity(publisher: Publisher, seed: int) -> Organization:
    """The country's central purchasing body, procuring entity on behalf of some buyers."""
    country = publisher.country
    rng = random.Random(f"{seed}:{country.code}:central")
    local_id = local_identifier(country.buyer_scheme, country.central_entity, rng)
    return Organization(
        f"{country.buyer_scheme}-{local_id}",
        country.central_entity,
        (country.buyer_scheme, local_id),
        PLACES[country.language][0],
        country.name,
    )


def suppliers(publisher: Publisher, seed: int) -> list[Organization]:
    """The publisher's slice of its country's supplier pool."""
    start, stop = publisher.suppliers
    return supplier_pool(publisher.country, seed)[start:stop]
