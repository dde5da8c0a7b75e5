"""Compiling the releases of one OCID. Pure functions: values in, values out; inputs are never mutated.

Order: releases are merged in the order of their ``date`` text (as the reference merger, ocdsmerge, sorts them),
ties broken by release ``id`` then by load order (the order in which ocds-atlas stored them), so that the result
does not depend on the order of the query that fetched them. The same body stored twice (a re-crawl) is merged once.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ocdsmerge
from ocdsmerge.exceptions import OCDSMergeError, OCDSMergeWarning

from aggregator.shapes import Problem

_QUOTED_PATH = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class ReleaseInput:
    data_id: int
    release_id: str | None
    date_text: str | None
    date: datetime | None
    load_order: int
    body: dict[str, Any]


@dataclass(frozen=True)
class RecordInput:
    data_id: int
    load_order: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Compiled:
    body: dict[str, Any] | None
    method: str | None
    release_count: int
    first_date: datetime | None
    last_date: datetime | None
    input_hash: bytes
    warnings: dict[str, int]
    problems: list[Problem]


def merge_order(releases: Iterable[ReleaseInput]) -> list[ReleaseInput]:
    """Distinct bodies, in merge order."""
    seen: set[int] = set()
    distinct = []
    for release in sorted(releases, key=lambda r: r.load_order):
        if release.data_id not in seen:
            seen.add(release.data_id)
            distinct.append(release)
    return sorted(distinct, key=lambda r: (r.date_text or "", r.release_id or "", r.load_order))


def input_hash(rules: str, releases: list[ReleaseInput], records: list[RecordInput]) -> bytes:
    digest = hashlib.sha256(rules.encode())
    for data_id in [r.data_id for r in releases] + [-r.data_id for r in records]:
        digest.update(data_id.to_bytes(8, "big", signed=True))
    return digest.digest()


def compile_ocid(
    merger: ocdsmerge.Merger, rules: str, ocid: str, releases: list[ReleaseInput], records: list[RecordInput]
) -> Compiled:
    """Compile one OCID from its releases, else from its record's ``compiledRelease`` when it has no releases."""
    ordered = merge_order(releases)
    usable = [r for r in ordered if r.date_text is not None]
    problems = [_undated(r) for r in ordered if r.date_text is None]
    digest = input_hash(rules, ordered, records)
    if usable:
        body, counts, failure = _merge(merger, [r.body for r in usable])
        if failure:
            problems.append(failure)
        else:
            dates = [r.date for r in usable if r.date is not None]
            method = "single_release" if len(usable) == 1 else "merged"
            first, last = (min(dates), max(dates)) if dates else (None, None)
            return Compiled(body, method, len(usable), first, last, digest, counts, problems)
    fallback = _publisher_compiled(records)
    if fallback is not None and fallback.get("ocid") != ocid:
        problems.append(
            Problem(
                "warning",
                "compiled_release_ocid_differs",
                "the record's compiledRelease has another ocid; the record's ocid is used",
                {"compiled_release_ocid": fallback.get("ocid")},
            )
        )
        fallback = {**fallback, "ocid": ocid}
    if fallback is not None:
        if usable:
            problems.append(Problem("warning", "publisher_compiled_used", "releases could not be merged"))
        return Compiled(fallback, "publisher_compiled", 0, None, None, digest, {}, problems)
    problems.append(Problem("error", "nothing_to_compile", "no dated release and no compiledRelease to compile from"))
    return Compiled(None, None, 0, None, None, digest, {}, problems)


def _merge(
    merger: ocdsmerge.Merger, bodies: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, dict[str, int], Problem | None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OCDSMergeWarning)
        try:
            body = merger.create_compiled_release(bodies)
        except (OCDSMergeError, TypeError, AttributeError, ValueError) as error:
            return None, {}, Problem("error", "merge_failed", f"the releases could not be merged: {error}")
    counts: Counter[str] = Counter()
    for warning in caught:
        if issubclass(warning.category, OCDSMergeWarning):
            paths = _QUOTED_PATH.findall(str(warning.message))
            counts[f"{warning.category.__name__}:{paths[-1] if paths else ''}"] += 1
    return body, dict(counts), None


def _publisher_compiled(records: list[RecordInput]) -> dict[str, Any] | None:
    for record in sorted(records, key=lambda r: r.load_order, reverse=True):
        compiled = record.body.get("compiledRelease")
        if isinstance(compiled, dict) and compiled:
            return compiled
    return None


def _undated(release: ReleaseInput) -> Problem:
    return Problem(
        "warning",
        "release_without_date",
        "a release without a date is left out of the merge",
        {"release_id": release.release_id},
    )
