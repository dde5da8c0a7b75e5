"""Procedure types: OCDS ``procurementMethod`` as published, and one of open, selective, limited, direct from the
per-publisher mapping of ``procurementMethodDetails`` in ``data/procedures.csv``."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aggregator.normalize.register import read_csv
from aggregator.normalize.values import Problem

METHODS = frozenset({"open", "selective", "limited", "direct"})
#: A mapped value that names no procurement procedure.
NONE = "none"

Mapping = dict[tuple[str, str, str], str]


@dataclass(frozen=True)
class Procedure:
    procurement_method: str | None  # a codelist value, or None
    procedure_type: str | None
    source: str | None  # "procurementMethodDetails" | "procurementMethod"
    problems: tuple[Problem, ...] = ()


@functools.cache
def load_mapping() -> Mapping:
    """(publisher, field, published value) -> procedure type or "none"."""
    return {(row["publisher"], row["field"], row["value"]): row["procedure_type"] for row in read_csv("procedures.csv")}


def classify(publisher: str, method: str | None, details: str | None, mapping: Mapping) -> Procedure:
    problems = []
    codelist = method if method in METHODS else None
    by_method = mapping.get((publisher, "procurementMethod", method)) if method and not codelist else None
    if method and not codelist and by_method is None:
        message = "a procurementMethod outside the codelist and the publisher's mapping"
        problems.append(Problem("procurement_method_invalid", "warning", message, method))
    by_details = mapping.get((publisher, "procurementMethodDetails", details)) if details else None
    if details and by_details is None:
        message = "a procurementMethodDetails value missing from data/procedures.csv"
        problems.append(Problem("procedure_unmapped", "warning", message, details))
    if by_details is not None:
        kind = None if by_details == NONE else by_details
        if kind and codelist and kind != codelist:
            message = "procurementMethodDetails, as mapped, says another procedure than procurementMethod"
            problems.append(Problem("procedure_method_disagrees", "info", message, f"{method} / {details}"))
        return Procedure(codelist, kind, "procurementMethodDetails", tuple(problems))
    if by_method is not None:
        return Procedure(codelist, None if by_method == NONE else by_method, "procurementMethod", tuple(problems))
    return Procedure(codelist, codelist, "procurementMethod" if codelist else None, tuple(problems))
