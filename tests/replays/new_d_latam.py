"""Replays of new Latin American publications (Mendoza, Honduras, Peru, Paraguay's Ministerio de Hacienda,
Colombia's ANI), each from a small fixture built here in the shape the publisher answers (as kingfisher-collect's
spider for it reads it)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route, zip_reply
from tests.replays.latin_america import always, package, record_package, release

NOT_FOUND = Reply(404, {"Content-Type": "text/html"}, b"<html><body>Not Found</body></html>")


def releases_of(prefix: str, count: int, when: str, currency: str) -> list[dict[str, Any]]:
    return [release(f"{prefix}-{n}", "tender", when, currency) for n in range(1, count + 1)]


def json_body(value: Any) -> Reply:
    return Reply.json(value)


# Argentina: Mendoza


def argentina_mendoza_bulk(server: LocalServer) -> Expected:
    # The datasets' page links two JSON files, a CSV and another page; only the JSON files are fetched.
    site = "https://datosabiertos-compras.mendoza.gov.ar"
    page = (
        b'<html><body><div class="datasets"><div><a href="/datasets/2023.json">2023 (JSON)</a></div>'
        b'<div><a href="/datasets/2023.csv">2023 (CSV)</a></div><div><a href="2024.json">2024</a></div>'
        b'<div><a href="/acerca/">Acerca</a></div></div></body></html>'
    )
    route(server, f"{site}/datasets/", always(Reply(200, {"Content-Type": "text/html; charset=utf-8"}, page)))
    files = {
        "2023": releases_of("ocds-mza-2023", 2, "2023-05-02T10:00:00-03:00", "ARS"),
        "2024": releases_of("ocds-mza-2024", 1, "2024-03-01T10:00:00-03:00", "ARS"),
    }
    for year, releases in files.items():
        url = f"{site}/datasets/{year}.json"
        route(server, url, always(Reply.json(package("Gobierno de Mendoza", url, releases))))
    return Expected(3, 0, 3, checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%.csv'",))


# Honduras


def honduras_oncae_bulk(server: LocalServer) -> Expected:
    # 2015: HonduCompras 1.0's release package, the Catálogo Electrónico's zip; the DDC's zip answers 404 (noted).
    base = "https://datosabiertos.oncae.gob.hn/datosabiertos"
    hc1 = package("ONCAE", f"{base}/HC1/HC1_datos_2015.json", releases_of("ocds-lcuori-hc1", 2, "2015-04-01", "HNL"))
    ce = package("ONCAE", f"{base}/CE/CE_datos_2015.json", releases_of("ocds-lcuori-ce", 1, "2015-06-01", "HNL"))
    route(server, f"{base}/HC1/HC1_datos_2015.json", always(Reply.json(hc1)))
    route(
        server,
        f"{base}/CE/CE_datos_2015_json.zip",
        always(zip_reply(zip_bytes({"CE_datos_2015.json": orjson.dumps(ce)}))),
    )
    route(server, f"{base}/DDC/DDC_datos_2015_json.zip", always(NOT_FOUND))
    return Expected(3, 0, 3, notes={"year_not_published"})


def honduras_sefin_api(server: LocalServer) -> Expected:
    # 2019's list names two processes' release packages.
    api = "https://guancasco.sefin.gob.hn/EDCA_WEBAPI/api"
    ids = ["P2019-3-1-197", "P2019-3-1-602"]
    route(server, f"{api}/listaOcids/2019", always(Reply.json([f"{api}/releasePackage/{i}" for i in ids])))
    for identifier in ids:
        url = f"{api}/releasePackage/{identifier}"
        body = package(
            "SEFIN", url, [release(f"ocds-lcuori-{identifier}", "award", "2019-05-02T08:00:00-06:00", "HNL")]
        )
        route(server, url, always(Reply.json(body)))
    return Expected(2, 0, 2)


def honduras_sefin_bulk(server: LocalServer) -> Expected:
    # 2013's zip holds JSON lines, a release package a line; 2014 has no file (404).
    url = "https://piep.sefin.gob.hn/edca/ocid_sefin_2013.zip"
    lines = [
        orjson.dumps(package("SEFIN", url, [release(f"ocds-lcuori-S2013-{n}", "tender", "2013-03-04", "HNL")]))
        for n in (1, 2, 3)
    ]
    route(server, url, always(zip_reply(zip_bytes({"ocid_sefin_2013.json": b"\n".join(lines) + b"\n"}))))
    route(server, "https://piep.sefin.gob.hn/edca/ocid_sefin_2014.zip", always(NOT_FOUND))
    return Expected(3, 0, 3, notes={"year_not_published"})


def honduras_iaip(server: LocalServer) -> Expected:
    # The index: covid19 lists a package of releases and one of compiled releases (left out); huracanes one
    # package; oficio nothing.
    site = "https://www.contratacionesabiertas.gob.hn"

    def item(name: str) -> dict[str, str]:
        return {
            "nombreArchivo": name,
            "excel": f"{site}/media/iaip/{name}.xlsx",
            "csv": f"{site}/media/iaip/{name}.csv",
            "json": f"{site}/media/iaip/{name}.json",
        }

    index = {
        "covid19": [item("covid19_releases"), item("covid19_compiledReleases")],
        "huracanes": [item("huracanes_releases")],
        "oficio": [],
    }
    route(server, f"{site}/api/v1/iaip_datosabiertos/", always(Reply.json(index)))
    for name, count in (("covid19_releases", 2), ("huracanes_releases", 1)):
        url = f"{site}/media/iaip/{name}.json"
        body = package("IAIP", url, releases_of(f"ocds-iaip-{name}", count, "2020-11-10T00:00:00-06:00", "HNL"))
        route(server, url, always(Reply.json(body)))
    return Expected(3, 0, 3, checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%compiled%'",))


def honduras_portal_bulk(server: LocalServer) -> Expected:
    # The index lists ONCAE's and SEFIN's January 2020 and ONCAE's December 2019; publisher=oncae and January only.
    site = "http://www.contratacionesabiertas.gob.hn"
    oncae = "Oficina Normativa de Contratación y Adquisiciones del Estado (ONCAE) / Honduras"

    def item(publisher: str, system: str, year: int, month: int, name: str) -> dict[str, Any]:
        urls = {fmt: f"{site}/media/descargas/{name}.{fmt}" for fmt in ("json", "csv", "xlsx", "md5")}
        return {"urls": urls, "year": str(year), "month": str(month), "sistema": system, "publicador": publisher}

    index = [
        item(oncae, "Catálogo Electrónico", 2020, 1, "oncae_ce_2020_01"),
        item("Secretaria de Finanzas de Honduras", "", 2020, 1, "sefin_2020_01"),
        item(oncae, "Catálogo Electrónico", 2019, 12, "oncae_ce_2019_12"),
    ]
    route(server, f"{site}/api/v1/descargas/", always(Reply.json(index)))
    url = f"{site}/media/descargas/oncae_ce_2020_01.json"
    body = package("ONCAE", url, releases_of("ocds-lcuori-ce2020", 2, "2020-01-15T00:00:00-06:00", "HNL"))
    route(server, url, always(Reply.json(body)))
    return Expected(2, 0, 2, checks=("SELECT count(*) = 1 FROM crawl_file WHERE url LIKE '%/media/descargas/%'",))


# Peru: Perú Compras, OECE


COMPRAS = "https://www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub"


def with_raw_newline(value: dict[str, Any]) -> bytes:
    """A package whose first tender title holds a raw newline, as Perú Compras publishes some."""
    return orjson.dumps(value).replace(b"Adquisici", b"Adquisici\n", 1)


def peru_compras_api(server: LocalServer) -> Expected:
    # Two framework agreements in the filters' first list (the others are not agreements); the first's orders hold
    # a raw newline inside a string.
    filters = "130-BIENES^IM-CE-2020-9 MATERIAL MÉDICO ¬128-BIENES^IM-CE-2020-8 DISPOSITIVOS ¬¯1^LIMA¬2^CUSCO¯X"
    route(
        server,
        f"{COMPRAS}/obtenerFiltros",
        always(Reply(200, {"Content-Type": "text/plain; charset=utf-8"}, filters.encode())),
    )
    orders = {
        "130": package("Perú Compras", "", releases_of("ocds-pc-130", 2, "2023-02-01T00:00:00-05:00", "PEN")),
        "128": package("Perú Compras", "", releases_of("ocds-pc-128", 1, "2023-02-03T00:00:00-05:00", "PEN")),
    }

    def download(request: Request) -> Reply:
        body = orders[request.query["pAcuerdo"][0]]
        raw = with_raw_newline(body) if request.query["pAcuerdo"] == ["130"] else orjson.dumps(body)
        return Reply(200, {"Content-Type": "application/json"}, raw)

    route(server, f"{COMPRAS}/DescargaJsonOCDS", download)
    # the title keeps its newline, escaped
    check = (
        "SELECT count(*) = 1 FROM release JOIN raw_json b ON b.id = data_id"
        " WHERE body->'tender'->>'title' LIKE E'%\\n%'"
    )
    return Expected(3, 0, 3, notes={"raw_newlines_repaired"}, checks=(check,))


def peru_compras_bulk(server: LocalServer) -> Expected:
    # The list (POST only) names August and September 2021; from_date is in September.
    files = "https://saeusceprod01.blob.core.windows.net/contproveedor/DescargaMasiva"
    listing = [
        {"C_Anio": 2021, "CodMes": "08", "C_FileJson": "OCDS_2021_08.json"},
        {"C_Anio": 2021, "CodMes": "09", "C_FileJson": "OCDS_2021_09.json"},
    ]

    def listed(request: Request) -> Reply:
        return Reply.json(listing) if request.method == "POST" else Reply(405, {}, b"")

    route(server, f"{COMPRAS}/getListaDescargaMasiva", listed)
    body = package("Perú Compras", "", releases_of("ocds-pc-2021-09", 2, "2021-09-10T00:00:00-05:00", "PEN"))
    route(
        server,
        f"{files}/OCDS_2021_09.json",
        always(Reply(200, {"Content-Type": "application/octet-stream"}, with_raw_newline(body))),
    )
    return Expected(2, 0, 2, notes={"raw_newlines_repaired"})


OECE_API = "https://contratacionesabiertas.oece.gob.pe/api/v1"


def oece_pages(server: LocalServer, endpoint: str, pages: list[dict[str, Any]]) -> None:
    """Pages served by ``searchAfter``: each links the next with the last item's sort key; the last page none."""

    def handler(request: Request) -> Reply:
        after = request.query.get("searchAfter", [None])[0]
        index = 0 if after is None else int(after)
        body = dict(pages[index])
        if index + 1 < len(pages):
            body["links"] = {"next": f"{OECE_API}/{endpoint}?format=json&order=desc&searchAfter={index + 1}"}
        return Reply.json(body)

    route(server, f"{OECE_API}/{endpoint}", handler)


def peru_oece_api_releases(server: LocalServer) -> Expected:
    uri = f"{OECE_API}/releasesAfter"
    pages = [
        package("OECE", uri, releases_of("ocds-dgv273-seacev3-1", 2, "2025-01-02T10:00:00-05:00", "PEN")),
        package("OECE", uri, releases_of("ocds-dgv273-seacev3-2", 1, "2024-12-30T10:00:00-05:00", "PEN")),
    ]
    oece_pages(server, "releasesAfter", pages)
    return Expected(3, 0, 3)


def peru_oece_api_records(server: LocalServer) -> Expected:
    def records(code: int) -> bytes:
        ocid = f"ocds-dgv273-seacev3-{code}"
        body = [{"ocid": ocid, "releases": [release(ocid, "tender", "2025-01-02T10:00:00-05:00", "PEN")]}]
        return record_package(f"{OECE_API}/recordsAfter", "OECE", body)

    oece_pages(server, "recordsAfter", [orjson.loads(records(1)), orjson.loads(records(2))])
    return Expected(2, 2, 2)


# Paraguay: Ministerio de Hacienda


HACIENDA = "https://datos.hacienda.gov.py/odmh-api-v1/rest/api/v1"
HACIENDA_ENV = {"PARAGUAY_HACIENDA_REQUEST_TOKEN": "request-token", "PARAGUAY_HACIENDA_CLIENT_SECRET": "client-secret"}


def paraguay_hacienda(server: LocalServer) -> Expected:
    # 2017's payments: two pages (meta.totalPages), naming three processes, one twice. The first token expires
    # before the last package is fetched: that request answers 401, and a second token is asked for.
    tokens = iter(["tok-1", "tok-2"])
    pages = {
        "1": [{"idLlamado": 301}, {"idLlamado": 302}],
        "2": [{"idLlamado": 302}, {"idLlamado": 303}, {"idLlamado": None}],
    }

    def token(request: Request) -> Reply:
        secret = orjson.loads(request.body).get("clientSecret")
        if request.headers.get("Authorization") != "request-token" or secret != "client-secret":
            return Reply.json({"error": "invalid credentials"}, 401)
        return Reply.json({"accessToken": next(tokens), "expiresIn": 900})

    def authorized(request: Request) -> bool:
        return request.headers.get("Authorization", "").startswith("Bearer tok-")

    def payments(request: Request) -> Reply:
        if not authorized(request):
            return Reply.json({"message": "Unauthorized"}, 401)
        page = request.query["page"][0]
        return Reply.json({"meta": {"totalPages": 2, "page": int(page)}, "results": pages[page]})

    def release_package(request: Request) -> Reply:
        identifier = request.path.rsplit("/", 1)[-1]
        if not authorized(request) or (identifier == "303" and request.headers["Authorization"] == "Bearer tok-1"):
            return Reply.json({"message": "Token expired"}, 401)
        ocid = f"ocds-03ad3f-{identifier}"
        return Reply.json(
            package(
                "Ministerio de Hacienda", request.path, [release(ocid, "award", "2017-05-02T00:00:00-04:00", "PYG")]
            )
        )

    route(server, f"{HACIENDA}/auth/token", token)
    route(server, f"{HACIENDA}/pagos/cdp", payments)
    for identifier in (301, 302, 303):
        route(server, f"{HACIENDA}/ocds/release-package/{identifier}", release_package)
    return Expected(3, 0, 3, checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%/auth/token'",))


# Colombia: ANI


def colombia_ani_records(server: LocalServer) -> Expected:
    url = "https://apicost.azurewebsites.net/cost/records"
    records = []
    for code in ("ANI-001-2019", "ANI-002-2020"):
        ocid = f"ocds-ani-{code}"
        records.append({"ocid": ocid, "releases": [release(ocid, "award", "2020-02-03T00:00:00-05:00", "COP")]})
    route(server, url, always(Reply(200, {"Content-Type": "application/json"}, record_package(url, "ANI", records))))
    return Expected(2, 2, 2)


REPLAYS: dict[str, Replay] = {
    "argentina_mendoza_bulk": Replay(argentina_mendoza_bulk),
    "honduras_oncae_bulk": Replay(honduras_oncae_bulk, {"from_date": "2015-01-01", "until_date": "2015-12-31"}),
    "honduras_sefin_api": Replay(honduras_sefin_api, {"from_date": "2019-01-01", "until_date": "2019-12-31"}),
    "honduras_sefin_bulk": Replay(honduras_sefin_bulk, {"from_date": "2013-01-01", "until_date": "2014-12-31"}),
    "honduras_iaip": Replay(honduras_iaip),
    "honduras_portal_bulk": Replay(
        honduras_portal_bulk, {"from_date": "2020-01-01", "until_date": "2020-01-31", "publisher": "oncae"}
    ),
    "peru_compras_api": Replay(
        peru_compras_api,
        {"from_date": "2023-02-01", "until_date": "2023-02-28"},
        requested=(
            (
                "/www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub/DescargaJsonOCDS",
                {"pAcuerdo": "130", "pFechaIni": "2023-02-01", "pFechaFin": "2023-02-28"},
            ),
        ),
    ),
    "peru_compras_bulk": Replay(peru_compras_bulk, {"from_date": "2021-09-01", "until_date": "2021-09-30"}),
    "peru_oece_api_releases": Replay(peru_oece_api_releases),
    "peru_oece_api_records": Replay(peru_oece_api_records),
    "paraguay_hacienda": Replay(
        paraguay_hacienda,
        {"from_date": "2017-01-01", "until_date": "2017-12-31"},
        env=HACIENDA_ENV,
        hits={
            "/datos.hacienda.gov.py/odmh-api-v1/rest/api/v1/auth/token": 2,
            "/datos.hacienda.gov.py/odmh-api-v1/rest/api/v1/ocds/release-package/302": 1,
            "/datos.hacienda.gov.py/odmh-api-v1/rest/api/v1/ocds/release-package/303": 2,
        },
    ),
    "colombia_ani_records": Replay(colombia_ani_records),
}
