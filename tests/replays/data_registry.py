"""The OCP Data Registry, as it serves a publication: its listing (``/en/publications.json``), a publication's page
(a schema.org Dataset in JSON-LD with the licence and the country's flag; links to the files it offers) and the
files (compiled releases, one per line, gzipped). Fixtures built here; the publication's number is illustrative."""

from __future__ import annotations

import gzip
import json
from typing import Any

import orjson

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route

REGISTRY = "https://data.open-contracting.org"
NUMBER = 42
PREFIX = "ocds-03ad3f-"  # Paraguay's DNCP, whose data the publication holds
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "https://contrataciones.gov.py/datos/api/v3/doc/"
#: The registry's files of the publication: the compiled releases of each year, by the year of their date.
YEARS = {2021: 3, 2022: 4, 2023: 5}
#: How many compiled releases have no date: the registry offers them as ``undated.jsonl.gz`` (since 2026-07).
UNDATED = 2


def listing_entry(number: int, title: str, country: str, source_id: str, **fields: Any) -> dict[str, Any]:
    """One publication of ``publications.json``, with the members the registry's view selects."""
    return {
        "id": number,
        "title": title,
        "country": country,
        "region": "LAC",
        "language": "Spanish",
        "update_frequency": "DAILY",
        "source_url": SOURCE,
        "source_id": source_id,
        "retrieval_frequency": "MONTHLY",
        "last_retrieved": "2024-01-03",
        "frozen": False,
        "date_from": "2021-01-04",
        "date_to": "2023-12-28",
        **fields,
    }


def listing() -> list[dict[str, Any]]:
    return [
        listing_entry(7, "Ministry of Finance", "Moldova", "moldova_mtender", update_frequency="REAL_TIME"),
        listing_entry(
            NUMBER, "Dirección Nacional de Contrataciones Públicas (DNCP)", "Paraguay", "paraguay_dncp_records"
        ),
        listing_entry(13, "Old portal", "Honduras", "honduras_oncae", retrieval_frequency="NEVER", frozen=True),
    ]


def publication_page(number: int, flag: str | None, years: list[int], full: bool = True, undated: bool = True) -> str:
    """The publication's page as the registry renders it: JSON-LD (with the flag's hashed static file name, when
    it shows one) and a link per file offered."""
    dataset = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": "OCDS data for Paraguay: Dirección Nacional de Contrataciones Públicas (DNCP)",
        "url": f"{REGISTRY}/en/publication/{number}",
        "isAccessibleForFree": True,
        "license": LICENCE,
    }
    if flag:
        dataset["image"] = f"{REGISTRY}/static/img/flags/{flag}.8f1e2d3c4b5a.svg"
    names = (["full"] if full else []) + [str(year) for year in years] + (["undated"] if undated else [])
    links = "\n".join(
        f'<a href="/en/publication/{number}/download?name={name}.jsonl.gz" rel="nofollow" download>{name}</a>'
        for name in names
    )
    # As Django's json_script writes it: <, > and & escaped inside the JSON.
    ld = json.dumps(dataset).replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    script = f'<script id="dataset" type="application/ld+json">{ld}</script>'
    return f"<!DOCTYPE html><html><head>{script}</head><body><h1>Paraguay</h1>{links}</body></html>"


def compiled_release(year: int, number: int) -> dict[str, Any]:
    """A compiled release as the registry exports them (Kingfisher Process's): the merged process, tagged
    ``compiled``, dated by its last release."""
    ocid = f"{PREFIX}{year}-{number:05d}"
    when = f"{year}-{number * 2:02d}-15T10:00:00Z"
    return {
        "ocid": ocid,
        "id": f"{ocid}-{when}",
        "date": when,
        "tag": ["compiled"],
        "initiationType": "tender",
        "buyer": {"id": "PY-RUC-80000001-1", "name": "Ministerio de Salud"},
        "tender": {
            "id": f"{year}{number:05d}",
            "title": f"Adquisición {number}",
            "procurementMethod": "open",
            "status": "complete",
            "value": {"amount": 1000000 * number, "currency": "PYG"},
        },
        "awards": [
            {
                "id": f"{year}{number:05d}-1",
                "status": "active",
                "value": {"amount": 900000 * number, "currency": "PYG"},
                "suppliers": [{"id": f"PY-RUC-{number}", "name": f"Proveedor {number}"}],
            }
        ],
    }


def jsonl_gz(releases: list[dict[str, Any]]) -> bytes:
    return gzip.compress(b"".join(orjson.dumps(release) + b"\n" for release in releases), mtime=0)


def serve_registry(server: LocalServer, flag: str | None = "py", years: dict[int, int] | None = None) -> None:
    """Route the registry: the listing, publication ``NUMBER``'s page, and its files (``full`` is every year's)."""
    years = YEARS if years is None else years
    files = {str(year): [compiled_release(year, n) for n in range(1, count + 1)] for year, count in years.items()}
    files["undated"] = [{k: v for k, v in compiled_release(2000, n).items() if k != "date"} for n in range(UNDATED)]
    files["full"] = [release for year in sorted(years) for release in files[str(year)]] + files["undated"]
    route(server, f"{REGISTRY}/en/publications.json", lambda _: Reply.json(listing()))
    page = publication_page(NUMBER, flag, sorted(years))
    headers = {"Content-Type": "text/html; charset=utf-8"}
    route(server, f"{REGISTRY}/en/publication/{NUMBER}", lambda _: Reply(200, headers, page.encode()))

    def download(request: Request) -> Reply:
        name = request.query.get("name", [""])[0].removesuffix(".jsonl.gz")
        if name not in files:
            return Reply(404, {"Content-Type": "text/html"}, b"File not found")
        return Reply(200, {"Content-Type": "application/gzip"}, jsonl_gz(files[name]))

    route(server, f"{REGISTRY}/en/publication/{NUMBER}/download", download)


def data_registry(server: LocalServer) -> Expected:
    # Asked: 2020-06-01 to 2023-06-30. 2020 is not offered (a note); 2021 and 2022 whole (3 + 4); of 2023's five,
    # dated 2023-02, -04, -06, -08, -10, the three before July; and the two without a date, which no year's file
    # holds (without undated.jsonl.gz they would be lost).
    serve_registry(server)
    checks = (
        "SELECT via = 'data_registry' AND via_url = 'https://data.open-contracting.org/en/publication/42' "
        "AND name = 'data_registry.42' AND country = 'PY' FROM publisher",
        "SELECT title = 'Dirección Nacional de Contrataciones Públicas (DNCP)' AND licence = "
        f"'{LICENCE}' AND url = '{SOURCE}' AND update_frequency = 'monthly' FROM publisher",
        "SELECT last_success_at IS NOT NULL AND failing_since IS NULL AND newest_release_at = '2023-06-15T10:00:00Z' "
        "FROM publisher",
        "SELECT bool_and(body -> 'tag' = '[\"compiled\"]') FROM release JOIN raw_json ON raw_json.id = release.data_id",
    )
    return Expected(12, 0, 12, {"registry_year_not_offered", "release_outside_date_range"}, checks)


REPLAYS = {
    "data_registry": Replay(
        data_registry,
        # No country: the crawl learns it from the flag of the publication's page.
        {"publication": str(NUMBER), "from_date": "2020-06-01", "until_date": "2023-06-30"},
        requested=(
            ("/data.open-contracting.org/en/publications.json", {}),
            ("/data.open-contracting.org/en/publication/42", {}),
            *(
                ("/data.open-contracting.org/en/publication/42/download", {"name": f"{year}.jsonl.gz"})
                for year in (2021, 2022, 2023, "undated")
            ),
        ),
        hits={"/data.open-contracting.org/en/publication/42/download": 4},
    )
}
