"""What a release or record says of itself as it is stored: its OCDS version, whether it is a compiled release, a
record's embedded releases. Pure."""

from __future__ import annotations

from typing import Any


def ocds_version(package: dict[str, Any] | None, data: dict[str, Any], declared: str | None) -> str:
    """The OCDS minor version of a release or record: the package's ``version``; else the publisher's declared
    version; else a guess from the shape: 1.1 where the release has ``parties`` (which came with 1.1), else 1.0 (the
    1.0 schema had no ``version``). Uganda's packages say no version, yet their parties are 1.1: upgraded as 1.0,
    its buyer ``19`` and its party ``"19"`` became two parties."""
    version = package.get("version") if package else None
    if isinstance(version, str) and version.startswith("1."):
        return version[:3]
    if declared:
        return declared
    return "1.1" if "parties" in data else "1.0"


def embedded_releases(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's full releases; linked releases (only ``url``, ``date``, ``tag``) are references, not data."""
    releases = record.get("releases")
    if not isinstance(releases, list):
        return []
    return [r for r in releases if isinstance(r, dict) and not set(r) <= {"url", "date", "tag"}]


def is_compiled(release: dict[str, Any], declared: bool) -> bool:
    """Whether a release is a compiled release, stored as its OCID's compiled release as published: declared so
    (``load --compiled``, a spider of compiled releases), or tagged ``compiled`` as OCDS tags them."""
    tag = release.get("tag")
    return declared or (isinstance(tag, list) and "compiled" in tag)
