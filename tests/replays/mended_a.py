"""Replays of publishers whose spiders were mended to fetch what the publisher serves today (issue 14): the
Dominican Republic's new API, ChileCompra's whole-process releases and records, Paraguay's two searches a window with
all their pages (from the real 2017-06 packages in ``../shared/data/publishers``), Zaragoza's list behind a browser's
User-Agent, and Nuevo León's CKAN dataset. Each is shaped as the publisher answers today (from the reference
crawler's current spider, see each spider's ``facts_from``) and fails if the spider's old requests came back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tests.httpserver import LocalServer, Reply, Request
from tests.replay import local_path
from tests.replaying import Expected, Replay, files, read, route

# Fixture builders


def release(ocid: str, stage: str, when: str, currency: str) -> dict[str, Any]:
    """One stage's release of a process: a buyer and a call for bids, and an award with a supplier at ``award``."""
    code = ocid.split("-", 2)[2]
    body: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{stage}-{code}",
        "date": when,
        "tag": [stage],
        "initiationType": "tender",
        "buyer": {"id": "BUYER-1", "name": "Entidad compradora"},
        "tender": {"id": code, "title": f"Adquisición {code}", "value": {"amount": 125000.0, "currency": currency}},
    }
    if stage == "award":
        supplier = {"id": f"SUP-{code}", "name": f"Proveedor {code}"}
        value = {"amount": 118000.0, "currency": currency}
        body["awards"] = [{"id": f"{code}-1", "status": "active", "value": value, "suppliers": [supplier]}]
    return body


def package(uri: str, publisher: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": "2025-09-01T03:00:00Z",
        "publisher": {"name": publisher},
        "releases": releases,
    }


def json_body(value: Any) -> Callable[[Request], Reply]:
    body = orjson.dumps(value)
    return lambda request: Reply(200, {"Content-Type": "application/json"}, body)


def browser_only(handler: Callable[[Request], Reply], refusal: int) -> Callable[[Request], Reply]:
    """A publisher that answers ``refusal`` (an HTML page) to a client without a browser's User-Agent."""

    def guarded(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply(refusal, {"Content-Type": "text/html"}, b"<html><body>Error</body></html>")
        return handler(request)

    return guarded


# Dominican Republic: DGCP's open data API (since 2025-08)


DR_API = "https://datosabiertos.dgcp.gob.do/api-dgcp/v1/ocds/releases"
DR_OCIDS = [f"ocds-6550wx-DGCP-CCC-CP-2021-000{n}" for n in (1, 2, 3)]


def dominican_republic_dgcp_api(server: LocalServer) -> Expected:
    # The search from 2021-03-01 to 2021-04-30 has two pages (page 1 without `page`, then page=2); a page past
    # the end has content null. Each OCID's releases are a release package at releases?ocid=.
    pages = {1: DR_OCIDS[:2], 2: DR_OCIDS[2:]}

    def search(request: Request) -> Reply:
        assert request.query["limit"] == ["1000"], request.query
        page = int(request.query.get("page", ["1"])[0])
        content = [{"ocid": ocid} for ocid in pages[page]] if page in pages else None
        return Reply.json({"pages": len(pages), "payload": {"content": content}})

    packages = {
        DR_OCIDS[0]: [
            release(DR_OCIDS[0], "tender", "2021-03-02T09:00:00-04:00", "DOP"),
            release(DR_OCIDS[0], "award", "2021-03-25T09:00:00-04:00", "DOP"),
        ],
        DR_OCIDS[1]: [release(DR_OCIDS[1], "tender", "2021-03-10T09:00:00-04:00", "DOP")],
        DR_OCIDS[2]: [release(DR_OCIDS[2], "tender", "2021-04-20T09:00:00-04:00", "DOP")],
    }

    def by_ocid(request: Request) -> Reply:
        ocid = request.query.get("ocid", [""])[0]
        if ocid not in packages:
            return Reply.json({"message": "not found"}, 404)
        return Reply.json(package(f"{DR_API}?ocid={ocid}", "DGCP", packages[ocid]))

    route(server, f"{DR_API}/all", search)
    route(server, DR_API, by_ocid)
    return Expected(4, 0, 3)


# Chile: ChileCompra's API, one request per process


CHILE_API = "https://api.mercadopublico.cl/APISOCDS"
CHILE_STAGES = "apis.mercadopublico.cl/OCDS/data"
CHILE_PROCESSES = {
    # code: (purchasing system's list, offset of its page, the stages' dates)
    "2359-2-LE24": ("listaOCDSAgnoMes", 0, ("2024-01-03T14:56:43Z", "2024-01-29T10:00:00Z")),
    "1211839-44-LE24": ("listaOCDSAgnoMes", 0, ("2024-01-08T09:00:00Z", "2024-01-30T12:00:00Z")),
    "5839-3-LP24": ("listaOCDSAgnoMes", 1000, ("2024-01-15T16:00:00Z",)),
    "4170-52-SE24": ("listaOCDSAgnoMesTratoDirecto", 0, ("2024-01-10T11:00:00Z", "2024-01-11T11:00:00Z")),
}
CHILE_FAILED = "1211839-44-LE24"  # its OCDS answers the API's failure envelope
CHILE_NUL = "5839-3-LP24"  # its OCDS holds a NUL character


def chile_releases(code: str) -> list[dict[str, Any]]:
    stages = dict(zip(("tender", "award"), CHILE_PROCESSES[code][2], strict=False))
    return [release(f"ocds-70d2nz-{code}", stage, when, "CLP") for stage, when in stages.items()]


def chile_lists(server: LocalServer) -> None:
    """January 2024's lists: the tenders' in two pages (pagination.total 1500: offsets 0 and 1000, cut to a few
    processes), the direct purchases' in one, the framework agreements' month empty (the API's 200 with status
    404). Entries name each stage's URL with http://, as the API lists them; those URLs answer an empty package."""

    def listing(request: Request) -> Reply:
        system, offset = request.path.split("/")[-5], int(request.path.split("/")[-2])
        if system == "listaOCDSAgnoMesConvenio":
            return Reply.json({"status": 404, "detail": "No se encontraron datos para los parámetros"})
        entries = []
        for code, (listed_in, page, dates) in CHILE_PROCESSES.items():
            if (listed_in, page) == (system, offset):
                stages = ("tender", "award")[: len(dates)]
                links = {f"url{s.title()}": f"http://{CHILE_STAGES}/{s}/{code}" for s in stages}
                entries.append({"ocid": f"ocds-70d2nz-{code}", **links})
        total = 1500 if system == "listaOCDSAgnoMes" else len(entries)
        return Reply.json({"pagination": {"total": total}, "data": entries})

    for system in ("listaOCDSAgnoMes", "listaOCDSAgnoMesTratoDirecto", "listaOCDSAgnoMesConvenio"):
        for offset in (0, 1000):
            route(server, f"{CHILE_API}/OCDS/{system}/2024/01/{offset}/1000", listing)
    for code in CHILE_PROCESSES:
        for stage in ("tender", "award"):
            link = f"https://{CHILE_STAGES}/{stage}/{code}"
            route(server, link, json_body(package(link, "ChileCompra", [])))


def chile_reply(code: str, body: dict[str, Any]) -> Callable[[Request], Reply]:
    if code == CHILE_FAILED:
        return json_body({"detail": "Error en la generación. ", "status": 500})
    raw = orjson.dumps(body)
    if code == CHILE_NUL:
        raw = raw.replace(b"Adquisici", b"Adquisici\x00")
    return lambda request: Reply(200, {"Content-Type": "application/json"}, raw)


def chile_compra_releases(server: LocalServer) -> Expected:
    chile_lists(server)
    for code in CHILE_PROCESSES:
        uri = f"{CHILE_API}/OCDS/allrelease/{code}"
        route(server, uri, chile_reply(code, package(uri, "Dirección ChileCompra", chile_releases(code))))
    releases = sum(len(chile_releases(code)) for code in CHILE_PROCESSES if code != CHILE_FAILED)
    return Expected(releases, 0, 3, notes={"month_empty", "not_ocds", "nul_removed"})


def chile_compra_records(server: LocalServer) -> Expected:
    # Each process's record package embeds its releases and the publisher's compiledRelease.
    chile_lists(server)
    for code in CHILE_PROCESSES:
        uri = f"{CHILE_API}/ocds/record/{code}"
        releases = chile_releases(code)
        record = {"ocid": f"ocds-70d2nz-{code}", "releases": releases, "compiledRelease": releases[-1]}
        body = {**package(uri, "Dirección ChileCompra", []), "records": [record]}
        del body["releases"]
        route(server, uri, chile_reply(code, body))
    releases = sum(len(chile_releases(code)) for code in CHILE_PROCESSES if code != CHILE_FAILED)
    return Expected(releases, 3, 3, notes={"month_empty", "not_ocds", "nul_removed"})


def chile_hits(kind: str) -> dict[str, int]:
    """Each process's OCDS fetched once, no stage URL, and each list page once."""
    hits = {f"/api.mercadopublico.cl/APISOCDS/{kind}/{code}": 1 for code in CHILE_PROCESSES}
    hits |= {f"/{CHILE_STAGES}/{s}/{code}": 0 for code in CHILE_PROCESSES for s in ("tender", "award")}
    lists = "/api.mercadopublico.cl/APISOCDS/OCDS/{}/2024/01/{}/1000"
    hits |= {lists.format("listaOCDSAgnoMes", offset): 1 for offset in (0, 1000)}
    others = ("listaOCDSAgnoMesTratoDirecto", "listaOCDSAgnoMesConvenio")
    return hits | {lists.format(system, 0): 1 for system in others}


# Paraguay: DNCP, two searches a window and every page of each


def paraguay_search(server: LocalServer, processes: dict[str, Any], authorized: Callable[[Request], bool]) -> None:
    """DNCP's search, as it answers a window: the processes by call date (``tipo_fecha=publicacion_llamado``) in
    two pages (``page``, from 1; ``pagination.total_pages``), and the processes still at planning
    (``tipo_fecha=fecha_release&tender.id=planned``), here the last two, in one page."""
    ocids = list(processes)
    called, planned = ocids[:-2], ocids[-2:]
    pages = {1: called[: len(called) // 2], 2: called[len(called) // 2 :]}

    def search(request: Request) -> Reply:
        if not authorized(request):
            return Reply.json({"error": "unauthorized"}, 401)
        assert request.query["items_per_page"] == ["10000"], request.query
        page = int(request.query.get("page", ["1"])[0])
        if request.query["tipo_fecha"] == ["fecha_release"] and request.query.get("tender.id") == ["planned"]:
            listed, total = planned if page == 1 else [], 1
        else:
            assert request.query["tipo_fecha"] == ["publicacion_llamado"], request.query
            listed, total = pages.get(page, []), len(pages)
        records = [{"ocid": ocid, "releases": processes[ocid]} for ocid in listed]
        return Reply.json({"records": records, "pagination": {"current_page": page, "total_pages": total}})

    route(server, f"{PARAGUAY_API}/search/processes", search)


PARAGUAY_API = "https://www.contrataciones.gov.py/datos/api/v3/doc"
#: The searches of the window 2017-06-01 to 2017-06-20: by call date (its second page too), and the planned processes.
PARAGUAY_SEARCHES = tuple(
    (
        "/www.contrataciones.gov.py/datos/api/v3/doc/search/processes",
        {**query, "fecha_desde": "2017-06-01T00:00:00-04:00"},
    )
    for query in (
        {"tipo_fecha": "publicacion_llamado", "page": "2"},
        {"tipo_fecha": "fecha_release", "tender.id": "planned"},
    )
)


def paraguay_dncp_records(server: LocalServer) -> Expected:
    # The 2017-06 record packages (linked releases, the publisher's compiledRelease), behind the token API. The
    # first access token expires once the first search page has been answered: the next request gets 401.
    packages = {
        read(path)["records"][0]["ocid"]: read(path) for path in files("paraguay_dncp/api-v2-2017-06/record-package")
    }
    tokens = {"issued": 0, "valid": ""}

    def token(request: Request) -> Reply:
        assert orjson.loads(request.body) == {"request_token": "secret-request-token"}
        tokens["issued"] += 1
        tokens["valid"] = f"access-{tokens['issued']}"
        return Reply.json({"access_token": tokens["valid"]})

    def authorized(request: Request) -> bool:
        valid = request.headers.get("Authorization") == tokens["valid"]
        if valid and tokens["issued"] == 1 and "search/processes" in request.path:
            tokens["valid"] = "expired"  # the next request needs a new token
        return valid

    def record(ocid: str) -> Callable[[Request], Reply]:
        return lambda request: Reply.json(packages[ocid]) if authorized(request) else Reply.json({}, 401)

    route(server, f"{PARAGUAY_API}/oauth/token", token)
    paraguay_search(server, {ocid: [] for ocid in packages}, authorized)
    for ocid in packages:
        route(server, f"{PARAGUAY_API}/ocds/record/{ocid}", record(ocid))
    return Expected(
        0,
        len(packages),
        len(packages),
        # linked releases only: no release is stored from a record, and two records have no compiledRelease
        notes={"nothing_to_compile"},
        checks=(
            "SELECT count(*) = 0 FROM release",
            "SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%/oauth/token'",
        ),
    )


def paraguay_dncp_releases(server: LocalServer) -> Expected:
    # The 2017-06 release packages (57 releases of 15 OCIDs), listed by the searches at their own uri (on
    # contrataciones.gov.py, without www), behind the token API.
    packages = [read(path) for path in files("paraguay_dncp/api-v2-2017-06/release-package")]
    processes: dict[str, list[dict[str, str]]] = {}
    for package in packages:
        processes.setdefault(package["releases"][0]["ocid"], []).append({"url": package["uri"]})
        route(server, package["uri"], lambda request, package=package: Reply.json(package))
    route(server, f"{PARAGUAY_API}/oauth/token", lambda request: Reply.json({"access_token": "access-1"}))
    paraguay_search(server, processes, lambda request: request.headers.get("Authorization") == "access-1")
    return Expected(
        57,
        0,
        15,
        # release dates are the export's time (2017-06-20), not the events' (2014 to 2016)
        checks=("SELECT bool_and(date_text LIKE '2017-06-20T%') FROM release",),
    )


# Spain: Zaragoza


ZARAGOZA = "https://www.zaragoza.es/sede/servicio/contratacion-publica/ocds/contracting-process/"


def spain_zaragoza(server: LocalServer) -> Expected:
    # The list (every process in one page of rows=100000) names three processes; each is a release package of one
    # or two releases. The site answers 500 to a client without a browser's User-Agent.
    numbers = (6621, 8136, 8140)
    ocids = [f"ocds-1xraxc-{n}-ContractingProcess" for n in numbers]
    listed = [{"ocid": ocid, "id": f"{n}-ContractingProcess"} for ocid, n in zip(ocids, numbers, strict=True)]
    route(server, ZARAGOZA, browser_only(json_body(listed), 500))
    for index, ocid in enumerate(ocids):
        releases = [release(ocid, "tender", "2024-03-05T10:00:00Z", "EUR")]
        if index:
            releases.append(release(ocid, "award", "2024-04-10T10:00:00Z", "EUR"))
        body = package(f"{ZARAGOZA}{ocid}", "Ayuntamiento de Zaragoza", releases)
        route(server, f"{ZARAGOZA}{ocid}", browser_only(json_body(body), 500))
    return Expected(5, 0, 3)


# Mexico: Nuevo León, Dirección General de Adquisiciones y Servicios (CKAN)


NL_CKAN = "https://catalogodatos.nl.gob.mx/api/3/action/package_show"
NL_PACKAGES = "https://api-ocds.nl.gob.mx/api/releases/"


def mexico_nuevo_leon(server: LocalServer) -> Expected:
    # The dataset lists three resources, two of format JSON and one of format URL, each a release package on
    # api-ocds.nl.gob.mx. Both hosts answer 403 to a client without a browser's User-Agent. (The fixture's OCIDs
    # are illustrative.)
    ids = ("673d316c7e60f2c8230bcf15", "673d316c7e60f2c8230bcf16", "6761a0f27e60f2c8230bd0a2")
    resources = [
        {"id": f"r{n}", "format": fmt, "url": f"{NL_PACKAGES}{id_}", "created": "2024-11-20T10:00:00.000000"}
        for n, (fmt, id_) in enumerate(zip(("JSON", "JSON", "URL"), ids, strict=True))
    ]
    show = {"success": True, "result": {"name": "contrataciones-abiertas-dgays", "resources": resources}}
    route(server, NL_CKAN, browser_only(json_body(show), 403))
    for n, id_ in enumerate(ids):
        ocid = f"ocds-nl0dga-DGAS-{2024 + n // 2}-{n:03d}"
        releases = [release(ocid, "tender", f"202{4 + n // 2}-0{n + 1}-10T10:00:00-06:00", "MXN")]
        if n != 1:
            releases.append(release(ocid, "award", f"202{4 + n // 2}-0{n + 2}-10T10:00:00-06:00", "MXN"))
        body = package(f"{NL_PACKAGES}{id_}", "Dirección General de Adquisiciones y Servicios", releases)
        route(server, f"{NL_PACKAGES}{id_}", browser_only(json_body(body), 403))
    return Expected(5, 0, 3, checks=("SELECT count(*) = 3 FROM crawl_file",))


PARAGUAY_WINDOW = {"from_date": "2017-06-01", "until_date": "2017-06-20"}
PARAGUAY_TOKEN = {"PARAGUAY_DNCP_REQUEST_TOKEN": "secret-request-token"}
CHILE_MONTH = {"from_date": "2024-01-01", "until_date": "2024-01-31"}
REPLAYS: dict[str, Replay] = {
    "dominican_republic_dgcp_api": Replay(
        dominican_republic_dgcp_api,
        {"from_date": "2021-03-01", "until_date": "2021-04-30"},
        requested=(
            (local_path(f"{DR_API}/all"), {"start_date": "2021-03-01", "end_date": "2021-04-30", "limit": "1000"}),
            (local_path(f"{DR_API}/all"), {"page": "2"}),
        ),
        hits={local_path(f"{DR_API}/all"): 2, local_path(DR_API): 3},
    ),
    "chile_compra_releases": Replay(chile_compra_releases, CHILE_MONTH, hits=chile_hits("OCDS/allrelease")),
    "chile_compra_records": Replay(chile_compra_records, CHILE_MONTH, hits=chile_hits("ocds/record")),
    "paraguay_dncp_records": Replay(
        paraguay_dncp_records,
        PARAGUAY_WINDOW,
        env=PARAGUAY_TOKEN,
        requested=PARAGUAY_SEARCHES,
        hits={"/www.contrataciones.gov.py/datos/api/v3/doc/oauth/token": 2},
    ),
    "paraguay_dncp_releases": Replay(
        paraguay_dncp_releases,
        PARAGUAY_WINDOW,
        env=PARAGUAY_TOKEN,
        requested=PARAGUAY_SEARCHES,
    ),
    "spain_zaragoza": Replay(
        spain_zaragoza,
        {"until_date": "2024-12-31"},
        requested=((local_path(ZARAGOZA), {"rf": "html", "rows": "100000"}),),
        hits={local_path(ZARAGOZA): 1},
    ),
    "mexico_nuevo_leon": Replay(mexico_nuevo_leon, hits={local_path(NL_CKAN): 1}),
}
