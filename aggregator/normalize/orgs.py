"""Organizations: a party's key is ``SCHEME-ID`` from its best usable identifier, else a name key within the country.

A scheme is resolved through the publisher's mapping (``data/schemes.csv``: free text, local codes, misspellings),
then the org-id.guide register (case-insensitive, renamed codes followed). The identifier is cleaned by the
scheme's rule (:mod:`identifiers`). Scores: 1.0 for a register code, 0.95 for a deprecated one, 0.9 for an extra
scheme or an identifier read from the party's ``id`` (``PY-RUC-80001870-2``), 0.7 for ``name_exact``, 0.5 for
``name_normalized``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from aggregator.normalize.identifiers import clean
from aggregator.normalize.names import name_key
from aggregator.normalize.register import Register, read_csv
from aggregator.normalize.values import Problem, as_dict, dicts, text

#: A scheme mapped to this in data/schemes.csv is a publisher's own numbering, deliberately not used as a key.
LOCAL = "local"
NAME_SCORES = {"name_exact": 0.7, "name_normalized": 0.5}
PARTY_ID_SCORE = 0.9

SchemeMap = dict[tuple[str, str], str]


@dataclass(frozen=True)
class IdentifierRow:
    source: str  # "identifier" | "additionalIdentifiers" | "party_id"
    scheme_raw: str | None
    id_raw: str | None
    scheme: str | None = None
    identifier: str | None = None
    key: str | None = None
    country: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class Organization:
    org_key: str | None
    method: str | None
    score: float | None
    country: str | None
    scheme: str | None
    identifier: str | None
    name: str | None
    identifiers: tuple[IdentifierRow, ...]
    problems: tuple[Problem, ...]


@functools.cache
def load_scheme_map() -> SchemeMap:
    """(publisher or "*", scheme as published) -> code."""
    return {(row["publisher"], row["raw_scheme"]): row["code"] for row in read_csv("schemes.csv")}


def party_name(party: dict[str, Any]) -> str | None:
    """The party's name; else its identifier's legal name; else a name in some language (``name_en``…)."""
    identifier = as_dict(party.get("identifier"))
    candidates = [party.get("name"), identifier.get("legalName")]
    candidates += [party[k] for k in sorted(party) if k.startswith("name") and k != "name"]
    candidates += [identifier[k] for k in sorted(identifier) if k.startswith("legalName")]
    return next((name for name in map(text, candidates) if name), None)


def resolve(
    party: dict[str, Any], publisher: str, country: str, register: Register, schemes: SchemeMap
) -> Organization:
    name = party_name(party)
    rows, problems = identifier_rows(party, publisher, register, schemes)
    usable = [row for row in rows if row.key]
    if not usable:
        from_id = identifier_from_party_id(text(party.get("id")), register)
        if from_id is not None:
            rows.append(from_id)
            usable = [from_id]
    if usable:
        best = max(usable, key=lambda row: row.score or 0)  # the first of the best: identifier before additional
        found = (best.key, "identifier", best.score, best.country, best.scheme, best.identifier)
        return Organization(*found, name, tuple(rows), tuple(problems))
    keyed = name_key(country, name) if name else None
    if keyed is None:
        problem = Problem("organization_unidentifiable", "warning", "a party without usable identifier or name")
        return Organization(None, None, None, None, None, None, name, tuple(rows), (*problems, problem))
    key, method = keyed
    return Organization(key, method, NAME_SCORES[method], country, None, None, name, tuple(rows), tuple(problems))


def identifier_rows(
    party: dict[str, Any], publisher: str, register: Register, schemes: SchemeMap
) -> tuple[list[IdentifierRow], list[Problem]]:
    rows, problems = [], []
    sources = [("identifier", party.get("identifier"))]
    sources += [("additionalIdentifiers", value) for value in dicts(party.get("additionalIdentifiers"))]
    for source, value in sources:
        identifier = as_dict(value)
        if text(identifier.get("id")) is None:
            continue
        row, found = identifier_row(source, identifier, publisher, register, schemes)
        rows.append(row)
        problems.extend(found)
    return rows, problems


def identifier_row(
    source: str, identifier: dict[str, Any], publisher: str, register: Register, schemes: SchemeMap
) -> tuple[IdentifierRow, list[Problem]]:
    scheme_raw, id_raw = text(identifier.get("scheme")), text(identifier.get("id"))
    assert id_raw is not None
    raw_key = scheme_raw or ""
    code = schemes.get((publisher, raw_key)) or schemes.get(("*", raw_key)) or scheme_raw
    row = IdentifierRow(source, scheme_raw, id_raw)
    if not code:
        return row, [Problem("scheme_missing", "info", "an identifier without a scheme was not used")]
    if code == LOCAL:
        return row, []
    scheme, former = register.resolve(code)
    if scheme is None:
        return row, [Problem("scheme_unknown", "warning", "a scheme neither in the register nor mapped", scheme_raw)]
    problems = []
    if former:
        problems.append(Problem("scheme_renamed", "info", "a renamed scheme code was read as its new code", former))
    elif scheme.deprecated:
        problems.append(Problem("scheme_deprecated", "info", "a deprecated scheme code", scheme.code))
    cleaned, why = clean(scheme.code, scheme.rule, id_raw)
    if cleaned is None:
        value = f"{scheme.code} {id_raw}"
        if why == "placeholder":
            return row, [*problems, Problem("identifier_placeholder", "info", "a placeholder identifier", value)]
        message = "an identifier failed its scheme's format or check digit"
        return row, [*problems, Problem("identifier_invalid", "warning", message, f"{value} ({why})")]
    score = 0.95 if scheme.deprecated and not former else 1.0 if scheme.registered else 0.9
    key = f"{scheme.code}-{cleaned}"
    return IdentifierRow(source, scheme_raw, id_raw, scheme.code, cleaned, key, scheme.country, score), problems


def identifier_from_party_id(party_id: str | None, register: Register) -> IdentifierRow | None:
    """``PY-RUC-80001870-2``: a party id that starts with a known scheme code, for parties without identifier."""
    if not party_id:
        return None
    parts = party_id.split("-")
    for cut in range(2, len(parts)):
        scheme, _ = register.resolve("-".join(parts[:cut]))
        if scheme is not None:
            cleaned, _ = clean(scheme.code, scheme.rule, "-".join(parts[cut:]))
            if cleaned is None:
                return None
            key = f"{scheme.code}-{cleaned}"
            found = (scheme.code, cleaned, key, scheme.country, PARTY_ID_SCORE)
            return IdentifierRow("party_id", scheme.code, party_id, *found)
    return None
