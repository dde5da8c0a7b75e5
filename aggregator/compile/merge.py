"""Compiling the releases of one OCID. Pure functions: values in, values out; inputs are never mutated.

Order: releases are merged in the order of their ``date`` text (as the reference merger, ocdsmerge, sorts them),
ties broken by release ``id`` then by load order (the order in which ocds-atlas stored them), so that the result
does not depend on the order of the query that fetched them. The same body stored twice (a re-crawl) is merged once.

Left out of the merge, each with a problem: a release whose ``date`` is absent or not an ISO 8601 date-time, and a
release whose ``id`` is not a string.

Records: their embedded releases are merged like any other. An OCID with no usable release takes the
``compiledRelease`` of its last loaded record (method ``publisher_compiled``); several records for one OCID give an
info problem.

OCDS 1.0: releases are merged with the 1.0 rules, then the compiled release is upgraded to 1.1 (ocdskit). When an
OCID mixes 1.0 and 1.1 releases, the 1.0 releases are upgraded first and all are merged with the 1.1 rules.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import struct
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aggregator.compile import fastmerge
from aggregator.compile.rules import Rules
from aggregator.raw.shapes import Problem

_QUOTED_PATH = re.compile(r"`([^`]*)`")


@dataclass(slots=True)  # not frozen: one is made per release, and frozen made each cost 0.54 µs, not 0.15
class ReleaseInput:
    data_id: int
    release_id: str | None
    date_text: str | None
    date: datetime | None
    #: Comparable values that follow the order of storing: (crawl file id, position in the file, row id).
    load_order: tuple[int, ...] | int
    body: dict[str, Any]
    ocds_version: str = "1.1"
    #: A compiled release as published (``load --compiled``): taken as is, never merged.
    compiled: bool = False


@dataclass(frozen=True)
class RecordInput:
    data_id: int
    load_order: tuple[int, ...] | int
    body: dict[str, Any]
    ocds_version: str = "1.1"


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
    versioned: dict[str, Any] | None = None


@dataclass
class _Merged:
    body: dict[str, Any] | None = None
    versioned: dict[str, Any] | None = None
    warnings: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


def merge_order(releases: Iterable[ReleaseInput]) -> list[ReleaseInput]:
    """Distinct bodies, in merge order."""
    releases = list(releases)
    if len(releases) < 2:
        return releases
    distinct = releases
    if len({r.data_id for r in releases}) < len(releases):  # the same body twice: the first loaded is kept
        seen: set[int] = set()
        distinct = []
        for release in sorted(releases, key=lambda r: r.load_order):
            if release.data_id not in seen:
                seen.add(release.data_id)
                distinct.append(release)
    return sorted(distinct, key=_merge_key)


def _merge_key(release: ReleaseInput) -> tuple[str, str, tuple[int, ...] | int]:
    return (release.date_text or "", release.release_id or "", release.load_order)


def input_hash(label: str, releases: list[ReleaseInput], records: list[RecordInput]) -> bytes:
    """Of the rules and the inputs in merge order: equal hashes mean an equal compiled release (the label's UTF-8,
    then each release's ``raw_data`` id and each record's, negated, as 8-byte big-endian signed integers)."""
    ids = [r.data_id for r in releases] + [-r.data_id for r in records]
    return hashlib.sha256(label.encode() + struct.pack(f">{len(ids)}q", *ids)).digest()


def hash_label(rules_label: str, versioned: bool) -> str:
    return rules_label + (" versioned" if versioned else "")


def inputs_digest(
    rules_label: str, releases: list[ReleaseInput], records: list[RecordInput], *, versioned: bool = False
) -> bytes:
    """What :func:`compile_ocid` gives as ``input_hash``, from the inputs' keys alone (their bodies are not read)."""
    return input_hash(hash_label(rules_label, versioned), merge_order(releases), records)


def usable(releases: list[ReleaseInput]) -> tuple[list[ReleaseInput], list[Problem]]:
    for release in releases:  # the usual case first: every release usable, no list made again
        if not _usable(release):
            break
    else:
        return releases, []
    kept, problems = [], []
    for release in releases:
        if _usable(release):
            kept.append(release)
            continue
        data = {"release_id": release.release_id}
        if not isinstance(release.body.get("id"), str):
            message = "a release whose id is not a string is left out of the merge"
            problems.append(Problem("warning", "release_id_not_string", message, data))
        elif release.date_text is None:
            message = "a release without a date is left out of the merge"
            problems.append(Problem("warning", "release_without_date", message, data))
        else:
            message = "a release whose date is not an ISO 8601 date-time is left out of the merge"
            problems.append(Problem("warning", "unusable_date", message, {**data, "date": release.date_text}))
    return kept, problems


def _usable(release: ReleaseInput) -> bool:
    return release.date is not None and release.date_text is not None and isinstance(release.body.get("id"), str)


def compile_ocid(
    rules: Rules,
    ocid: str,
    releases: list[ReleaseInput],
    records: list[RecordInput],
    *,
    versioned: bool = False,
    label: str | None = None,
    fast_only: bool = False,
) -> Compiled:
    """Compile one OCID from its releases, else from its record's ``compiledRelease``. With ``fast_only``, releases
    that only ocdsmerge itself merges raise :class:`fastmerge.Unsupported` instead (see :func:`merge_releases`)."""
    ordered = merge_order(releases)
    loaded = [r for r in ordered if r.compiled]
    kept, problems = usable([r for r in ordered if not r.compiled] if loaded else ordered)
    if kept and loaded:
        message = "the OCID has releases and compiled releases: its releases are merged, its compiled releases left"
        problems.append(Problem("warning", "releases_and_compiled_releases", message, {"compiled": len(loaded)}))
    digest = input_hash(hash_label(label or rules.label, versioned), ordered, records)
    if len(records) > 1:
        message = f"{len(records)} records for one OCID: their releases are merged, the last one's compiledRelease kept"
        problems.append(Problem("info", "several_records", message, {"records": len(records)}))
    if kept:
        merged = merge_releases(rules, kept, versioned=versioned, fast_only=fast_only)
        if merged.body is not None and rules.tag < "1__1":
            from ocdskit.upgrade import upgrade_release_10_11  # 1.0 only: ocdskit imports ocdsmerge

            with _upgrade_log(merged):
                upgrade_release_10_11(merged.body, reorder=False)
        problems.extend(merged.problems)
        if merged.body is not None:
            dates = [r.date for r in kept if r.date is not None]
            method = "single_release" if len(kept) == 1 else "merged"
            return Compiled(
                merged.body,
                method,
                len(kept),
                min(dates),
                max(dates),
                digest,
                dict(merged.warnings),
                problems,
                merged.versioned,
            )
    if loaded:
        return loaded_compiled(ocid, loaded, digest, problems)
    fallback = publisher_compiled(ocid, records, problems)
    if fallback is not None:
        return Compiled(fallback, "publisher_compiled", 0, None, None, digest, {}, problems)
    message = "no usable release and no compiledRelease to compile from"
    problems.append(Problem("error", "nothing_to_compile", message))
    return Compiled(None, None, 0, None, None, digest, {}, problems)


def merge_releases(
    rules: Rules, releases: list[ReleaseInput], *, versioned: bool = False, fast_only: bool = False
) -> _Merged:
    """Merge releases already in merge order, with the rules given. 1.0 releases merged with 1.1 rules are upgraded
    first; the result of 1.0 rules is left as 1.0 (:func:`compile_ocid` upgrades it). With ``fast_only``, the shapes
    that the fast merge leaves to ocdsmerge raise :class:`fastmerge.Unsupported`: ocdsmerge's result for them may
    depend on the order of the bodies' keys, so a caller holding bodies as published (not as stored, keys sorted)
    leaves them to a compile from the stored bodies."""
    merged = _Merged()
    bodies = [r.body for r in releases]
    if rules.tag >= "1__1" and any(r.ocds_version == "1.0" for r in releases):
        merged.problems.append(Problem("info", "mixed_versions", "1.0 releases were upgraded to 1.1 to be merged"))
        with _upgrade_log(merged):
            bodies = [_upgraded(r.body) if r.ocds_version == "1.0" else r.body for r in releases]
    if len(releases) > 1:
        merged.warnings.update(_repeated_dates(releases))
    if not versioned:
        # The fast merge warns of nothing: what it cannot merge as ocdsmerge would, it leaves (ocdsmerge is imported
        # only then, see aggregator.compile.rules).
        try:
            merged.body = fastmerge.compiled_release(rules.merger, bodies)
            return merged
        except fastmerge.Unsupported:
            if fast_only:
                raise
        except _MERGE_ERRORS as error:
            return _failed(merged, error)
    return _with_ocdsmerge(merged, rules, bodies, versioned=versioned, fast_only=fast_only)


#: What a merge raises on releases it cannot merge (beside ocdsmerge's own error): a note, not a failed run.
_MERGE_ERRORS = (TypeError, AttributeError, ValueError)


def _failed(merged: _Merged, error: Exception) -> _Merged:
    merged.body = merged.versioned = None
    merged.problems.append(Problem("error", "merge_failed", f"the releases could not be merged: {error}"))
    return merged


def _with_ocdsmerge(
    merged: _Merged, rules: Rules, bodies: list[dict[str, Any]], *, versioned: bool, fast_only: bool
) -> _Merged:
    """The compiled release (and, with ``versioned``, the versioned release) by ocdsmerge, its warnings counted."""
    from ocdsmerge.exceptions import OCDSMergeError, OCDSMergeWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OCDSMergeWarning)
        try:
            if versioned:
                merged.body = (
                    fastmerge.compiled_release(rules.merger, bodies) if fast_only else _compiled_release(rules, bodies)
                )
                merged.versioned = rules.merger.create_versioned_release(bodies)
            else:  # a shape the fast merge left to ocdsmerge
                merged.body = rules.merger.create_compiled_release(bodies)
        except (OCDSMergeError, *_MERGE_ERRORS) as error:
            return _failed(merged, error)
    for warning in caught:
        if issubclass(warning.category, OCDSMergeWarning):
            paths = _QUOTED_PATH.findall(str(warning.message))
            merged.warnings[f"{warning.category.__name__}:{paths[-1] if paths else ''}"] += 1
    return merged


def _compiled_release(rules: Rules, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """ocdsmerge's compiled release: from the fast merge, which gives the same, or from ocdsmerge itself for the
    shapes the fast merge leaves to it."""
    try:
        return fastmerge.compiled_release(rules.merger, bodies)
    except fastmerge.Unsupported:
        return rules.merger.create_compiled_release(bodies)


def publisher_compiled(ocid: str, records: list[RecordInput], problems: list[Problem]) -> dict[str, Any] | None:
    """The last loaded record's non-empty compiledRelease, with the record's OCID, upgraded to 1.1 if it is 1.0."""
    for record in sorted(records, key=lambda r: r.load_order, reverse=True):
        compiled = record.body.get("compiledRelease")
        if isinstance(compiled, dict) and compiled:
            if compiled.get("ocid") != ocid:
                message = "the record's compiledRelease has another ocid; the record's ocid is used"
                data = {"compiled_release_ocid": compiled.get("ocid")}
                problems.append(Problem("warning", "compiled_release_ocid_differs", message, data))
            compiled = {**compiled, "ocid": ocid}
            if record.ocds_version == "1.0":
                holder = _Merged()
                with _upgrade_log(holder):
                    compiled = _upgraded(compiled)
                problems.extend(holder.problems)
            return compiled
    return None


def loaded_compiled(ocid: str, loaded: list[ReleaseInput], digest: bytes, problems: list[Problem]) -> Compiled:
    """The last loaded of the compiled releases stored as such, as published (upgraded to 1.1 if it is 1.0)."""
    last = max(loaded, key=lambda r: r.load_order)
    if len(loaded) > 1:
        message = f"{len(loaded)} compiled releases for one OCID: the last loaded one is kept"
        problems.append(Problem("info", "several_compiled_releases", message, {"compiled_releases": len(loaded)}))
    body = {**last.body, "ocid": ocid}
    if last.ocds_version == "1.0":
        holder = _Merged()
        with _upgrade_log(holder):
            body = _upgraded(body)
        problems.extend(holder.problems)
    return Compiled(body, "publisher_compiled", 0, last.date, last.date, digest, {}, problems)


def _upgraded(body: dict[str, Any]) -> dict[str, Any]:
    from ocdskit.upgrade import upgrade_release_10_11

    upgraded = copy.deepcopy(body)
    upgrade_release_10_11(upgraded, reorder=False)
    return upgraded


def _repeated_dates(releases: list[ReleaseInput]) -> Counter[str]:
    if len({r.date_text for r in releases}) == len(releases):
        return Counter()
    counts = Counter(r.date_text for r in releases)
    repeated = sum(n - 1 for n in counts.values() if n > 1)
    return Counter({"RepeatedDate:date": repeated} if repeated else {})


class _Collect(logging.Handler):
    def __init__(self, merged: _Merged) -> None:
        super().__init__(logging.WARNING)
        self.merged = merged

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().split("\n", 1)[0]
        self.merged.problems.append(Problem("warning", "upgrade_warning", f"upgrading to 1.1: {message}"))


@contextmanager
def _upgrade_log(merged: _Merged) -> Iterator[None]:
    """ocdskit logs what an upgrade loses: keep it as problems."""
    logger = logging.getLogger("ocdskit")
    handler = _Collect(merged)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
