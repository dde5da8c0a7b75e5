"""The OCDS standard's schemas, from the location in ``OCDS_ATLAS_STANDARD_URL``.

The setting is a local directory that holds the standard's release archives (``1__1__5.zip``, ``1__0__3.zip``),
or a URL: a template containing ``{tag}``, or a base URL under which ``<tag>.zip`` is found. Downloaded archives are
cached under ``$OCDS_ATLAS_HOME/cache``.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path
from typing import Any

import orjson

from aggregator import settings
from aggregator.errors import AtlasError
from aggregator.fetch import cached_fetch

#: The tag of the schema whose merge rules apply to each OCDS minor version.
TAGS = {"1.0": "1__0__3", "1.1": "1__1__5"}


def archive_path(tag: str, location: str | None = None) -> Path:
    """The path of the standard's release archive for ``tag``, downloading it once if the location is a URL."""
    location = location or settings.standard_url()
    if "://" not in location:
        path = Path(location) / f"{tag}.zip"
        if not path.is_file():
            raise AtlasError(f"the standard's archive {path} does not exist (OCDS_ATLAS_STANDARD_URL={location})")
        return path
    url = location.format(tag=tag) if "{tag}" in location else f"{location.rstrip('/')}/{tag}.zip"
    return cached_fetch(url, name=f"standard-{tag}.zip")


def schema_file(tag: str, name: str, location: str | None = None) -> dict[str, Any]:
    """A file of the standard's ``schema/`` folder, parsed (e.g. ``release-schema.json``)."""
    path = archive_path(tag, location)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(f"schema/{name}")]
            if not members:
                raise AtlasError(f"{path} has no schema/{name}")
            return orjson.loads(archive.read(min(members, key=len)))
    except zipfile.BadZipFile as error:
        raise AtlasError(f"{path} is not a zip archive: {error}") from error


@functools.cache
def release_schema(tag: str) -> dict[str, Any]:
    return schema_file(tag, "release-schema.json")
