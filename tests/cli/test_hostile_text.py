"""What a publisher publishes is printed as it is, never read as rich's markup: a title ``[/x]`` stopped ``status``
(``MarkupError: closing tag '[/x]'…``), and the error line read its message as markup too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app

runner = CliRunner()
#: Each a closing tag that opens nothing (rich raises), a style, a link: printed as they are, or the test fails.
TITLE = "[/x] Ministry [bold]of[/bold] [link=https://x.test]Works[/link]"
OCID = "ocds-hostile-[/o]"
BUYER = "[/b] Buyer [red]"
SUPPLIER = "[/s] Supplier"


def release(number: int) -> dict:
    buyer, supplier = {"id": "B-[/1]", "name": BUYER}, {"id": "S-[/2]", "name": SUPPLIER}
    return {
        "ocid": f"{OCID}{number}",
        "id": f"{number}-[/r]",
        "date": "2024-03-01T00:00:00Z",
        "tag": ["award"],
        "buyer": buyer,
        "parties": [{**buyer, "roles": ["buyer"]}, {**supplier, "roles": ["supplier", "tenderer"]}],
        "tender": {
            "id": "t",
            "title": "[/t]",
            "procurementMethod": "open",
            "numberOfTenderers": 1,
            "tenderers": [supplier],
            "tenderPeriod": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-03T00:00:00Z"},
        },
        "awards": [
            {"id": "a", "status": "active", "value": {"amount": 100, "currency": "[/c]"}, "suppliers": [supplier]}
        ],
    }


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


@pytest.fixture
def hostile(atlas_env, tmp_path) -> Path:
    directory = tmp_path / "[red]files"
    directory.mkdir()
    package = {"version": "1.1", "releases": [release(n) for n in range(40)]}
    (directory / "releases.json").write_text(json.dumps(package))
    (directory / "[bold]bad.json").write_bytes(b"[/not json]")
    result = runner.invoke(app, ["load", str(directory), "--publisher", "hostile", "--country", "XA", "--title", TITLE])
    assert "1 of 2 files could not be stored" in result.output, result.output  # said of the bad file, in one line
    assert f"{directory / '[bold]bad.json'}: not stored" in result.output
    invoke("compile", "--workers", "1")
    return directory


def shows(output: str, text: str) -> bool:
    """Whether each word of the text is in the output as it is (a long cell wraps between words)."""
    return all(word in output for word in text.split())


def test_data_is_printed_as_it_is(hostile):
    assert shows(invoke("status"), TITLE)
    assert f"{hostile / '[bold]bad.json'}" in invoke("notes", "--publisher", "hostile")
    assert OCID in invoke("red-flags", "--list")
    assert "hostile" in invoke("red-flags", "--by-publisher")
    assert "hostile" in invoke("quality")
    assert "XA" in invoke("indicators")
    assert shows(invoke("publishers", "remove", "hostile", "--yes"), TITLE)


def test_an_error_line_is_printed_as_it_is(atlas_env):
    result = runner.invoke(app, ["compile", "--publisher", "[/x]"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: ") and "'[/x]'" in result.output, result.output
    assert "Traceback" not in result.output and "MarkupError" not in result.output
