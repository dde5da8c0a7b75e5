"""Merge rules: the release schema of the data's OCDS version, patched with the extensions its packages declare.

The standard comes from ``OCDS_ATLAS_STANDARD_URL`` (see :mod:`aggregator.standard`). Extensions are patched in by
ocdsextensionregistry's ProfileBuilder, but their files are fetched by :mod:`aggregator.fetch` (https only, public
addresses only, size cap, timeout, cached on disk), never by the library itself. An extension that cannot be had is
left out with a problem, and the rules are those of the core schema plus the other extensions. Mergers are cached
per version and extension set.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ocdsmerge
import orjson
from ocdsextensionregistry import ProfileBuilder

from aggregator.errors import AtlasError
from aggregator.fetch import cached_fetch
from aggregator.raw.shapes import Problem
from aggregator.standard import TAGS, release_schema

#: An extension's release schema patch larger than this is refused.
MAX_PATCH_BYTES = 4 * 1024 * 1024


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


class GuardedProfileBuilder(ProfileBuilder):
    """A ProfileBuilder whose extensions' release schema patches are fetched through the guard, in advance."""

    def __init__(self, tag: str, extensions: tuple[str, ...]) -> None:
        super().__init__(tag, list(extensions))
        self.problems: list[Problem] = []

    def extensions(self) -> Iterator[Any]:
        for extension in super().extensions():
            url = extension.input_url
            try:
                patch_url = extension.get_url("release-schema.json")
                text = cached_fetch(patch_url, max_bytes=MAX_PATCH_BYTES).read_text(encoding="utf-8")
                orjson.loads(text)
            except (AtlasError, UnicodeDecodeError, orjson.JSONDecodeError, NotImplementedError) as error:
                message = f"the extension {url} could not be had, its rules are left out: {error}"
                self.problems.append(Problem("warning", "extension_unavailable", message, {"extension": url}))
                continue
            # ProfileBuilder reads the patch from the extension's files, so it fetches nothing itself.
            extension._files = {"release-schema.json": text}
            yield extension


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
        builder = GuardedProfileBuilder(tag, extensions)
        # patched_release_schema patches the schema it is given in place: give it a copy.
        schema = builder.patched_release_schema(schema=orjson.loads(orjson.dumps(schema)))
        problems = tuple(builder.problems)
    usable = tuple(e for e in extensions if all(p.data.get("extension") != e for p in problems))
    return Rules(tag, usable, ocdsmerge.Merger(schema=schema), problems)
