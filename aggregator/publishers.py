"""The real publishers' spiders as their declarations say: ``ocds-atlas publishers`` and the README's table.

The declarations come from ``scrapy listpublishers``, run in a child process: ``aggregator`` never imports Scrapy.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aggregator.errors import AtlasError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
README = PROJECT_ROOT / "README.md"
BEGIN = "<!-- publishers:begin (generated from the spiders by `ocds-atlas publishers --format markdown`) -->"
END = "<!-- publishers:end -->"
#: The columns of the table and CSV formats.
COLUMNS = (
    "name",
    "country",
    "level",
    "publisher_name",
    "kind",
    "data_type",
    "ocds_version",
    "update_frequency",
    "licence",
    "credentials",
)


def list_publishers(sandbox: bool = False) -> list[dict[str, Any]]:
    """Every spider's declarations (real spiders only, unless ``sandbox``), sorted by name."""
    command = [sys.executable, "-m", "scrapy", "listpublishers", *(["--sandbox"] if sandbox else [])]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AtlasError(f"cannot list the spiders: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def to_csv(publishers: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for publisher in publishers:
        writer.writerow([cell(publisher[column]) for column in COLUMNS])
    return buffer.getvalue()


def to_markdown(publishers: list[dict[str, Any]]) -> str:
    """The README's publisher table: one row per real spider."""
    lines = [
        "| spider | country | level | publisher | base | OCDS | data | licence |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in publishers:
        publisher = f"[{p['publisher_name']}]({p['url']})" if p["url"] else p["publisher_name"]
        licence = f"[licence]({p['licence']})" if p["licence"] else "not stated"
        shape = p["kind"] + (f" (credentials: {cell(p['credentials'])})" if p["credentials"] else "")
        level = p["level"] + (f" ({p['region']})" if p["region"] else "")
        row = [f"`{p['name']}`", p["country"], level, publisher, shape, p["ocds_version"], p["data_type"], licence]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    countries = len({p["country"] for p in publishers})
    lines.append("")
    lines.append(f"{len(publishers)} spiders, {countries} countries.")
    return "\n".join(lines) + "\n"


def readme_block(readme: str) -> str:
    """The generated part of the README, between its markers."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise AtlasError(f"README.md lacks the markers {BEGIN!r} and {END!r}")
    return readme[start + len(BEGIN) : end].strip("\n") + "\n"


def write_readme(publishers: list[dict[str, Any]], path: Path = README) -> bool:
    """Rewrite the README's block from the spiders; whether it changed."""
    text = path.read_text(encoding="utf-8")
    block = readme_block(text)
    new = to_markdown(publishers)
    if block == new:
        return False
    start, end = text.find(BEGIN) + len(BEGIN), text.find(END)
    path.write_text(text[:start] + "\n" + new + text[end:], encoding="utf-8")
    return True
