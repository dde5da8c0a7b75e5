"""Merge rules: the release schema of the data's OCDS version, patched with the extensions its packages declare.

The standard comes from ``OCDS_ATLAS_STANDARD_URL`` (see :mod:`aggregator.standard`). Extensions are patched in by
ocdsextensionregistry's ProfileBuilder, but their files are fetched by :mod:`aggregator.fetch` (https only, public
addresses only, size cap, timeout, cached on disk), never by the library itself. An extension that cannot be had is
left out with a problem, and the rules are those of the core schema plus the other extensions. Mergers are cached
per version and extension set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import ocdsmerge
import orjson

from aggregator.raw.shapes import Problem
from aggregator.standard import TAGS, release_schema


@dataclass(frozen=True)
class Rules:
    tag: str
    extensions: tuple[str, ...]
    merger: ocdsmerge.Merger
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
    return Rules(tag, usable, ocdsmerge.Merger(schema=schema), problems)
