"""``scrapy listpublishers``: every spider's declarations as JSON, for ``ocds-atlas publishers`` (which must not
import Scrapy) and the README's publisher table."""

from __future__ import annotations

import argparse
import inspect
import json
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.spiderloader import SpiderLoader

from crawler.commands.checkall import HEADINGS
from crawler.spiders import ArchiveSpider, IndexSpider, PagedSpider, PeriodicSpider, SearchSpider, SimpleSpider
from crawler.spiders.base import PublisherSpider
from crawler.spiders.registry import RegistrySpider

#: The base classes a spider's "kind" names.
KINDS = (RegistrySpider, ArchiveSpider, PeriodicSpider, IndexSpider, PagedSpider, SearchSpider, SimpleSpider)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Print every spider's declarations as JSON"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--sandbox", action="store_true", help="include the sandbox spiders")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        loader = SpiderLoader.from_settings(self.settings)
        spiders = [loader.load(name) for name in sorted(loader.list())]
        rows = [
            declarations(s) for s in spiders if issubclass(s, PublisherSpider) and (opts.sandbox or not s.is_sandbox)
        ]
        print(json.dumps(rows, ensure_ascii=False))


def declarations(spider: type[PublisherSpider]) -> dict[str, Any]:
    """What a spider declares about its publisher, and what its docstring says under each heading."""
    sections = docstring_sections(spider.__doc__ or "")
    return {
        "name": spider.name,
        "publisher_name": spider.publisher_name,
        "country": spider.country,
        "region": spider.region,
        "level": spider.level,
        "kind": kind(spider),
        "data_type": spider.data_type,
        "ocds_version": spider.ocds_version,
        "url": spider.url,
        "licence": spider.licence,
        "update_frequency": spider.update_frequency,
        "ocid_prefixes": list(spider.ocid_prefixes),
        "licence_stated": spider.licence_stated,
        "no_ocid_prefix": spider.no_ocid_prefix,
        "unchecked": list(spider.unchecked),
        "credentials": list(spider.credentials),
        "is_sandbox": spider.is_sandbox,
        "available": spider.available,
        "unavailable_since": spider.unavailable_since,
        "unavailable_reason": spider.unavailable_reason,
        "facts_from": list(spider.facts_from),
        "documentation": sections.get("API documentation") or sections.get("Bulk download documentation"),
        "shape": sections.get("Shape"),
    }


def kind(spider: type[PublisherSpider]) -> str:
    """The base classes a spider is made of (``PeriodicSpider+PagedSpider``), without their own bases."""
    kinds = [k for k in KINDS if issubclass(spider, k)]
    kinds = [k for k in kinds if not any(other is not k and issubclass(other, k) for other in kinds)]
    return "+".join(k.__name__ for k in kinds) or "PublisherSpider"


def docstring_sections(docstring: str) -> dict[str, str]:
    """The docstring's text under each of ``HEADINGS``, joined into one line."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in inspect.cleandoc(docstring).splitlines():
        if line and not line[0].isspace():
            current = sections.setdefault(line.strip(), []) if line.strip() in HEADINGS else None
        elif current is not None and line.strip():
            current.append(line.strip())
    return {heading: " ".join(lines) for heading, lines in sections.items()}
