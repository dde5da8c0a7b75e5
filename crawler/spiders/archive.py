"""``ArchiveSpider``: archives (zip, tar, tar.gz…) downloaded whole, some of their members loaded."""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.simple import SimpleSpider


class ArchiveSpider(SimpleSpider):
    """
    start_urls
      The archives' URLs (``{sandbox}`` is replaced by the sandbox's address).
    member_pattern
      A glob (``fnmatch``) of the members to load, matched against each member's path in the archive, e.g.
      ``*.json`` or ``releases/*-2024.jsonl``; every member when not declared. The archive is stored whole.
    """

    abstract = True
    member_pattern: ClassVar[str | None] = None
