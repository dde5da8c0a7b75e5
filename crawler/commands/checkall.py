"""``scrapy checkall``: every spider module named, declared and documented as the project's rules say."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
from types import ModuleType
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from crawler.spiders.base import PublisherSpider

#: The Data Registry's spider: each publication comes with its own licence and OCID prefix.
ANY_COUNTRY = "ZZ"

#: The docstring's headings, in this order; ``Publisher`` is required.
HEADINGS = ("Publisher", "API documentation", "Bulk download documentation", "Shape", "Spider arguments", "Caveats")
DATA_FORMATS = (None, "csv", "xlsx")
_HTTP_URL = re.compile(r"^https?://\S+$")
_TODO = re.compile(r"\bTODO\b")


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def short_desc(self) -> str:
        return "Check every spider's name, class name, declarations and docstring"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        problems = []
        modules = 0
        for package in self.settings.getlist("SPIDER_MODULES"):
            for name in spider_module_names(package):
                modules += 1
                problems += check_module(name)
        for problem in problems:
            print(problem)
        print(f"{modules} spider modules checked, {len(problems)} problems")
        self.exitcode = 1 if problems else 0


def spider_module_names(package: str) -> list[str]:
    """The modules of a spiders package (not the package itself), sorted."""
    module = importlib.import_module(package)
    return sorted(f"{package}.{info.name}" for info in pkgutil.iter_modules(module.__path__) if not info.ispkg)


def spider_class_name(name: str) -> str:
    """The class name a spider's ``name`` calls for: ``exampleland_finance`` → ``ExamplelandFinanceSpider``."""
    return "".join(part.title() for part in name.split("_")) + "Spider"


def check_module(module_name: str) -> list[str]:
    """The problems of one spider module, each as ``module: problem``."""
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # a spider refused at class definition raises TypeError; any error is a problem
        return [f"{module_name}: cannot be imported: {type(error).__name__}: {error}"]
    problems = [f"{module_name}: a TODO is left"] if _TODO.search(inspect.getsource(module)) else []
    spiders = concrete_spiders(module)
    stem = module_name.rpartition(".")[2]
    if stem.endswith("_base"):
        return problems  # a family's base module holds abstract classes only
    if len(spiders) != 1:
        problems.append(f"{module_name}: defines {len(spiders)} spiders, not one")
    for spider in spiders:
        problems += [f"{module_name}: {problem}" for problem in check_spider(spider, stem)]
    return problems


def concrete_spiders(module: ModuleType) -> list[type[PublisherSpider]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, PublisherSpider)
        and value.__module__ == module.__name__
        and not value.__dict__.get("abstract", False)
    ]


def check_spider(spider: type[PublisherSpider], stem: str) -> list[str]:
    """The problems of a spider class in the module ``stem``."""
    problems = []
    if spider.name != stem:
        problems.append(f"name {spider.name!r} is not the file's name {stem!r}")
    if spider.__name__ != spider_class_name(spider.name):
        problems.append(f"class {spider.__name__} should be named {spider_class_name(spider.name)}")
    problems += check_declarations(spider)
    problems += check_docstring(spider.__doc__)
    return problems


def check_declarations(spider: type[PublisherSpider]) -> list[str]:
    """What class definition does not refuse already (see :func:`crawler.spiders.base.check_declarations`)."""
    problems = []
    for attribute in ("licence", "url"):
        value: Any = getattr(spider, attribute)
        if value is not None and not (isinstance(value, str) and _HTTP_URL.match(value)):
            problems.append(f"{attribute} must be an http(s) URL, not {value!r}")
    if spider.data_format not in DATA_FORMATS:
        problems.append(f"data_format must be csv or xlsx, not {spider.data_format!r}")
    if not spider.is_sandbox and not spider.facts_from:
        problems.append(
            "must declare facts_from: the reference spider (kingfisher-collect:NAME@YYYY-MM) and/or the "
            "publisher's documentation URLs its facts were taken from"
        )
    if not spider.is_sandbox and spider.country != ANY_COUNTRY:
        problems += check_licence_and_prefixes(spider)
    return problems


def check_licence_and_prefixes(spider: type[PublisherSpider]) -> list[str]:
    """A real spider says its licence and OCID prefixes, or why it has none, or that they are not yet checked."""
    problems = []
    unknown = set(spider.unchecked) - {"licence", "ocid_prefixes"}
    if unknown:
        problems.append(f"unchecked may name licence and ocid_prefixes, not {sorted(unknown)}")
    if spider.licence is None and spider.licence_stated and "licence" not in spider.unchecked:
        problems.append(
            "declare licence, or licence_stated = False (the publisher states none), or unchecked = ('licence',)"
        )
    if spider.licence is not None and (not spider.licence_stated or "licence" in spider.unchecked):
        problems.append("a declared licence is neither unstated (licence_stated = False) nor unchecked")
    if not spider.ocid_prefixes and not spider.no_ocid_prefix and "ocid_prefixes" not in spider.unchecked:
        problems.append("declare ocid_prefixes, or no_ocid_prefix = 'why', or unchecked = ('ocid_prefixes',)")
    if spider.ocid_prefixes and (spider.no_ocid_prefix or "ocid_prefixes" in spider.unchecked):
        problems.append("declared ocid_prefixes are neither missing (no_ocid_prefix) nor unchecked")
    return problems


def check_docstring(docstring: str | None) -> list[str]:
    """The docstring: headings from ``HEADINGS`` (``Publisher`` first), in that order, each with indented text."""
    if not docstring or not docstring.strip():
        return ["has no docstring"]
    headings = []
    problems = []
    for line in inspect.cleandoc(docstring).splitlines():
        if line and not line[0].isspace():
            headings.append([line, 0])
        elif line.strip() and headings:
            headings[-1][1] += 1
    names = [heading for heading, _ in headings]
    if not names or names[0] != "Publisher":
        problems.append("docstring must start with the heading 'Publisher'")
    unknown = [name for name in names if name not in HEADINGS]
    if unknown:
        problems.append(f"docstring headings {unknown} are not among {', '.join(HEADINGS)}")
    known = [name for name in names if name in HEADINGS]
    if known != sorted(set(known), key=HEADINGS.index):
        problems.append(f"docstring headings must appear once each, in the order {', '.join(HEADINGS)}")
    problems += [f"docstring heading {name!r} has no indented text" for name, lines in headings if not lines]
    return problems
