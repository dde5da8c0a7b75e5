"""Merge rules: the release schema of the data's OCDS version, patched with the extensions its packages declare.

The standard comes from ``OCDS_ATLAS_STANDARD_URL`` (see :mod:`aggregator.standard`). Extensions are patched in by
ocdsextensionregistry's ProfileBuilder, but their files are fetched by :mod:`aggregator.fetch` (https only, public
addresses only, size cap, timeout, cached on disk), never by the library itself. An extension that cannot be had is
left out with a problem, and the rules are those of the core schema plus the other extensions. Mergers are cached
per version and extension set.

The merge rules are read from the schema here (:func:`merge_rules`, ocdsmerge's ``get_merge_rules`` for a schema
whose references are all within it), and ocdsmerge itself is imported only when it merges (the shapes the fast merge
leaves to it, versioned releases): importing it imports jsonref and requests, 0.2 CPU s in every process that
compiles, the load's workers among them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson

from aggregator.raw.shapes import Problem
from aggregator.standard import TAGS, release_schema

if TYPE_CHECKING:
    import ocdsmerge

#: Merge rules as ocdsmerge gives them: a field's path (a tuple of names) and its rule.
MergeRules = dict[tuple[str, ...], str]


class Merger:
    """ocdsmerge's ``Merger`` for given merge rules, made (and ocdsmerge imported) the first time it merges. The fast
    merge (:mod:`aggregator.compile.fastmerge`) reads its ``merge_rules`` and ``rule_overrides`` only."""

    def __init__(self, rules: MergeRules) -> None:
        self.merge_rules = rules
        self.rule_overrides: dict[tuple[str, ...], str] = {}

    @functools.cached_property
    def merger(self) -> ocdsmerge.Merger:
        import ocdsmerge

        return ocdsmerge.Merger(merge_rules=self.merge_rules)

    def create_compiled_release(self, releases: list[dict[str, Any]]) -> dict[str, Any]:
        return self.merger.create_compiled_release(releases)

    def create_versioned_release(self, releases: list[dict[str, Any]]) -> dict[str, Any]:
        return self.merger.create_versioned_release(releases)


@dataclass(frozen=True)
class Rules:
    tag: str
    extensions: tuple[str, ...]
    merger: Merger | ocdsmerge.Merger
    problems: tuple[Problem, ...]

    @property
    def label(self) -> str:
        """What the rules were made of, stored with each compiled release."""
        return self.tag + "".join(f" +{url}" for url in self.extensions)


def tag_for(version: str) -> str:
    return TAGS.get(version, TAGS["1.1"])


def clean_extensions(values: Any) -> tuple[str, ...]:
    """The distinct, sorted extension URLs among the values declared in packages (which may be anything)."""
    urls: set[str] = set()
    for value in values or ():
        if isinstance(value, list):
            urls.update(v for v in value if isinstance(v, str) and v.strip())
    return tuple(sorted(urls))


@functools.cache
def rules_for(version: str, extensions: tuple[str, ...] = ()) -> Rules:
    tag = tag_for(version)
    schema = release_schema(tag)
    problems: tuple[Problem, ...] = ()
    if extensions:
        # Imported here: ocdsextensionregistry (with requests_cache) took 50 to 100 ms to import in every process that
        # compiles (each worker, each command), and only packages that declare extensions need it.
        from aggregator.compile.extensions import GuardedProfileBuilder

        builder = GuardedProfileBuilder(tag, extensions)
        # patched_release_schema patches the schema it is given in place: give it a copy.
        schema = builder.patched_release_schema(schema=orjson.loads(orjson.dumps(schema)))
        problems = tuple(builder.problems)
    usable = tuple(e for e in extensions if all(p.data.get("extension") != e for p in problems))
    return Rules(tag, usable, Merger(merge_rules(schema)), problems)


class _OutsideReference(Exception):
    """A ``$ref`` to another document: left to ocdsmerge, which fetches it."""


def merge_rules(schema: dict[str, Any]) -> MergeRules:
    """The merge rules of a release schema: what ocdsmerge's ``get_merge_rules`` gives, read here rather than from a
    copy of the schema with every reference replaced by what it points to (jsonref's, as ocdsmerge does). A
    reference is followed where it is met, within the schema (``#/definitions/...``), and stands for what it points
    to whatever else its object says, as in jsonref. A schema with a reference to another document goes to
    ocdsmerge."""
    try:
        return dict(_rules(schema, _resolved(schema, schema)["properties"], ()))
    except _OutsideReference:
        from ocdsmerge.rules import get_merge_rules

        return get_merge_rules(schema)


def _rules(schema: dict[str, Any], properties: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """ocdsmerge's ``_get_merge_rules``, step for step, following references as it meets them."""
    for key, value in _resolved(schema, properties).items():
        value = _resolved(schema, value)
        new_path = (*path, key)
        types = _types(value)
        if value.get("omitWhenMerged") or value.get("mergeStrategy") == "ocdsOmit":
            yield new_path, "omitWhenMerged"
        elif "array" in types and (value.get("wholeListMerge") or value.get("mergeStrategy") == "ocdsVersion"):
            yield new_path, "wholeListMerge"
        elif "object" in types and "properties" in value:
            yield from _rules(schema, value["properties"], new_path)
        elif "array" in types and "items" in value:
            items = _resolved(schema, value["items"])
            item_types = _types(items)
            if any(item_type != "object" for item_type in item_types):
                yield new_path, "wholeListMerge"
            elif "object" in item_types and "properties" in items:
                if "id" not in _resolved(schema, items["properties"]):
                    yield new_path, "wholeListMerge"
                else:
                    yield from _rules(schema, items["properties"], new_path)


def _types(value: Mapping[str, Any]) -> list[str]:
    if "type" not in value:
        return []
    kind = value["type"]
    return [kind] if isinstance(kind, str) else kind


def _resolved(schema: dict[str, Any], value: Any) -> Any:
    """What ``value`` stands for: itself, or what its ``$ref`` points to (followed again while that is a reference)."""
    seen = 0
    while isinstance(value, Mapping) and isinstance(value.get("$ref"), str):
        reference = value["$ref"]
        if not reference.startswith("#"):
            raise _OutsideReference(reference)
        value = _pointer(schema, reference[1:])
        seen += 1
        if seen > 100:
            raise ValueError(f"the reference {reference} refers to itself")
    return value


def _pointer(schema: dict[str, Any], pointer: str) -> Any:
    """The value at a JSON pointer within the schema (RFC 6901, URI fragment form), as jsonref resolves it: a step
    into a reference steps into what it points to."""
    document: Any = schema
    for part in unquote(pointer.lstrip("/")).split("/") if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        document = _resolved(schema, document)
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document
