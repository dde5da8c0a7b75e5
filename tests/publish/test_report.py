"""``ocds-atlas report``: the static site, its escaping, and how it renders in headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.compare.catalogue import CATALOGUE
from aggregator.publish.report.site import write_site

HOSTILE = "<script>alert('x')</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's chromium package)"
)


def _publisher(conn: psycopg.Connection, name: str, country: str, title: str) -> int:
    return conn.execute(
        "INSERT INTO publisher (name, title, country, level) VALUES (%s, %s, %s, 'national') RETURNING id",
        (name, title, country),
    ).fetchone()["id"]


def _crawl(conn: psycopg.Connection, publisher_id: int, status: str, reasons: list[str]) -> int:
    return conn.execute(
        "INSERT INTO crawl (publisher_id, kind, status, close_reason, ended_at, error_rate, acceptance) "
        "VALUES (%s, 'crawl', %s, 'finished', now(), %s, %s) RETURNING id",
        (publisher_id, status, 0.2 if reasons else 0.0, psycopg.types.json.Jsonb({"reasons": reasons})),
    ).fetchone()["id"]


def _value(
    conn: psycopg.Connection, indicator: str, country: str, year: int, value: float | None, **kw: object
) -> None:
    n = kw.get("n", 310)
    conn.execute(
        "INSERT INTO indicator_value (indicator, level, country, publisher, year, value, n_eligible, n_total, "
        "missing_share, suppressed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            indicator,
            kw.get("level", "country"),
            country,
            kw.get("publisher"),
            year,
            value,
            n,
            kw.get("total", 400),
            kw.get("missing", 0.05),
            kw.get("suppressed", False),
        ),
    )


@pytest.fixture
def atlas(conn: psycopg.Connection) -> psycopg.Connection:
    """Three countries as in the demo: XA with two publishers, XB thin, XC with a failed crawl and notes."""
    xa = _publisher(conn, "sandbox_xa", "XA", "Exampleland Procurement Agency")
    _publisher(conn, "sandbox_xa_bulk", "XA", "Exampleland bulk")
    xb = _publisher(conn, "sandbox_xb_city", "XB", "Capital City")
    xc = _publisher(conn, "sandbox_xc", "XC", f"Hostile {HOSTILE}")
    _crawl(conn, xa, "finished", [])
    _crawl(conn, xb, "finished", [])
    crawl = _crawl(conn, xc, "failed", ["20 % of requests failed"])
    conn.execute(
        "INSERT INTO note (publisher_id, crawl_id, stage, level, code, message, count) "
        "VALUES (%s, %s, 'load', 'error', 'invalid_json', %s, 3)",
        (xc, crawl, f"cannot parse {HOSTILE}"),
    )
    _value(conn, "single_bid_share", "XA", 2022, 0.38)
    _value(conn, "single_bid_share", "XA", 2023, 0.42)
    _value(conn, "single_bid_share", "XB", 2023, 0.9, n=12, suppressed=True)
    _value(conn, "single_bid_share", "XC", 2023, 0.2, n=80, missing=0.45, suppressed=True)
    _value(conn, "submission_period_days", "XA", 2023, 21.5)
    _value(conn, "submission_period_days", "XB", 2023, 9.0, n=45)
    _value(conn, "submission_period_days", "XC", 2023, 30.0, n=120)
    _value(conn, "value_usd_total", "XC", 2023, 12_345_678.0)
    _value(conn, "processes", "XA", 2023, 400.0, n=400)
    _value(conn, "single_bid_share", "XA", 2023, 0.5, level="publisher", publisher="sandbox_xa", n=200)
    return conn


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_page_puts_countries_side_by_side_with_samples(atlas: psycopg.Connection, tmp_path: Path) -> None:
    home = write_site(atlas, tmp_path / "site")
    html = home.read_text(encoding="utf-8")
    text = _text(html)
    for code in ("XA", "XB", "XC"):
        assert f'href="country-{code.lower()}.html"' in html
    assert "42 % (n = 310)" in text  # the latest year, never a bare number
    assert "too few eligible: n = 12 &lt; 30" in html
    assert "45 % missing &gt; 30 %" in html
    assert html.count('class="suppressed"') == 2
    assert "USD 12.3 M" in text
    assert html.count('<svg class="chart" role="img" aria-label=') == 4  # one chart per indicator with values
    assert "90 %" not in text  # a suppressed value is not shown


def test_country_pages_and_methodology(atlas: psycopg.Connection, tmp_path: Path) -> None:
    write_site(atlas, tmp_path)
    xa = _text((tmp_path / "country-xa.html").read_text(encoding="utf-8"))
    assert "Exampleland Procurement Agency" in xa and "Exampleland bulk" in xa
    assert "2022" in xa and "38 % (n = 310)" in xa
    assert "50 % (n = 200)" in xa  # by publisher
    assert "never crawled" in xa
    xc = (tmp_path / "country-xc.html").read_text(encoding="utf-8")
    assert "20 % of requests failed" in xc and "invalid_json" in xc
    assert "No processes normalized" in xc
    methodology = (tmp_path / "methodology.html").read_text(encoding="utf-8")
    for indicator in CATALOGUE:
        assert f'id="{indicator.id}"' in methodology
        assert indicator.title in methodology or indicator.title.replace("'", "&#39;") in methodology


def test_data_is_escaped_and_nothing_is_fetched(atlas: psycopg.Connection, tmp_path: Path) -> None:
    write_site(atlas, tmp_path)
    pages = list(tmp_path.glob("*.html"))
    assert len(pages) == 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        assert "@import" not in html and "url(http" not in html
    assert "&lt;script&gt;" in (tmp_path / "country-xc.html").read_text(encoding="utf-8")


def test_report_without_indicator_values(conn: psycopg.Connection, tmp_path: Path) -> None:
    _publisher(conn, "sandbox_xa", "XA", "Exampleland")
    html = write_site(conn, tmp_path).read_text(encoding="utf-8")
    assert "No indicator values yet" in html and "country-xa.html" in html


def test_report_command(atlas_env: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'out' / 'index.html'}" in result.output.replace("\n", "")
    assert (tmp_path / "out" / "methodology.html").exists()


def test_demo_ends_with_the_report(atlas_env: Path, tmp_path: Path) -> None:
    """The whole pipeline on the sandbox publishers, then the site from what it computed."""
    result = CliRunner().invoke(app, ["demo", "--output", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    home = atlas_env / "report" / "index.html"
    assert f"report: {home}" in result.output.replace("\n", "")
    html = home.read_text(encoding="utf-8")
    for code in ("XA", "XB", "XC"):
        assert f'href="country-{code.lower()}.html"' in html
        assert (atlas_env / "report" / f"country-{code.lower()}.html").is_file()


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@needs_chromium
def test_pages_render_without_console_errors(atlas: psycopg.Connection, tmp_path: Path) -> None:
    write_site(atlas, tmp_path / "site")
    for page in sorted((tmp_path / "site").glob("*.html")):
        result = _chromium(tmp_path, "--dump-dom", page.as_uri())
        assert result.returncode == 0, result.stderr[-2000:]
        assert "Uncaught" not in result.stderr and "ERROR:CONSOLE" not in result.stderr, result.stderr[-2000:]
        assert "</html>" in result.stdout or "</body>" in result.stdout


@needs_chromium
def test_home_page_screenshot_shows_every_country(atlas: psycopg.Connection, tmp_path: Path) -> None:
    home = write_site(atlas, tmp_path / "site")
    screenshot = tmp_path / "home.png"
    result = _chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000", home.as_uri())
    assert screenshot.exists(), result.stderr[-2000:]
    assert "Uncaught" not in result.stderr and "ERROR:CONSOLE" not in result.stderr
    width, height, distinct = _png_summary(screenshot.read_bytes())
    assert (width, height) == (1280, 2000)
    assert distinct > 20, "the screenshot is blank"
    html = home.read_text(encoding="utf-8")
    for code in ("XA", "XB", "XC"):
        assert f">{code}</a></th>" in html  # a column of the side-by-side table
        assert f"{code} 2023</text>" in html  # a bar of the charts


def _png_summary(data: bytes) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the decompressed pixels hold (1 or 2 for a blank page)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, height = 8, b"", 0, 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))
