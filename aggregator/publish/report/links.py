"""The downloads as the report links them: every file of an export with its size and checksum, read from the
export's ``datapackage.json`` (pure but for reading that file)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from aggregator.errors import AtlasError
from aggregator.publish.compiled import sha256_of

TABLES = "Tables and the data package"


@dataclass(frozen=True)
class Link:
    group: str  # "Tables", or the publisher of compiled releases
    path: str  # in the export
    href: str
    description: str
    size: str
    sha256: str
    rows: int | None


def size_text(size: int) -> str:
    for limit, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= limit:
            return f"{size / limit:.1f} {suffix}"
    return f"{size} bytes"


def read_links(export: Path, site: Path, base_url: str | None = None) -> list[Link]:
    """The export's files, linked from the site: relative to it, or under ``base_url`` where they are published."""
    package = export / "datapackage.json"
    try:
        descriptor = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AtlasError(f"cannot read the downloads' {package}: {error}") from error
    links = []
    for resource in [*descriptor.get("resources", []), {"path": "datapackage.json"}, {"path": "SHA256SUMS"}]:
        path = resource["path"]
        href = f"{base_url.rstrip('/')}/{path}" if base_url else Path(os.path.relpath(export / path, site)).as_posix()
        size = resource.get("bytes") or (export / path).stat().st_size
        digest = resource.get("hash", "").removeprefix("sha256:") or sha256_of(export / path)
        group = path.split("/")[1] if path.startswith("compiled/") else TABLES
        rows = resource.get("rows")
        links.append(Link(group, path, href, resource.get("description", ""), size_text(size), digest, rows))
    return sorted(links, key=lambda link: (link.group != TABLES, link.group))


def grouped(links: list[Link]) -> list[tuple[str, list[Link]]]:
    """The links by group, tables first, then each publisher's compiled releases."""
    groups: dict[str, list[Link]] = {}
    for link in links:
        groups.setdefault(link.group, []).append(link)
    return list(groups.items())
