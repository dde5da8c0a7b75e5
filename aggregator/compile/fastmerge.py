"""A compiled release equal to ocdsmerge's ``create_compiled_release``, made faster for the usual shapes.

ocdsmerge flattens every release into a dict of paths, merges the dicts, and builds the result back from the paths.
This module merges each release straight into the nested result, with the same rules: fields the schema marks
``omitWhenMerged`` are left out; ``wholeListMerge`` arrays, arrays holding anything but objects, and every other
non-object value replace the earlier value; objects merge field by field; arrays of objects merge by ``id`` (an
object without ``id`` is always a new item); empty objects and arrays add nothing; a ``null`` removes the field but
keeps the objects on its path; ``tag`` is ``["compiled"]``, ``id`` is ``{ocid}-{date}`` of the last release, unless
the rules keep the release's own.

Where ocdsmerge's result depends on the order of its paths rather than on the rules alone, this module does not
guess: it raises :class:`Unsupported`, and the caller merges that OCID with ocdsmerge. That is, when an array item's
``id`` is neither a string nor an integer, or is ``1`` in one release and ``"1"`` in another (ocdsmerge compares ids
as text but builds its result with the original values), when two objects in one array share an ``id`` (ocdsmerge
warns and merges them), when a field is an object in one release and a value or an array in another (or was
``null`` before it became an object or an array), when a ``date`` is not a string, and when the merger has rule
overrides.
"""

from __future__ import annotations

import functools
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aggregator.compile.rules import Merger

OMIT = "omitWhenMerged"
WHOLE_LIST = "wholeListMerge"

#: Per field name: its rule (or None) and the rules of its children.
RuleTree = dict[str, tuple[str | None, "RuleTree"]]

_NO_RULE: tuple[str | None, RuleTree] = (None, {})
_MISSING = object()


class Unsupported(Exception):
    """The releases have a shape for which only ocdsmerge's own algorithm gives its result."""


@functools.cache
def rule_tree(merger: Merger) -> RuleTree:
    """The merger's rules, keyed by path, as a tree keyed by field name (array items share their array's node)."""
    tree: RuleTree = {}
    for path, rule in merger.merge_rules.items():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, (None, {}))[1]
        # A new dict, never _NO_RULE's, which stands for every field without rules.
        children = node[path[-1]][1] if path[-1] in node else {}
        node[path[-1]] = (rule, children)
    return tree


def compiled_release(merger: Merger, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of ``releases`` (merged in the order of their ``date``), or :class:`Unsupported`."""
    if merger.rule_overrides:
        raise Unsupported("rule overrides")
    if len(releases) > 1:
        if any(type(release.get("date")) is not str for release in releases):
            raise Unsupported("a date is not a string")
        releases = sorted(releases, key=itemgetter("date"))
    merge = _Merge(rule_tree(merger))
    compiled: dict[str, Any] = {"tag": ["compiled"]}
    merge.containers.add(id(compiled))
    for release in releases:
        if type(release) is not dict:
            raise Unsupported("a release is not an object")
        ocid, date = release.get("ocid"), release.get("date")
        compiled["id"] = f"{ocid}-{date}"
        compiled["date"] = date
        compiled["ocid"] = ocid
        merge.nulls = merge.nulls or date is None or ocid is None
        merge.into_object(compiled, {k: v for k, v in release.items() if k != "tag"}, merge.tree)
    if merge.nulls:
        merge.drop_nulls(compiled)
    return compiled


class _Merge:
    """The state of one merge: which values of the result it made (objects and arrays that merge further, as
    opposed to values taken whole from a release), and the items of each array by ``id``."""

    def __init__(self, tree: RuleTree) -> None:
        self.tree = tree
        self.containers: set[int] = set()
        self.items: dict[int, dict[str, dict[str, Any]]] = {}
        self.nulls = False

    def into_object(self, target: dict[str, Any], source: dict[str, Any], node: RuleTree) -> None:
        """Merge ``source`` into ``target``, an object this merge made."""
        containers = self.containers
        for key, value in source.items():
            rule, children = node.get(key, _NO_RULE)
            if rule == OMIT:
                continue
            existing = target.get(key, _MISSING)
            if type(value) in _SCALARS and (type(existing) in _SCALARS or existing is _MISSING):
                # The most common case first: a value replacing a value.
                target[key] = value
                if value is None:
                    self.nulls = True
                continue
            kind = _VALUE if type(value) in _SCALARS or rule == WHOLE_LIST else _kind(value)
            if existing is _MISSING:
                if kind is _VALUE:
                    target[key] = value
                    if value is None:
                        self.nulls = True
                elif kind is _OBJECT:
                    child = self.new_object(value, children)
                    if child is not None:
                        target[key] = child
                elif kind is _ARRAY:
                    array = self.new_array(value, children)
                    if array is not None:
                        target[key] = array
            elif id(existing) not in containers:
                if kind is _VALUE:
                    target[key] = value
                    if value is None:
                        self.nulls = True
                elif kind is not _EMPTY:
                    raise Unsupported(f"{key} is an object or an array after being a value")
            elif kind is _OBJECT and type(existing) is dict:
                self.into_object(existing, value, children)
            elif kind is _ARRAY and type(existing) is list:
                self.into_array(existing, value, children)
            elif kind is not _EMPTY:
                raise Unsupported(f"{key} changed between object, array and value")

    def new_object(self, source: dict[str, Any], node: RuleTree) -> dict[str, Any] | None:
        """A new object of the result from ``source``, or None if ``source`` gives no field (ocdsmerge makes an
        object only when some path goes through it, even to a ``null``)."""
        target: dict[str, Any] = {}
        gave = False
        for key, value in source.items():
            rule, children = node.get(key, _NO_RULE)
            if rule == OMIT:
                continue
            if type(value) in _SCALARS or rule == WHOLE_LIST:
                target[key] = value
                gave = True
                if value is None:
                    self.nulls = True
                continue
            kind = _kind(value)
            if kind is _VALUE:
                target[key] = value
                gave = True
                if value is None:
                    self.nulls = True
            elif kind is _OBJECT:
                child = self.new_object(value, children)
                if child is not None:
                    target[key] = child
                    gave = True
            elif kind is _ARRAY:
                array = self.new_array(value, children)
                if array is not None:
                    target[key] = array
                    gave = True
        if not gave:
            return None
        self.containers.add(id(target))
        return target

    def new_array(self, source: list[dict[str, Any]], node: RuleTree) -> list[dict[str, Any]] | None:
        array: list[dict[str, Any]] = []
        by_id: dict[str, dict[str, Any]] = {}
        self.into_array(array, source, node, by_id)
        if not array:
            return None
        self.containers.add(id(array))
        self.items[id(array)] = by_id
        return array

    def into_array(
        self,
        array: list[dict[str, Any]],
        source: list[dict[str, Any]],
        node: RuleTree,
        by_id: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Merge an array of objects into ``array`` by ``id``."""
        if by_id is None:
            by_id = self.items[id(array)]
        seen: set[str] = set()
        for value in source:
            if "id" in value:
                identifier = value["id"]
                kind = type(identifier)
                if kind is str:
                    key = identifier
                elif kind is int:
                    key = str(identifier)
                else:
                    raise Unsupported("an id is neither a string nor an integer")
                if key in seen:
                    raise Unsupported(f"two objects in one array have the id {key!r}")
                seen.add(key)
                item = by_id.get(key)
                if item is not None:
                    if type(item["id"]) is not kind:
                        raise Unsupported(f"the id {key!r} is a string in one release and a number in another")
                    self.into_object(item, value, node)
                    continue
                item = self.new_object(value, node)
                if item is not None:
                    # ocdsmerge gives a new item its id, whatever the rules say of the id field.
                    item["id"] = identifier
                    by_id[key] = item
                    array.append(item)
            else:
                item = self.new_object(value, node)
                if item is not None:
                    array.append(item)

    def drop_nulls(self, value: Any) -> None:
        """Remove the fields that ended ``null`` from the objects this merge made (not from values taken whole)."""
        if type(value) is dict:
            for key in [k for k, v in value.items() if v is None]:
                del value[key]
            for child in value.values():
                if id(child) in self.containers:
                    self.drop_nulls(child)
        else:
            for child in value:
                self.drop_nulls(child)


_VALUE, _OBJECT, _ARRAY, _EMPTY = "value", "object", "array", "empty"
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _kind(value: Any) -> str:
    """How ocdsmerge treats a value that is not a scalar and has no wholeListMerge rule: taken whole, merged as an
    object, merged as an array of objects, or nothing (an empty object or array)."""
    kind = type(value)
    if kind is dict:
        return _OBJECT if value else _EMPTY
    if kind is list:
        if not value:
            return _EMPTY
        for item in value:
            if type(item) is not dict:
                if isinstance(item, dict):
                    raise Unsupported("a subclass of dict")
                return _VALUE
        return _ARRAY
    if isinstance(value, (dict, list)):
        raise Unsupported("a subclass of dict or list")
    return _VALUE
