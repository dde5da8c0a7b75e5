"""The OCDS standard's schemas, from the location in ``OCDS_ATLAS_STANDARD_URL``.

The location is one of:

- a local directory holding the standard's release archives (``1__1__5.zip``, ``1__0__3.zip``), as offline runs use;
- a URL template containing ``{tag}`` that names a release archive, e.g.
  ``https://codeload.github.com/open-contracting/standard/zip/{tag}``;
- a base URL under which the standard's website serves each release's schema files, ``<base><tag>/<file>``
  (the default: ``https://standard.open-contracting.org/schema/``).

Whatever is downloaded is cached under ``$OCDS_ATLAS_HOME/cache`` and fetched through :mod:`aggregator.fetch`.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path
from typing import Any

import orjson

from aggregator import settings
from aggregator.errors import AtlasError

#: The tag of the schema whose merge rules apply to each OCDS minor version.
TAGS = {"1.0": "1__0__3", "1.1": "1__1__5"}
_HINT = "; offline, set OCDS_ATLAS_STANDARD_URL to a directory holding the standard's release archives"


def schema_file(tag: str, name: str, location: str | None = None) -> dict[str, Any]:
    """A file of the standard's ``schema/`` folder at release ``tag``, parsed (e.g. ``release-schema.json``)."""
    location = location or settings.standard_url()
    try:
        if "://" in location and "{tag}" not in location:
            from aggregator.fetch import cached_fetch  # a standard on the web (urllib's import, 0.05 s, else not made)

            path = cached_fetch(f"{location.rstrip('/')}/{tag}/{name}", name=f"standard-{tag}-{name}")
            return orjson.loads(path.read_bytes())
        return _from_archive(archive_path(tag, location), name)
    except AtlasError as error:
        raise AtlasError(f"{error}{_HINT if '://' in location else ''}") from error


def archive_path(tag: str, location: str) -> Path:
    """The standard's release archive for ``tag``: a file in a local directory, or a download."""
    if "://" in location:
        from aggregator.fetch import cached_fetch

        return cached_fetch(location.format(tag=tag), name=f"standard-{tag}.zip")
    path = Path(location) / f"{tag}.zip"
    if not path.is_file():
        raise AtlasError(f"the standard's archive {path} does not exist (OCDS_ATLAS_STANDARD_URL={location})")
    return path


def _from_archive(path: Path, name: str) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            # Releases before 1__1__5 keep the schema in standard/schema/, later ones in schema/.
            members = [m for m in archive.namelist() if m.endswith(f"schema/{name}")]
            if not members:
                raise AtlasError(f"{path} has no schema/{name}")
            return orjson.loads(archive.read(min(members, key=len)))
    except zipfile.BadZipFile as error:
        raise AtlasError(f"{path} is not a zip archive: {error}") from error


@functools.cache
def release_schema(tag: str) -> dict[str, Any]:
    return schema_file(tag, "release-schema.json")
