"""``scrapy genspider [-t publisher] NAME DOMAIN``: Scrapy's own command, with the project's template by default and
the class named as ``checkall`` wants."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.genspider import Command as ScrapyGenspider

from crawler.commands.checkall import spider_class_name


class Command(ScrapyGenspider):
    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.set_defaults(template="publisher")  # TEMPLATES_DIR holds the project's templates only

    def _generate_template_variables(self, module: str, name: str, url: str, template_name: str) -> dict[str, Any]:
        # Scrapy capitalizes each part of the name; the project's rule is str.title, which differs after a digit.
        variables = super()._generate_template_variables(module, name, url, template_name)
        variables["classname"] = spider_class_name(name)
        return variables
