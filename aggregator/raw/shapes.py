"""Classify parsed JSON values as OCDS releases and records, reporting problems as data.

Every envelope seen in real publications is recognised: release packages, record packages, bare releases
and records, arrays (and nested arrays) of any of these, single-key wrappers such as Colombia's bulk
``{"Release": {...}}`` lines, and the ``packageInfo`` artefact of the old sample-data fetcher. Release and
record objects are passed through untouched (not copied), except that a bare release's ``packageInfo`` is
moved out: the item's data is then a shallow copy without it.

A release without an ``ocid`` is skipped with an error note, unless the reading is told (``ocid_from_id``) that
the publisher's release ``id`` carries the OCID (Italy's ANAC: ``ocds-hu01ve-7608611-01``): it then gets
:func:`ocid_from_id`'s, in a copy, with an info note.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Something handled (while reading, merging or crawling): stored as a note, never raised."""

    level: str  # "info" | "warning" | "error"
    code: str  # short snake_case code
    message: str  # one clear English sentence
    data: dict[str, Any] = field(default_factory=dict)  # small JSON-serialisable context


@dataclass(slots=True)  # not frozen: one is made per release, and frozen made each cost 0.54 µs, not 0.15
class Item:
    """A release or record, with the metadata of the package it came in.

    ``package`` is shared by all items of one package: treat it as read-only.
    """

    kind: str  # "release" | "record"
    data: dict[str, Any]
    package: dict[str, Any] | None
    ordinal: int  # 0-based position of the item within its source


# Keys whose presence next to an ``ocid`` makes a dict a (bare) release: the schema's, and the bids and auction
# extensions' (a compiled release that Cardinal reads may hold only bids or auctions).
RELEASE_KEYS = frozenset(
    {"id", "date", "tag", "tender", "awards", "contracts", "planning", "parties", "buyer", "initiationType"}
    | {"bids", "auctions"}
)
# Keys that only a package has; a dict with ``ocid`` and ``releases`` is a record unless it has one of these.
PACKAGE_KEYS = frozenset({"uri", "publishedDate", "publisher", "publicationPolicy", "license", "packages"})
# Single keys under which some publishers wrap a release, a package or an array of packages.
WRAPPER_KEYS = ("Release", "release", "releasePackage", "recordPackage", "arrayReleasePackage")
MAX_DEPTH = 32

# A classified value before it gets its ordinal: (kind, data, package).
_Found = tuple[str, dict[str, Any], dict[str, Any] | None]


def iter_items(value: Any, ordinal_start: int = 0, ocid_from_id: bool = False) -> Iterator[Item | Problem]:
    """Yield the releases and records in one parsed JSON value, numbering them from ``ordinal_start``; with
    ``ocid_from_id``, a release without an ``ocid`` gets the one its ``id`` carries (see :func:`ocid_from_id`)."""
    ordinal = ordinal_start
    for found in _classify(value, 0, ocid_from_id):
        if isinstance(found, Problem):
            yield found
        else:
            kind, data, package = found
            yield Item(kind, data, package, ordinal)
            ordinal += 1


def _classify(value: Any, depth: int, from_id: bool) -> Iterator[_Found | Problem]:
    if depth > MAX_DEPTH:
        yield _not_ocds(value, f"it is nested more than {MAX_DEPTH} levels deep")
    elif isinstance(value, list):
        if not value and depth == 0:
            yield Problem("info", "empty_array", "The JSON value is an empty array.", {})
        for element in value:
            yield from _classify(element, depth + 1, from_id)
    elif not isinstance(value, dict):
        yield _not_ocds(value, "it is not a JSON object")
    elif "records" in value:
        yield from _package(value, "records", from_id)
    elif _is_record(value):
        yield from _entry("record", value, None, None, from_id)
    elif "releases" in value:
        yield from _package(value, "releases", from_id)
    else:
        yield from _classify_other(value, depth, from_id)


def _classify_other(value: dict[str, Any], depth: int, from_id: bool) -> Iterator[_Found | Problem]:
    wrapper = _wrapper_key(value)
    if wrapper is not None:
        yield Problem(
            "info",
            "wrapper_unwrapped",
            f"The OCDS data was wrapped in a {wrapper!r} member, which was unwrapped.",
            {"member": wrapper, "other_keys": sorted(k for k in value if k != wrapper)[:20]},
        )
        yield from _classify(value[wrapper], depth + 1, from_id)
    elif _is_versioned_release(value):
        yield Problem(
            "warning",
            "versioned_release",
            "A versioned release (values with their release history) was skipped, as it is not a release.",
            {"ocid": _scalar(value.get("ocid"))},
        )
    elif "ocid" in value and RELEASE_KEYS.intersection(value):
        yield from _bare_release(value, from_id)
    elif "ocid" not in value and len(RELEASE_KEYS.intersection(value)) >= 2:
        yield from _entry("release", value, None, None, from_id)
    else:
        yield _not_ocds(value, "it is neither a package, a release nor a record")


def _is_record(value: dict[str, Any]) -> bool:
    if "compiledRelease" in value or "versionedRelease" in value:
        return True
    return "ocid" in value and "releases" in value and not PACKAGE_KEYS.intersection(value)


def _wrapper_key(value: dict[str, Any]) -> str | None:
    if "ocid" in value:
        return None
    keys = [key for key in WRAPPER_KEYS if isinstance(value.get(key), dict | list)]
    return keys[0] if len(keys) == 1 else None


def _is_versioned_release(value: dict[str, Any]) -> bool:
    if "id" in value or "ocid" not in value:
        return False
    return any(
        isinstance(member, list) and member and isinstance(member[0], dict) and "releaseID" in member[0]
        for member in value.values()
    )


def _package(package: dict[str, Any], key: str, from_id: bool) -> Iterator[_Found | Problem]:
    entries = package[key]
    if not isinstance(entries, list):
        yield Problem(
            "error",
            "invalid_package",
            f"The package's {key!r} member is not an array, so it holds no usable {key}.",
            {"member": key, "type": type(entries).__name__, "keys": _keys(package)},
        )
        return
    metadata = {k: v for k, v in package.items() if k != key}
    if not entries:
        yield Problem("info", "empty_package", f"The package has an empty {key!r} array.", {"member": key})
    kind = key[:-1]
    for index, entry in enumerate(entries):
        yield from _entry(kind, entry, metadata, index, from_id)


def _bare_release(release: dict[str, Any], from_id: bool) -> Iterator[_Found | Problem]:
    info = release.get("packageInfo")
    if not isinstance(info, dict):
        yield from _entry("release", release, None, None, from_id)
        return
    yield Problem(
        "info",
        "package_info_moved",
        "The non-standard 'packageInfo' member of releases was used as their package metadata.",
        {"keys": _keys(info)},
    )
    yield from _entry("release", {k: v for k, v in release.items() if k != "packageInfo"}, info, None, from_id)


def _entry(
    kind: str, entry: Any, package: dict[str, Any] | None, index: int | None, from_id: bool = False
) -> Iterator[_Found | Problem]:
    where = {} if index is None else {"index": index}
    if not isinstance(entry, dict):
        yield _not_ocds(entry, f"it is in the package's {kind}s array but is not a JSON object", where)
        return
    ocid = entry.get("ocid")
    if isinstance(ocid, str) and ocid.strip():
        yield kind, entry, package
        return
    derived = ocid_from_id(entry.get("id")) if from_id and kind == "release" else None
    if derived is not None:
        yield ocid_derived(entry.get("id"), derived, ocid, where)
        yield kind, {**entry, "ocid": derived}, package
        return
    data = {"id": _scalar(entry.get("id")), **where}
    if "ocid" in entry:
        data["ocid"] = _scalar(ocid)
    yield Problem("error", f"{kind}_without_ocid", f"A {kind} has no usable 'ocid' and was skipped.", data)


def ocid_from_id(release_id: Any) -> str | None:
    """The OCID a release ``id`` carries in its first three dash-separated parts (``ocds-hu01ve-7608611`` of
    ``ocds-hu01ve-7608611-01``), or None when it carries none (not a string, fewer than three parts, an empty
    one among them, or not beginning with ``ocds-``)."""
    if not isinstance(release_id, str):
        return None
    parts = release_id.strip().split("-")
    if len(parts) < 3 or parts[0] != "ocds" or not all(parts[:3]):
        return None
    return "-".join(parts[:3])


def ocid_derived(release_id: Any, ocid: str, found: Any, where: dict[str, Any]) -> Problem:
    """The note of a release that got the OCID its ``id`` carries (``found``: the unusable ``ocid`` it had)."""
    data = {"id": _scalar(release_id), "ocid": ocid, **where}
    if found is not None:
        data["found"] = _scalar(found)
    message = "A release without a usable 'ocid' got the one its 'id' carries (its first three dash-separated parts)."
    return Problem("info", "ocid_from_id", message, data)


def _not_ocds(value: Any, reason: str, data: dict[str, Any] | None = None) -> Problem:
    context: dict[str, Any] = {"type": type(value).__name__, **(data or {})}
    if isinstance(value, dict):
        context["keys"] = _keys(value)
    elif not isinstance(value, list):
        context["value"] = _scalar(value)
    return Problem("error", "not_ocds", f"A JSON value was skipped because {reason}.", context)


def _keys(value: dict[str, Any]) -> list[str]:
    return sorted(str(key) for key in value)[:20]


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value[:200] if isinstance(value, str) else value
    return type(value).__name__
