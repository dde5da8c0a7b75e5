"""``ocds-atlas report``: every comparison on one stated year, partial years marked, levels apart, country names,
publishers' coverage and freshness, red flags, trends, downloads; escaping; and how it renders in headless
Chromium at laptop and phone widths (no clipped label, no console error)."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.compare.catalogue import CATALOGUE
from aggregator.publish.export import export
from aggregator.publish.report.site import write_site
from aggregator.sandbox import SANDBOX_PUBLISHERS
from tests.publish.report_fixtures import build_atlas

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def atlas(conn: psycopg.Connection) -> psycopg.Connection:
    return build_atlas(conn)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_home_page_compares_one_stated_year_that_every_row_covers(atlas, tmp_path) -> None:
    home = write_site(atlas, tmp_path / "site")
    html = home.read_text(encoding="utf-8")
    text = _text(html)
    assert "Public procurement, countries compared, 2023" in text
    assert "Direct awards (count), 2023" in text
    assert "43 % (n = 396)" in text  # XA's whole 2023
    assert "69 %" not in text  # never XA's two months of 2024 beside other countries' years
    # Country names from their codes; a country's national and city publishers never mixed into one value.
    assert "Aldora (sandbox) · national" in text
    assert "Borealia (sandbox) · national · Crown Purchasing Service" in text
    assert "Borealia (sandbox) · city · City of Northhaven" in text
    assert "77 %" not in text  # the country-level value mixing XB's national and city publishers
    assert "31 % (n = 120)" in text and "52 % (n = 40)" in text  # XB's publishers, each its own value
    # Cadmie's data start in March 2023: not compared on 2023, and said why.
    assert (
        "Not compared here: Cadmie (sandbox) · national (its data cover Mar 2023 to Dec 2024: 2023 only Mar to Dec)"
        in text
    )
    # Every year may be chosen; a partial one is marked.
    for year in (2022, 2023, 2024):
        assert f'href="year-{year}.html"' in html
    assert re.search(r'href="year-2024.html"[^>]*title="partial: [^"]*Aldora[^"]*Jan to Feb', html)
    # Red flags with their n.
    assert "Red flags, 2023" in text and "R024, 2023" in text
    assert "25 % (2 of n = 8)" in text


def test_a_year_page_marks_partial_years_with_their_months(atlas, tmp_path) -> None:
    write_site(atlas, tmp_path)
    text = _text((tmp_path / "year-2024.html").read_text(encoding="utf-8"))
    assert "Countries compared, 2024" in text
    assert "Aldora (sandbox) · national (Jan to Feb only) 69 % (n = 51)" in text
    assert (
        "Partial year, compared only over the months its data cover: Aldora (sandbox) · national (Jan to Feb)" in text
    )
    assert "Cadmie (sandbox) · national 30 % (n = 150)" in text  # complete: no mark
    y2022 = (tmp_path / "year-2022.html").read_text(encoding="utf-8")
    assert '<div class="bar-label">Cadmie' not in y2022
    assert "No data that year: Cadmie (sandbox) · national" in _text(y2022)


def test_trends_show_every_year_with_partial_years_marked(atlas, tmp_path) -> None:
    write_site(atlas, tmp_path)
    html = (tmp_path / "trends.html").read_text(encoding="utf-8")
    text = _text(html)
    assert html.count('<svg class="lines" role="img"') == 3  # one per indicator with values
    assert "Direct awards (count)" in text and "Jan to Feb only" in text
    assert 'fill="#fff"' in html  # the partial year's hollow point


def test_country_pages_list_publishers_with_coverage_and_freshness(atlas, tmp_path) -> None:
    write_site(atlas, tmp_path, health={"sandbox_xa": "stale"})
    xa = _text((tmp_path / "country-xa.html").read_text(encoding="utf-8"))
    assert "Aldora (sandbox) (XA)" in xa
    assert "2022-01-10 to 2024-02-20" in xa and "2024 (Jan to Feb only)" in xa
    assert "stale" in xa and "newest release 2024-02-20" in xa
    assert "By publisher, 2023" in xa and "Exampleland bulk" in xa and "never crawled" in xa
    assert "38 % (n = 310)" in xa and "2024 (Jan to Feb only) 69 % (n = 51)" in xa
    xb = _text((tmp_path / "country-xb.html").read_text(encoding="utf-8"))
    assert "at several levels of government" in xb and "city: City of Northhaven" in xb
    assert "R024" in xb and "of n =" in xb
    xc = (tmp_path / "country-xc.html").read_text(encoding="utf-8")
    assert "20 % of requests failed" in xc and "invalid_json" in xc
    gb = _text((tmp_path / "country-gb.html").read_text(encoding="utf-8"))
    assert "United Kingdom (GB)" in gb and "no dated data" in gb
    methodology = (tmp_path / "methodology.html").read_text(encoding="utf-8")
    for indicator in CATALOGUE:
        assert f'id="{indicator.id}"' in methodology
    assert "Years, partial years and levels of government" in methodology


def test_downloads_page_links_every_file_with_size_and_checksum(atlas, tmp_path) -> None:
    export(atlas, tmp_path / "export")
    write_site(atlas, tmp_path / "site", downloads=tmp_path / "export")
    html = (tmp_path / "site" / "downloads.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(\.\./export/[^"]+)">', html)
    assert "../export/tables/processes.csv.gz" in links and "../export/datapackage.json" in links
    for href in links:
        path = (tmp_path / "site" / href).resolve()
        assert hashlib.sha256(path.read_bytes()).hexdigest() in html, href
    assert "KiB" in html or "bytes" in html
    published = write_site(atlas, tmp_path / "site2", downloads=tmp_path / "export", downloads_url="https://x.test/d")
    assert 'href="https://x.test/d/tables/process.csv.gz"' in (published.parent / "downloads.html").read_text()


def test_data_is_escaped_and_nothing_is_fetched(atlas, tmp_path) -> None:
    write_site(atlas, tmp_path)
    pages = list(tmp_path.glob("*.html"))
    assert len(pages) == 11  # home, 3 years, trends, downloads, methodology, 4 countries
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://creativecommons', ""))
        assert "@import" not in html and "url(http" not in html
    assert "&lt;script&gt;" in (tmp_path / "country-xc.html").read_text(encoding="utf-8")


def test_report_without_indicator_values(conn, tmp_path) -> None:
    conn.execute("INSERT INTO publisher (name, title, country) VALUES ('sandbox_xa', 'Exampleland', 'XA')")
    html = write_site(conn, tmp_path).read_text(encoding="utf-8")
    assert "No indicator values yet" in html and "country-xa.html" in html


def test_report_command(atlas_env, tmp_path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out"), "--downloads", str(tmp_path / "none")])
    assert result.exit_code == 1 and "holds no export" in result.output
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'out' / 'index.html'}" in result.output.replace("\n", "")
    assert (tmp_path / "out" / "methodology.html").exists()


def test_stated_year_and_partial_years_are_pure_functions() -> None:
    from aggregator.publish.report.compare import stated_year
    from aggregator.publish.report.units import Publisher, comparison_units
    from aggregator.publish.report.years import Coverage, group_cover, year_cover

    assert year_cover(Coverage(date(2022, 1, 10), date(2024, 2, 20)), 2024).label == "Jan to Feb"
    assert year_cover(Coverage(date(2022, 1, 10), date(2024, 2, 20)), 2023).complete
    assert not year_cover(Coverage(date(2022, 1, 10), date(2024, 2, 20)), 2025).covered
    both = [Coverage(date(2020, 1, 1), date(2024, 12, 31)), Coverage(date(2023, 1, 5), date(2023, 6, 30))]
    assert group_cover(both, 2023).label == "Jan to Dec (not every publisher)"
    publishers = [
        Publisher("a", "A", "XA", "national", None, Coverage(date(2021, 1, 1), date(2024, 2, 1))),
        Publisher("b", "B", "XB", "national", None, Coverage(date(2023, 1, 1), date(2024, 12, 1))),
        Publisher("c", "C", "XB", "city", None, Coverage(date(2023, 1, 1), date(2024, 12, 1))),
    ]
    units = comparison_units(publishers)
    assert [u.key for u in units] == ["XA", "XB/b", "XB/c"]
    assert stated_year(units, [2022, 2023, 2024]) == 2023  # complete for all three
    assert stated_year(units[1:], [2022, 2023, 2024]) == 2024


def test_demo_compiles_three_countries_and_ends_with_the_report(atlas_env, conn, tmp_path) -> None:
    """The whole pipeline on the sandbox publishers, then the site from what it computed, linking the export (one
    demo for both: each takes about 20 s)."""
    result = CliRunner().invoke(app, ["demo", "--output", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    rows = conn.execute(
        "SELECT p.country, count(*) AS n FROM compiled_release c JOIN publisher p ON p.id = c.publisher_id "
        "GROUP BY p.country"
    ).fetchall()
    assert {row["country"] for row in rows} == {"XA", "XB", "XC"}
    assert all(row["n"] >= 1000 for row in rows)
    for key in SANDBOX_PUBLISHERS:
        assert (tmp_path / "export" / "compiled" / f"sandbox_{key}" / "full.jsonl.gz").is_file()
    for word in ("XA", "XB", "XC", "compiled releases", "warning notes"):
        assert word in result.output
    home = atlas_env / "report" / "index.html"
    assert f"report: {home}" in result.output.replace("\n", "")
    html = home.read_text(encoding="utf-8")
    for name in ("Aldora (sandbox)", "Borealia (sandbox)", "Cadmie (sandbox)"):
        assert name in html
    for code in ("xa", "xb", "xc"):
        assert (atlas_env / "report" / f"country-{code}.html").is_file()
    downloads = (atlas_env / "report" / "downloads.html").read_text(encoding="utf-8")
    assert "tables/processes.csv.gz" in downloads and "SHA256SUMS" in downloads
