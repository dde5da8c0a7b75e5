"""Extensions' release schema patches, fetched through :mod:`aggregator.fetch` (https only, public addresses only, size
cap, timeout, cached on disk), never by ocdsextensionregistry itself (see :mod:`aggregator.compile.rules`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from ocdsextensionregistry import ProfileBuilder

from aggregator.errors import AtlasError
from aggregator.fetch import cached_fetch
from aggregator.raw.shapes import Problem

#: An extension's release schema patch larger than this is refused.
MAX_PATCH_BYTES = 4 * 1024 * 1024


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
