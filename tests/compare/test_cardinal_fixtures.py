"""Our red flags and ``prepare`` against every fixture of Cardinal 0.0.8 (read in place, never copied)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from aggregator.compare.redflags import parse_settings, prepare_all, read_settings, run
from aggregator.compare.redflags.settings import CODES
from tests.conftest import SHARED

FIXTURES = SHARED / "cardinal-fixtures"
INDICATORS = sorted(path.stem for path in (FIXTURES / "indicators").glob("*.jsonl"))
PREPARE = sorted(path.stem for path in (FIXTURES / "prepare").glob("*.jsonl"))
# The examples of Cardinal's documentation, which its own tests run (trycmd): settings files as users write them.
#: A checkout of open-contracting/cardinal-rs, when one is at hand (CARDINAL_RS_DIR); its examples are skipped else.
REFERENCE = Path(os.environ.get("CARDINAL_RS_DIR", "cardinal-rs-not-set"))
EXAMPLE = re.compile(r"\$ ocdscardinal indicators --settings (\S+) --no-meta (\S+)\n(.*)\n")
EXAMPLES = sorted((REFERENCE / "docs/cli/indicators/R").glob("0*.md")) if REFERENCE.is_dir() else []

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="Cardinal's fixtures are not on this machine")


def read_lines(path: Path) -> list[Any]:
    """Each line's JSON value; like Cardinal, skip blank and invalid lines."""
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return values


def fixture_settings(name: str) -> str:
    """The settings Cardinal's build.rs derives from a fixture's name, as an INI file: ``R003-threshold-10`` is
    ``[R003] threshold = 10``; more than two parts are a table; ``+`` stands for ``|``. Every fixture also runs
    with ``no_price_comparison_procurement_methods = NPC`` and ``[exclusions] procurement_method_details = EXC``."""
    code, *parts = name.replace("+", "|").split("-")
    lines = ["no_price_comparison_procurement_methods = NPC", "[exclusions]", "procurement_method_details = EXC"]
    if len(parts) < 2:
        lines.append(f"[{code}]")
    elif len(parts) == 2:
        lines += [f"[{code}]", f"{parts[0]} = {parts[1]}"]
    else:
        lines.append(f"[{code}.{parts[0]}]")
        lines += [f"{key} = {value}" for key, value in zip(parts[1::2], parts[2::2], strict=True)]
    return "\n".join(lines)


@pytest.mark.parametrize("name", INDICATORS)
def test_indicators(name: str) -> None:
    settings = parse_settings(fixture_settings(name))
    expected = json.loads((FIXTURES / "indicators" / f"{name}.expected").read_text(encoding="utf-8"))

    result = run(read_lines(FIXTURES / "indicators" / f"{name}.jsonl"), settings)

    assert result.results == expected
    assert result.to_json(meta=False) == expected


@pytest.mark.parametrize("name", PREPARE)
def test_prepare(name: str) -> None:
    settings = read_settings(FIXTURES / "prepare" / f"{name}.ini")
    expected = (FIXTURES / "prepare" / f"{name}.output").read_text(encoding="utf-8")

    prepared = prepare_all(read_lines(FIXTURES / "prepare" / f"{name}.jsonl"), settings)

    text = "".join(json.dumps(release, ensure_ascii=False, separators=(",", ":")) + "\n" for release, _ in prepared)
    assert text == expected


def test_every_fixture_is_collected() -> None:
    assert len(INDICATORS) == 15
    assert len(PREPARE) == 9


@pytest.mark.parametrize("page", EXAMPLES, ids=lambda page: page.stem)
def test_documented_examples(page: Path) -> None:
    (match,) = EXAMPLE.finditer(page.read_text(encoding="utf-8"))
    settings, data, output = match.groups()

    result = run(read_lines(REFERENCE / data), read_settings(REFERENCE / settings))

    assert result.to_json(meta=False) == json.loads(output)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="Cardinal's repository is not on this machine")
def test_documented_prepare_issue() -> None:
    (release,) = read_lines(REFERENCE / "docs/examples/prepare.jsonl")

    ((_, issues),) = prepare_all([release], parse_settings(""))

    assert [tuple(issue) for issue in issues] == [(1, "ocds-213czf-1", "/bids/details[]/status", 0, "", "not set")]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="Cardinal's repository is not on this machine")
def test_init_template() -> None:
    """The settings file ``ocdscardinal init`` writes (kept in src/lib.rs), as written and with its keys on."""
    source = (REFERENCE / "src/lib.rs").read_text(encoding="utf-8")
    (template,) = re.findall(r'let content = b"\\\n(.*?)";', source, re.DOTALL)

    assert tuple(parse_settings(template).indicators) == CODES
    settings = parse_settings(re.sub(r"^; (\w[\w ]* = )", r"\1", template, flags=re.MULTILINE))
    assert settings.indicator("R003", "procurement_method_details") == {"emergency": 10, "international": 25}
    assert settings.codelists == {"bid_status": {"qualified": "valid"}, "award_status": {"Active": "active"}}
    assert settings.modifications.prefix_tenderer_or_supplier_id == "DO-RPE-"
    assert settings.defaults.party_roles is True
