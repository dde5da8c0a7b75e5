"""Running a spider defined in a test module, in a child process (Twisted's reactor runs once per process).

    result = run_spider("tests.spiders_for_tests:PagedExample", {"start_url": url}, sample=10)

The child uses the project's settings and pipeline (so the crawl lands in ``DATABASE_URL``), plus ``settings``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import importlib, json, sys
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

target, attributes, arguments, overrides = sys.argv[1], *map(json.loads, sys.argv[2:5])
module, _, name = target.partition(":")
base = getattr(importlib.import_module(module), name)
spider = type(base.__name__, (base,), {"__module__": base.__module__, **attributes}) if attributes else base
settings = get_project_settings()
settings.setdict(overrides, priority="cmdline")
process = CrawlerProcess(settings)
crawler = process.create_crawler(spider)
process.crawl(crawler, **arguments)
process.start()
print(json.dumps({"stats": crawler.stats.get_stats()}, default=str))
"""


def run_spider(
    target: str,
    attributes: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    **arguments: Any,
) -> dict[str, Any]:
    """Crawl with the spider class ``module:Class`` (its class attributes overridden by ``attributes``); return
    Scrapy's final stats. Raises if the child fails."""
    command = [
        sys.executable,
        "-c",
        _CHILD,
        target,
        json.dumps(attributes or {}),
        json.dumps(arguments),
        json.dumps({"LOG_LEVEL": "WARNING", **(settings or {})}),
    ]
    child_env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", **(env or {})}
    result = subprocess.run(command, env=child_env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"the crawl failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["stats"]
