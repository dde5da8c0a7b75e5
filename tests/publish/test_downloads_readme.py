"""The README's "Using the downloads" examples, run as they are written, on an export."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from tests.conftest import PUBLISHERS

README = Path(__file__).resolve().parents[2] / "README.md"
LOADS = [("portugal_impic", "PT"), ("mexico_cdmx", "MX")]


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = re.search(r"<!-- downloads-examples:begin.*?-->(.*)<!-- downloads-examples:end -->", text, re.S)
    assert section, "the README has no downloads-examples section"
    return re.findall(r"```python\n(.*?)```", section.group(1), re.S)


def test_the_readme_has_a_pandas_and_a_duckdb_example() -> None:
    found = examples()
    assert len(found) == 2
    assert "import pandas" in found[0] and "import duckdb" in found[1]


@pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="../shared/data/publishers is not beside the checkout")
@pytest.mark.parametrize("index", [0, 1], ids=["pandas", "duckdb"])
def test_readme_examples_run_on_an_export(atlas_env, tmp_path, index) -> None:
    pytest.importorskip(["pandas", "duckdb"][index], reason="pandas and duckdb come with the test extra")
    runner = CliRunner()
    for directory, country in LOADS:
        result = runner.invoke(
            app, ["load", str(PUBLISHERS / directory), "--publisher", directory, "--country", country]
        )
        assert result.exit_code == 0, result.output
    for args in (["compile"], ["export", str(tmp_path / "out")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    run = subprocess.run(
        [sys.executable, "-c", examples()[index]], cwd=tmp_path / "out", capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    for _, country in LOADS:  # every country's rows came through the joins
        assert re.search(rf"\b{country}\b", run.stdout), run.stdout
    if index == 1:  # the compiled releases joined to their awards
        assert "title" in run.stdout and "awards" in run.stdout
