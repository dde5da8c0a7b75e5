"""Replays of Mexican publishers without data in ``../shared/data/publishers``, each from a small fixture built here
in the shape kingfisher-collect's spider for it reads: the six state systems on the Plataforma Digital Nacional,
the Contrataciones Abiertas (EDCA) platforms of Guadalajara, INFOCDMX and INAIP Yucatán, Aguascalientes'
Plataforma Digital Estatal and QuiénEsQuién.Wiki."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tests.httpserver import LocalServer, Reply, Request
from tests.replay import local_path
from tests.replaying import Expected, Replay, route
from tests.replays.africa_asia import package_metadata, release, release_package

# Plataforma Digital Nacional: the six state systems

PDN_SEARCH = "https://api.plataformadigitalnacional.org/s6/api/v1/search"
PDN_SYSTEMS = {
    "mexico_aguascalientes_sesea_plataforma_digital_nacional": ("SESEA_AGS", 23),
    "mexico_mexico_state_sesaemm_plataforma_digital_nacional": ("SESAEMM_EDOMEX", 10),
    "mexico_michoacan_sesea_plataforma_digital_nacional": ("SESEA_MCH", 4),
    "mexico_puebla_state_seseap_plataforma_digital_nacional": ("SESAE_PUE", 11),
    "mexico_quintana_roo_sesaeqroo_plataforma_digital_nacional": ("SESAE_QROO", 15),
    "mexico_veracruz_state_sesea_plataforma_digital_nacional": ("SESEA_VER", 7),
}


def pdn_release(supplier: str, number: int) -> dict[str, Any]:
    """A release as the S6 search gives it: bare, with the PDN's own ``publisher`` and ``cycle`` fields."""
    tag = "award" if number % 2 else "tender"
    when = f"2023-{1 + number % 12:02d}-15T10:00:00-06:00"
    ocid = f"ocds-pdn{supplier.lower().replace('_', '')}-{number:04d}"
    return release(ocid, number, when, tag, "MXN", publisher={"name": supplier}, cycle=2023)


def pdn_system(supplier: str, count: int) -> Callable[[LocalServer], Expected]:
    """The S6 search of one supplier: a POSTed JSON body ``{"page": N, "pageSize": 10}``, pages from 0 (page 0 holds
    the first ten releases); a page past the last is an empty ``data``. The releases come two per OCID."""
    releases = [pdn_release(supplier, number // 2) for number in range(count)]
    for index, body in enumerate(releases):
        body["id"] = f"{body['id']}-{index}"

    def serve(server: LocalServer) -> Expected:
        def search(request: Request) -> Reply:
            if request.method != "POST" or request.query.get("supplier_id") != [supplier]:
                return Reply.json({"error": "supplier_id is required"}, 400)
            query = orjson.loads(request.body)
            page, size = int(query.get("page", 0)), int(query.get("pageSize", 10))
            data = releases[page * size : (page + 1) * size]
            return Reply.json({"pagination": {"pageSize": size, "page": page, "total": count}, "data": data})

        route(server, PDN_SEARCH, search)
        return Expected(count, 0, len({r["ocid"] for r in releases}))

    return serve


def pdn_pages(count: int) -> list[int]:
    return list(range(-(-count // 10)))


# Contrataciones Abiertas (EDCA): Guadalajara, INFOCDMX, INAIP Yucatán


def edca_year(publisher: str, uri: str, prefix: str, year: int, processes: int) -> dict[str, Any]:
    """A year's document: ``arrayReleasePackage``, one release package per contracting process."""
    packages = []
    for number in range(1, processes + 1):
        ocid = f"ocds-{prefix}-{year}-{number:03d}"
        stages = [
            ("tender", f"{year}-03-{number:02d}T12:00:00-06:00"),
            ("award", f"{year}-05-{number:02d}T12:00:00-06:00"),
        ]
        releases = [release(ocid, number, when, tag, "MXN") for tag, when in stages]
        packages.append(release_package(package_metadata(publisher, f"{uri}/release-package/{ocid}"), releases))
    return {"arrayReleasePackage": packages}


def fiscal_years(years: list[int]) -> dict[str, Any]:
    listed = [
        {"id": index, "year": year, "status": "ACTIVE", "createdAt": f"{year}-01-02T00:00:00.000Z",
         "updatedAt": f"{year}-01-02T00:00:00.000Z"}
        for index, year in enumerate(years, 1)
    ]  # fmt: skip
    return {"fiscalYears": listed}


def edca_platform(
    server: LocalServer, origin: str, publisher: str, prefix: str, years: dict[int, int], guard: Guard | None = None
) -> None:
    """Route the fiscal years' list and each year's document (``years``: year to number of processes)."""
    guard = guard or (lambda handler: handler)
    route(server, f"{origin}/edca/fiscalYears", guard(lambda request: Reply.json(fiscal_years(sorted(years)))))
    for year, processes in years.items():
        body = edca_year(publisher, origin, prefix, year, processes)
        route(server, f"{origin}/edca/contractingprocess/{year}", guard(lambda request, body=body: Reply.json(body)))


Guard = Callable[[Callable[[Request], Reply]], Callable[[Request], Reply]]


def browser_or_500(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """INFOCDMX answers HTTP 500 to a client that does not look like a browser."""

    def guarded(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply(500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>")
        return handler(request)

    return guarded


GDL = "https://contratacionesabiertas.guadalajara.gob.mx:3000"
INFOCDMX = "https://contratacionesabiertas.infocdmx.org.mx:3000"
YUCATAN = "https://captura.contratacionesabiertas.inaipyucatan.org.mx"


def mexico_guadalajara(server: LocalServer) -> Expected:
    # 2022 to 2024, each year requested without the list of fiscal years (which kingfisher-collect does not read
    # for Guadalajara either); 2024 holds no process.
    edca_platform(server, GDL, "Municipio de Guadalajara", "gdl", {2022: 2, 2023: 1, 2024: 0})
    return Expected(6, 0, 3)


def mexico_mexico_city_infocdmx(server: LocalServer) -> Expected:
    # The list names 2019 to 2021: every listed year is fetched. Without a browser User-Agent: HTTP 500.
    edca_platform(server, INFOCDMX, "INFOCDMX", "infocdmx", {2019: 1, 2020: 2, 2021: 1}, browser_or_500)
    return Expected(8, 0, 4)


def mexico_yucatan_inaip(server: LocalServer) -> Expected:
    # The list names 2020 to 2022; from_date 2021-01-01 leaves 2020 out.
    edca_platform(server, YUCATAN, "INAIP Yucatán", "inaipyuc", {2020: 2, 2021: 1, 2022: 2})
    return Expected(6, 0, 3)


# Aguascalientes: Plataforma Digital Estatal

AGS_PAGE = "https://plataformadigitalestatal.org/Publica/contratacionesPublicas/index.html"
AGS_DRIVE = "https://drive.google.com/uc?export=download&id=1pDEaGsContratacionesOCDS"
AGS_DOWNLOAD = "https://drive.usercontent.google.com/download"


def mexico_aguascalientes_plataforma_digital_estatal(server: LocalServer) -> Expected:
    # The page's links are anchors in the page and one Google Drive file; Drive's download link redirects (303) to
    # its content host, which serves a JSON array of release packages as an attachment.
    page = (
        '<html><body><nav><a href="#inicio">Inicio</a><a href="#contrataciones">Contrataciones</a></nav>'
        f'<section id="contrataciones"><a href="{AGS_DRIVE.replace("&", "&amp;")}">Descargar (JSON)</a></section>'
        "</body></html>"
    ).encode()
    packages = []
    for number in (1, 2, 3):
        ocid = f"ocds-pdeags-{number:04d}"
        releases = [release(ocid, number, f"2023-0{number}-10T09:00:00-06:00", "award", "MXN")]
        packages.append(release_package(package_metadata("SESEA Aguascalientes", f"{AGS_PAGE}#{ocid}"), releases))
    route(server, AGS_PAGE, lambda request: Reply(200, {"Content-Type": "text/html; charset=utf-8"}, page))
    moved = f"{AGS_DOWNLOAD}?id=1pDEaGsContratacionesOCDS&export=download"
    route(server, AGS_DRIVE, lambda request: Reply(303, {"Location": moved, "Content-Type": "text/html"}, b""))
    attachment = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": 'attachment; filename="contrataciones.json"',
    }
    route(server, AGS_DOWNLOAD, lambda request: Reply(200, attachment, orjson.dumps(packages)))
    return Expected(3, 0, 3)


# QuiénEsQuién.Wiki

QQW_CONTRACTS = "https://api.quienesquien.wiki/v3/contracts"


def qqw_release(day: str, number: int) -> dict[str, Any]:
    ocid = f"ocds-0ud2q6-{day.replace('-', '')}-{number}"
    return release(ocid, number, f"{day}T00:00:00Z", "award", "MXN")


def mexico_quien_es_quien_releases(server: LocalServer) -> Expected:
    # Three days. 2021-03-01: two contracts. 2021-03-02: count 1003, so two pages (offsets 0 and 1000), cut to a few
    # releases to keep the fixture small. 2021-03-03: none (count 0, empty data).
    days = {
        "2021-03-01": (2, {0: [qqw_release("2021-03-01", n) for n in (1, 2)]}),
        "2021-03-02": (
            1003,
            {
                0: [qqw_release("2021-03-02", n) for n in (1, 2)],
                1000: [qqw_release("2021-03-02", n) for n in (3, 4, 5)],
            },
        ),
        "2021-03-03": (0, {}),
    }

    def contracts(request: Request) -> Reply:
        low, high = request.query["start_date_min"][0], request.query["start_date_max"][0]
        offset, limit = int(request.query["offset"][0]), int(request.query["limit"][0])
        if offset + limit > 10000:
            return Reply.json({"error": "Search size is bigger than 10000. Elasticsearch does not allow it."}, 500)
        count, pages = days.get(low, (0, {})) if low == high else (0, {})
        return Reply.json(
            {"status": "success", "size": limit, "offset": offset, "count": count, "data": pages.get(offset, [])}
        )

    route(server, QQW_CONTRACTS, contracts)
    return Expected(7, 0, 7)


def requested_days(*days: str) -> tuple[tuple[str, dict[str, str]], ...]:
    path = local_path(QQW_CONTRACTS)
    first = tuple(
        (path, {"start_date_min": day, "start_date_max": day, "offset": "0", "limit": "1000"}) for day in days
    )
    return (*first, (path, {"start_date_min": days[1], "offset": "1000", "limit": "1000"}))


def pdn_replays() -> dict[str, Replay]:
    replays = {}
    for name, (supplier, count) in PDN_SYSTEMS.items():
        # every page from 0, each once; page 0 holds the first releases
        replays[name] = Replay(pdn_system(supplier, count), hits={local_path(PDN_SEARCH): len(pdn_pages(count))})
    return replays


REPLAYS: dict[str, Replay] = {
    **pdn_replays(),
    "mexico_guadalajara": Replay(
        mexico_guadalajara,
        {"from_date": "2022-01-01", "until_date": "2024-12-31"},
        hits={
            local_path(f"{GDL}/edca/fiscalYears"): 0,
            **{local_path(f"{GDL}/edca/contractingprocess/{year}"): 1 for year in (2022, 2023, 2024)},
        },
    ),
    "mexico_mexico_city_infocdmx": Replay(
        mexico_mexico_city_infocdmx,
        hits={local_path(f"{INFOCDMX}/edca/contractingprocess/{year}"): 1 for year in (2019, 2020, 2021)},
    ),
    "mexico_yucatan_inaip": Replay(
        mexico_yucatan_inaip,
        {"from_date": "2021-01-01"},
        hits={
            local_path(f"{YUCATAN}/edca/contractingprocess/2020"): 0,
            local_path(f"{YUCATAN}/edca/contractingprocess/2021"): 1,
            local_path(f"{YUCATAN}/edca/contractingprocess/2022"): 1,
        },
    ),
    "mexico_aguascalientes_plataforma_digital_estatal": Replay(
        mexico_aguascalientes_plataforma_digital_estatal,
        hits={local_path(AGS_PAGE): 1, local_path(AGS_DRIVE): 1, local_path(AGS_DOWNLOAD): 1},
    ),
    "mexico_quien_es_quien_releases": Replay(
        mexico_quien_es_quien_releases,
        {"from_date": "2021-03-01", "until_date": "2021-03-03"},
        requested=requested_days("2021-03-01", "2021-03-02", "2021-03-03"),
        hits={local_path(QQW_CONTRACTS): 4},
    ),
}
