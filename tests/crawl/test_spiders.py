"""Every spider module: one class, named after the file, declarations valid (checked at class definition)."""

import importlib
import inspect
from pathlib import Path

import pytest

from crawler.spiders import PublisherSpider

SPIDERS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "spiders").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module_name", SPIDERS)
def test_one_spider_per_file_named_after_it(module_name):
    module = importlib.import_module(f"spiders.{module_name}")
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, PublisherSpider) and c.__module__ == module.__name__
    ]
    if module_name.endswith("_base"):  # a family's base: abstract classes only (as checkall says)
        assert classes and all(c.__dict__.get("abstract", False) for c in classes)
        return
    assert len(classes) == 1
    spider = classes[0]
    assert spider.name == module_name
    assert spider.__name__ == "".join(part.title() for part in module_name.split("_")) + "Spider"
    assert spider.__doc__ and "Publisher" in spider.__doc__


def test_sandbox_spiders_match_the_sandbox_publishers():
    from aggregator.sandbox import SANDBOX_PUBLISHERS

    assert sorted(f"sandbox_{key}" for key in SANDBOX_PUBLISHERS) == sorted(
        s for s in SPIDERS if s.startswith("sandbox_")
    )
