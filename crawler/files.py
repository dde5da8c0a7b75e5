"""The files store: every response body is written here before anything parses it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FilesStore:
    """``<root>/<spider>/<crawl start>/NNNNNN-<slug of the URL>``: one directory per crawl, never overwritten."""

    def __init__(self, root: Path, spider: str, crawl_start: str) -> None:
        self.directory = root / spider / crawl_start
        self._counter = itertools.count(1)
        self._made = False

    def path_for(self, url: str) -> Path:
        """A new file's path for ``url`` (its directory created); write it as ``<path>.partial``, then rename it."""
        if not self._made:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._made = True
        return self.directory / f"{next(self._counter):06d}-{slug(url)}"

    def write(self, url: str, body: bytes) -> Path:
        return write_at(self.path_for(url), body)


def write_at(path: Path, body: bytes) -> Path:
    """Write ``body`` as ``<path>.partial``, then rename it ``path``: a file of the store is whole or absent."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(body)
    partial.replace(path)
    return path


def slug(url: str, limit: int = 100) -> str:
    """A file name from a URL's path and query, keeping the path's extension (``.json`` when it has none)."""
    parts = urlsplit(url)
    stem, dot, suffix = parts.path.rpartition(".")
    if not dot or "/" in suffix or len(suffix) > 8:
        stem, suffix = parts.path, "json"
    text = _UNSAFE.sub("-", f"{stem} {parts.query}").strip("-")[:limit] or "index"
    return f"{text}.{suffix.lower()}"
