"""Replays of new countries' publishers (issue 15), continued from ``new_a.py``: Brazil (Compras.gov.br and
Medicamentos Transparentes), Indonesia and Malawi; each shaped as kingfisher-collect's spider for it reads the
publisher (see each spider's ``facts_from``)."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route, zip_reply
from tests.replays.africa_asia import package_metadata, record_package, release, release_package

# Brazil: Compras.gov.br, buyers times 28-day windows, each window paged by links.next

COMPRAS = "https://dadosabertos.compras.gov.br"
BUYERS = ["00394460000141", "00489828000155", "03389126000198"]


def compras_releases(buyer: str, start: str) -> list[dict]:
    """A buyer's releases in the window that starts on ``start``: three for the first buyer in January (two pages),
    one for the second, none for the third."""
    count = {BUYERS[0]: 3 if start == "2024-01-01" else 0, BUYERS[1]: 1}.get(buyer, 0)
    return [
        release(f"ocds-87sd3t-{buyer}-{start}-{n}", n, f"{start}T10:00:00", "tender", "BRL")
        for n in range(1, count + 1)
    ]


def brazil_compras(server: LocalServer) -> Expected:
    # The buyers' list has two pages (two buyers, then one). January 2024 to 10 February: two windows
    # (1-28 January, 29 January-10 February). A window is at most 2 releases a page; the next page's link is
    # absolute; a window without releases is a package without "releases". A window over a month is refused.
    metadata = package_metadata("Ministério da Gestão e da Inovação em Serviços Públicos", f"{COMPRAS}/modulo-ocds")

    def buyers(request: Request) -> Reply:
        page = int(request.query.get("pagina", ["1"])[0])
        rows = BUYERS[(page - 1) * 2 : page * 2]
        return Reply.json(
            {
                "resultado": [
                    {"codigoOrgao": str(26000 + n), "cnpjCpfOrgao": b, "statusOrgao": True} for n, b in enumerate(rows)
                ],
                "totalRegistros": len(BUYERS),
                "totalPaginas": 2,
                "paginasRestantes": 2 - page,
            }
        )

    def releases(request: Request) -> Reply:
        query = {key: values[0] for key, values in request.query.items()}
        start, end = query["releaseStartDate"], query["releaseEndDate"]
        if (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7]) > 1:
            return Reply.json({"message": "Erro ao efetuar a consulta Período inicial e final maior que 1 mês."}, 400)
        found = compras_releases(query["buyerID"], start)
        page = int(query["page"])
        body = {**metadata}
        if found:
            body["releases"] = found[(page - 1) * 2 : page * 2]
        if len(found) > page * 2:
            body["links"] = {"next": f"{COMPRAS}/modulo-ocds/1_releases?{urlencode({**query, 'page': page + 1})}"}
        return Reply.json(body)

    route(server, f"{COMPRAS}/modulo-uasg/2_consultarOrgao", buyers)
    route(server, f"{COMPRAS}/modulo-ocds/1_releases", releases)
    count = sum(len(compras_releases(b, s)) for b in BUYERS for s in ("2024-01-01", "2024-01-29"))
    return Expected(count, 0, count)


# Brazil: Medicamentos Transparentes, an offset index of files

MEDICAMENTOS = "https://medicamentos-api.transparencia.org.br"


def brazil_medicamentos_transparentes(server: LocalServer) -> Expected:
    # Three records of files (one page of 100); each lists a CSV and a JSON zip, only the zips fetched.
    metadata = package_metadata("Transparência Brasil", f"{MEDICAMENTOS}/dados-abertos")
    names = ["compras-2022", "compras-2023", "compras-2024"]
    zips = {
        name: zip_bytes(
            {
                f"{name}.json": orjson.dumps(
                    release_package(
                        metadata,
                        [release(f"ocds-0s4k2v-{name}-{n}", n, f"{name[-4:]}-06-01", "award", "BRL") for n in (1, 2)],
                    )
                )
            }
        )
        for name in names
    }

    def index(request: Request) -> Reply:
        if request.query.get("skip") != ["0"] or request.query.get("take") != ["100"]:
            return Reply.json({"response": {"count": 3, "records": []}})
        records = [
            {
                "id": number + 1,
                "title": name,
                "files": [
                    {"type": "csv", "url": f"{MEDICAMENTOS}/dados-abertos/bulk/download/{name}.csv"},
                    {"type": "json", "url": f"{MEDICAMENTOS}/dados-abertos/bulk/download/{name}.zip"},
                ],
            }
            for number, name in enumerate(names)
        ]
        return Reply.json({"response": {"count": len(records), "records": records}})

    route(server, f"{MEDICAMENTOS}/dados-abertos", index)
    for name in names:
        route(
            server, f"{MEDICAMENTOS}/dados-abertos/bulk/download/{name}.zip", lambda request, b=zips[name]: zip_reply(b)
        )
    return Expected(6, 0, 6)


# Indonesia: opentender.net, the LPSE of a year, a zip per LPSE

OPENTENDER = "https://opentender.net/api"
LPSE = {"2020": ["kemenkeu", "jakarta", "kemenkeu", ""], "2021": ["jakarta"]}


def indonesia_opentender(server: LocalServer) -> Expected:
    # 2020 lists a code twice and an empty one; 2021 one code: three zips.
    metadata = package_metadata("Indonesia Corruption Watch", "https://opentender.net")

    def lpse(request: Request) -> Reply:
        codes = LPSE.get(request.query.get("year", [""])[0], [])
        results = [{"id": n, "code": code, "name": f"LPSE {code}"} for n, code in enumerate(codes)]
        return Reply.json({"count": len(results), "next": None, "previous": None, "results": results})

    def export(request: Request) -> Reply:
        year, code = request.query["year"][0], request.query["lpse"][0]
        releases = [
            release(f"ocds-rpgvs9-{code}-{year}-{n}", n, f"{year}-03-0{n}T00:00:00+07:00", "tender", "IDR")
            for n in (1, 2)
        ]
        return zip_reply(zip_bytes({f"{code}-{year}.json": orjson.dumps(release_package(metadata, releases))}))

    route(server, f"{OPENTENDER}/master/lpse/", lpse)
    route(server, f"{OPENTENDER}/tender/export-ocds-batch/", export)
    return Expected(6, 0, 6)


# Malawi: MANEPS, a POSTed offset index, a record package per OCID

MANEPS = "https://maneps.mw/rms/api/ocds"
MANEPS_OCIDS = ["ocds-h1x5tv-MW-001", "ocds-h1x5tv-MW-002", "ocds-h1x5tv-PPDA/2024/003"]


def malawi_maneps_records(server: LocalServer) -> Expected:
    # Three OCIDs, the last with slashes; the index is POSTed (JSON skip and take) and refuses a GET.
    metadata = package_metadata("PPDA", f"{MANEPS}/record-package")

    def index(request: Request) -> Reply:
        body = orjson.loads(request.body or b"{}") if request.method == "POST" else {}
        if body.get("skip") != 0 or body.get("take") != 1000:
            return Reply.json({"statusCode": 405, "message": "Method Not Allowed"}, 405)
        return Reply.json({"total": len(MANEPS_OCIDS), "items": [{"ocid": ocid} for ocid in MANEPS_OCIDS]})

    route(server, f"{MANEPS}/get-records", index)
    for number, ocid in enumerate(MANEPS_OCIDS, 1):
        releases = [release(ocid, number, "2024-04-02T09:00:00Z", tag, "MWK") for tag in ("tender", "award")]
        package = record_package(metadata, releases)
        route(server, f"{MANEPS}/record-package/{ocid}", lambda request, p=package: Reply.json(p))
    return Expected(6, 3, 3)


REPLAYS = {
    "brazil_compras": Replay(
        brazil_compras,
        {"from_date": "2024-01-01", "until_date": "2024-02-10"},
        requested=(
            ("/dadosabertos.compras.gov.br/modulo-uasg/2_consultarOrgao", {"statusOrgao": "true", "pagina": "2"}),
            (
                "/dadosabertos.compras.gov.br/modulo-ocds/1_releases",
                {"buyerID": BUYERS[0], "releaseStartDate": "2024-01-01", "releaseEndDate": "2024-01-28", "page": "2"},
            ),
        ),
        hits={
            "/dadosabertos.compras.gov.br/modulo-uasg/2_consultarOrgao": 2,
            "/dadosabertos.compras.gov.br/modulo-ocds/1_releases": 7,
        },
    ),
    "brazil_medicamentos_transparentes": Replay(
        brazil_medicamentos_transparentes, hits={"/medicamentos-api.transparencia.org.br/dados-abertos": 1}
    ),
    "indonesia_opentender": Replay(
        indonesia_opentender,
        {"from_date": "2020-01-01", "until_date": "2021-12-31"},
        requested=(("/opentender.net/api/tender/export-ocds-batch/", {"year": "2020", "lpse": "jakarta"}),),
        hits={"/opentender.net/api/master/lpse/": 2, "/opentender.net/api/tender/export-ocds-batch/": 3},
    ),
    "malawi_maneps_records": Replay(
        malawi_maneps_records,
        hits={
            "/maneps.mw/rms/api/ocds/get-records": 1,
            "/maneps.mw/rms/api/ocds/record-package/ocds-h1x5tv-PPDA/2024/003": 1,
        },
    ),
}
