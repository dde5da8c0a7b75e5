"""Replays of publishers whose spiders were mended (issue 14): Italy's ANAC, whose releases may lack an ``ocid`` that
their ``id`` carries, and Peru's OECE and Guatemala's Guatecompras, whose bulk files are found in the publishers' own
lists of files rather than guessed. Each is shaped as the publisher answers today (from the reference crawler's
current spider, see each spider's ``facts_from``) and fails with the spider's old behaviour: a release skipped, or
the list of files never read (and months guessed that it does not name)."""

from __future__ import annotations

from typing import Any

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route
from tests.replays.europe import award, package, release
from tests.replays.latin_america import always, browser_only, linked_record, monthly_zips, record_package

# Italy: ANAC


ANAC = "https://dati.anticorruzione.it/opendata"
ANAC_SEARCH = "/dati.anticorruzione.it/opendata/api/3/action/package_search"


def anac_bulk(year: int, month: int) -> str:
    return f"{ANAC}/download/dataset/ocds/filesystem/bulk/{year}/{month:02d}.json"


def anac_dataset(year: int, months: range) -> dict[str, Any]:
    resources = [{"format": "JSON", "url": anac_bulk(year, month), "name": f"{year}-{month:02d}"} for month in months]
    resources.append({"format": "CSV", "url": f"{ANAC}/download/dataset/ocds/filesystem/{year}.csv", "name": "csv"})
    return {"name": f"ocds-appalti-ordinari-{year}", "resources": resources}


def italy_anac(server: LocalServer) -> Expected:
    # The CKAN search answers two pages (rows=100 would give them in one; two datasets per page here, as a portal
    # with more datasets than rows would): four yearly datasets, 2021 to 2024. From 2022-11 to 2023-02, four monthly
    # files are fetched; each holds two releases. In 2023-01 one release has no ocid, and another an empty one:
    # their ids carry them (``ocds-hu01ve-2301002-01``), so all eight are stored, with a note. The old spider
    # skipped those two.
    datasets = [anac_dataset(year, range(1, 13)) for year in range(2021, 2025)]

    def search(request: Request) -> Reply:
        assert request.query["q"] == ["ocds"]
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply(200, {"Content-Type": "text/html"}, b"<html><body>Request Rejected</body></html>")
        start = int(request.query["start"][0])
        return Reply.json({"success": True, "result": {"count": len(datasets), "results": datasets[start : start + 2]}})

    route(server, f"{ANAC}/api/3/action/package_search", search)
    buyer = {"id": "IT-CF-80014930327", "name": "COMUNE DI TRIESTE"}
    for year, month in ((2022, 11), (2022, 12), (2023, 1), (2023, 2)):
        cig = f"{year % 100}{month:02d}"
        day = f"{year}-{month:02d}"
        releases = [
            release(f"ocds-hu01ve-{cig}001", 1, f"{day}-10", "award", buyer=buyer, **award(50000, "EUR", "IT-1")),
            release(f"ocds-hu01ve-{cig}002", 1, f"{day}-20", buyer=buyer),
        ]
        if (year, month) == (2023, 1):
            del releases[0]["ocid"]
            releases[1]["ocid"] = ""
        body = package(anac_bulk(year, month), "ANAC", releases)
        route(server, anac_bulk(year, month), lambda request, body=body: Reply.json(body))
    derived = (
        "SELECT count(*) = 2 FROM release WHERE ocid IN ('ocds-hu01ve-2301001', 'ocds-hu01ve-2301002') "
        "AND release_id LIKE ocid || '-%'"
    )
    return Expected(8, 0, 8, notes={"ocid_from_id"}, checks=(derived,))


# Peru: OECE


OECE = "https://contratacionesabiertas.oece.gob.pe"
OECE_FILES = "/contratacionesabiertas.oece.gob.pe/api/v1/files"
PAGINATE_BY = 10


def oece_file(year: int, month: int, host: str = "oece") -> str:
    return f"https://contratacionesabiertas.{host}.gob.pe/api/v1/file/seace_v3/json/{year}/{month:02d}/"


def peru_oece_bulk(server: LocalServer) -> Expected:
    # The list names twelve months, 2023-03 to 2024-02, ten a page (two pages), newest first; the newest two still
    # on the OSCE's old host, which no longer resolves (the spider asks the OECE's). Asked: 2024-01 to 2024-03:
    # January's zip holds two records, February's one; March is not listed yet, so it is not asked for (the old
    # spider guessed it, and got a 404).
    months = [(2024, 2), (2024, 1)] + [(2023, month) for month in range(12, 2, -1)]
    listed = [
        {"files": {"json": oece_file(year, month, "osce" if (year, month) >= (2024, 1) else "oece")}}
        for year, month in months
    ]
    pages = (len(listed) + PAGINATE_BY - 1) // PAGINATE_BY

    def files(request: Request) -> Reply:
        assert request.query.get("paginateBy") == [str(PAGINATE_BY)] and request.query.get("format") == ["json"]
        page = int(request.query.get("page", ["1"])[0])
        results = listed[(page - 1) * PAGINATE_BY : page * PAGINATE_BY]
        if not results:
            return Reply.json({"detail": "Página inválida."}, 404)
        pagination = {"count": len(listed), "num_pages": pages, "page": page, "paginateBy": PAGINATE_BY}
        return Reply.json({"pagination": pagination, "results": results})

    route(server, f"{OECE}/api/v1/files", files)

    def record(number: int, when: str) -> dict[str, Any]:
        ocid = f"ocds-dgv273-seacev3-{number}"
        return linked_record(ocid, when, "PEN", f"{OECE}/api/v1/release/{ocid}")

    records = {
        1: [record(1064372, "2024-01-12T10:00:00-05:00"), record(1066982, "2024-01-22T10:00:00-05:00")],
        2: [record(1070113, "2024-02-05T10:00:00-05:00")],
    }
    zips: dict[str, dict[str, bytes] | None] = {
        oece_file(2024, month): {f"seace_v3-2024-{month:02d}.json": record_package(oece_file(2024, month), "OECE", r)}
        for month, r in records.items()
    }
    monthly_zips(server, zips, Reply.json({"detail": "No encontrado."}, 404))
    # linked releases only: the records are stored, with no release
    return Expected(0, 3, 3, checks=("SELECT count(*) = 0 FROM release",))


# Guatemala: Guatecompras


GT = "https://ocds.guatecompras.gt"
MONTH_NAMES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def gt_entry(year: int, month: int) -> dict[str, Any]:
    """An entry of ``/files``: the year and month as strings, the month not zero-padded in the URLs."""
    base = f"{GT}/file"
    return {
        "year": str(year),
        "month": str(month),
        "monthName": MONTH_NAMES[month - 1],
        "source": "Guatecompras",
        "timestamp": f"{year}-{month:02d}-28T06:00:00.000-06:00",
        "files": {
            "json": f"{base}/json/{year}/{month}",
            "csv": f"{base}/csv/{year}/{month}",
            "xlsx": f"{base}/xlsx/{year}/{month}",
            "sha": f"{base}/sha/{year}/{month}",
        },
    }


def guatemala_guatecompras_bulk(server: LocalServer) -> Expected:
    # The list names 2024-10, 2024-11 and 2025-01: December 2024 has no file, and is not listed (the old spider
    # guessed it and got a 404). Asked: 2024-11 to 2025-01: November's zip holds two records, January's one.
    # Without a browser User-Agent the server answers 403, to the list too.
    listing = {"result": [gt_entry(2024, 10), gt_entry(2024, 11), gt_entry(2025, 1)]}
    route(server, f"{GT}/files", browser_only(always(Reply.json(listing))))

    def record(nog: int, when: str) -> dict[str, Any]:
        ocid = f"ocds-xqjsxa-{nog}"
        return linked_record(ocid, when, "GTQ", f"{GT}/release/GT-NOG-{nog}")

    records = {
        "2024/11": [record(28887778, "2024-11-04T10:52:10-06:00"), record(28901234, "2024-11-20T09:00:00-06:00")],
        "2025/1": [record(30319447, "2025-01-14T12:09:14-06:00")],
    }
    zips: dict[str, dict[str, bytes] | None] = {
        f"{GT}/file/json/{month}": {
            f"gc-{month.replace('/', '-')}.json": record_package(f"{GT}/file/json/{month}", "Guatecompras", body)
        }
        for month, body in records.items()
    }
    monthly_zips(server, zips, Reply(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"), browser=True)
    # linked releases only: the records are stored, with no release
    return Expected(0, 3, 3, checks=("SELECT count(*) = 0 FROM release",))


REPLAYS: dict[str, Replay] = {
    "italy_anac": Replay(
        italy_anac,
        {"from_date": "2022-11-01", "until_date": "2023-02-28"},
        requested=(
            (ANAC_SEARCH, {"start": "0", "rows": "100"}),
            (ANAC_SEARCH, {"start": "2", "rows": "100"}),
        ),
        hits={ANAC_SEARCH: 2},
    ),
    "peru_oece_bulk": Replay(
        peru_oece_bulk,
        {"from_date": "2024-01-01", "until_date": "2024-03-31"},
        requested=((OECE_FILES, {"page": "1"}), (OECE_FILES, {"page": "2"})),
        hits={
            OECE_FILES: 2,
            "/contratacionesabiertas.oece.gob.pe/api/v1/file/seace_v3/json/2024/01/": 1,
            "/contratacionesabiertas.oece.gob.pe/api/v1/file/seace_v3/json/2024/02/": 1,
            "/contratacionesabiertas.oece.gob.pe/api/v1/file/seace_v3/json/2024/03/": 0,
            "/contratacionesabiertas.oece.gob.pe/api/v1/file/seace_v3/json/2023/12/": 0,
        },
    ),
    "guatemala_guatecompras_bulk": Replay(
        guatemala_guatecompras_bulk,
        {"from_date": "2024-11-01", "until_date": "2025-01-31"},
        env={"OCDS_ATLAS_READ_STREAM_THRESHOLD": "1000"},  # the real packages are read incrementally
        hits={
            "/ocds.guatecompras.gt/files": 1,
            **{f"/ocds.guatecompras.gt/file/json/{month}": 1 for month in ("2024/11", "2025/1")},
            "/ocds.guatecompras.gt/file/json/2024/12": 0,
            "/ocds.guatecompras.gt/file/json/2024/10": 0,
        },
    ),
}
