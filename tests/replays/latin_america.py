"""Replays of Latin American publishers without data in ``../shared/data/publishers``, each from a small fixture
built here in the shape the publisher documents (or kingfisher-collect's spider for it reads): Chile, the Dominican
Republic, Uruguay, Buenos Aires and Costa Rica's judiciary (Peru's and Guatemala's bulk files are in ``mended_c``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replay import local_path
from tests.replaying import Expected, Replay, route, zip_reply

ALL_HTTPS = "SELECT bool_and(url LIKE 'https://%') FROM crawl_file"

# Fixture builders


def release(ocid: str, stage: str, when: str, currency: str, **sections: Any) -> dict[str, Any]:
    """One stage's release of a process: ``tender`` (a buyer and a call for bids) or ``award`` (and a supplier)."""
    code = ocid.split("-", 2)[2]
    body: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{stage}-{code}",
        "date": when,
        "tag": [stage],
        "initiationType": "tender",
        "language": "es",
        "buyer": {"id": f"BUYER-{len(code) % 3}", "name": f"Entidad compradora {len(code) % 3}"},
        "tender": {
            "id": code,
            "title": f"Adquisición {code}",
            "status": "complete" if stage == "award" else "active",
            "procurementMethod": "open",
            "value": {"amount": 125000.0, "currency": currency},
        },
    }
    if stage == "award":
        body["awards"] = [
            {
                "id": f"{code}-1",
                "status": "active",
                "date": when,
                "value": {"amount": 118000.0, "currency": currency},
                "suppliers": [{"id": f"SUP-{code}", "name": f"Proveedor {code}"}],
            }
        ]
    return {**body, **sections}


def package(publisher: str, uri: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": "2024-02-01T03:00:00Z",
        "publisher": {"name": publisher},
        "releases": releases,
    }


def ckan(name: str, resources: list[tuple[str, str]]) -> dict[str, Any]:
    """A CKAN ``package_show`` answer listing ``(format, url)`` resources."""
    listed = [{"id": f"r{i}", "format": fmt, "url": url} for i, (fmt, url) in enumerate(resources)]
    return {"help": "package_show", "success": True, "result": {"name": name, "resources": listed}}


def record_package(uri: str, publisher: str, records: list[dict[str, Any]]) -> bytes:
    body = {"uri": uri, "version": "1.1", "publishedDate": "2024-02-01T03:00:00Z", "publisher": {"name": publisher}}
    return orjson.dumps({**body, "records": records})


def monthly_zips(
    server: LocalServer, months: dict[str, dict[str, bytes] | None], missing: Reply, browser: bool = False
) -> None:
    """Route each month's URL to a zip of its members, or to ``missing`` (the publisher's 404) when None; only
    for a browser's User-Agent if ``browser``."""
    for url, members in months.items():
        handler = always(missing if members is None else zip_reply(zip_bytes(members)))
        route(server, url, browser_only(handler) if browser else handler)


def always(reply: Reply) -> Callable[[Request], Reply]:
    return lambda request: reply


def browser_only(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """A publisher that answers 403 to clients without a browser's User-Agent (and only those fail)."""

    def guarded(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply(403, {"Content-Type": "text/html"}, b"<html>Forbidden</html>")
        return handler(request)

    return guarded


# Chile: ChileCompra


CHILE_API = "https://api.mercadopublico.cl/APISOCDS/OCDS"


def linked_record(ocid: str, when: str, currency: str, releases_at: str) -> dict[str, Any]:
    """A record with its releases linked (``releases_at/{stage}``) and the publisher's compiledRelease."""
    compiled = release(ocid, "award", when, currency)
    linked = [{"url": f"{releases_at}/{stage}", "date": when, "tag": [stage]} for stage in ("tender", "award")]
    return {"ocid": ocid, "releases": linked, "compiledRelease": {**compiled, "id": f"{ocid}-compiled"}}


# Uruguay: ARCE


UY_SITE = "https://www.comprasestatales.gub.uy/ocds"


def rss(items: list[str]) -> bytes:
    entries = "".join(
        f"<item><title>id_compra:{guid.split('-')[-1]}</title><link>{UY_SITE}/release/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>Mon, 02 Jan 2023 10:00:00 -0300</pubDate></item>"
        for guid in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>ARCE - OCDS</title>'
        f"<link>{UY_SITE}</link>{entries}</channel></rss>"
    ).encode()


def uruguay_arce_releases(server: LocalServer) -> Expected:
    # January and February 2023's feeds; from_date is 2023-01-15, so the release of January 5th is fetched with
    # its month and left out as it is loaded. March answers an HTML maintenance page instead of its feed (noted).
    # Without a browser User-Agent the server answers 403.
    when = {
        "llamado-1001": "2023-01-05T10:00:00-03:00",
        "llamado-1002": "2023-01-20T10:00:00-03:00",
        "adjudicacion-1002": "2023-01-27T10:00:00-03:00",
        "llamado-1003": "2023-02-10T10:00:00-03:00",
        "adjudicacion-1003": "2023-02-21T10:00:00-03:00",
    }
    feeds = {"01": list(when)[:3], "02": list(when)[3:]}
    for month, items in feeds.items():
        feed = Reply(200, {"Content-Type": "application/rss+xml; charset=utf-8"}, rss(items))
        route(server, f"{UY_SITE}/rss/2023/{month}", browser_only(always(feed)))
    maintenance = Reply(200, {"Content-Type": "text/html"}, b"<html><body>Sitio en mantenimiento</body></html>")
    route(server, f"{UY_SITE}/rss/2023/03", browser_only(always(maintenance)))
    for guid, date in when.items():
        stage = "tender" if guid.startswith("llamado") else "award"
        uri = f"{UY_SITE}/release/{guid}"
        body = package(
            "Agencia Reguladora de Compras Estatales",
            uri,
            [release(f"ocds-yfs5dr-{guid.split('-')[1]}", stage, date, "UYU", id=guid)],
        )
        route(server, uri, browser_only(always(Reply.json(body))))
    return Expected(4, 0, 2, notes={"release_outside_date_range", "feed_unreadable"})


# Argentina: Buenos Aires Compras


BA_DATASET = "https://data.buenosaires.gob.ar/api/3/action/package_show"
BA_FILES = (
    "https://cdn.buenosaires.gob.ar/datosabiertos/datasets/ministerio-de-economia-y-finanzas/buenos-aires-compras"
)


def argentina_buenos_aires(server: LocalServer) -> Expected:
    # The dataset lists the JSON package and the CSV tables. The package is served cut short, as it has been
    # published at times, in the middle of its fifth release; read incrementally (a low stream threshold stands in
    # for its 300 MB), the four releases before the cut are kept, less the one from 2018 that from_date
    # (2019-01-01) leaves out as it is loaded.
    ocids = [f"ocds-bulbcf-{code}" for code in ("401-0012-LPU19", "623-0150-CME19", "10-0004-LPU18", "77-0001-CDI20")]
    releases = [
        release(ocids[0], "tender", "2019-03-01T12:00:00-03:00", "ARS"),
        release(ocids[0], "award", "2019-05-10T12:00:00-03:00", "ARS"),
        release(ocids[1], "tender", "2019-07-22T12:00:00-03:00", "ARS"),
        release(ocids[2], "tender", "2018-11-02T12:00:00-03:00", "ARS"),
        release(ocids[3], "tender", "2020-02-14T12:00:00-03:00", "ARS"),
    ]
    body = package(
        "Gobierno de la Ciudad de Buenos Aires", "http://data.buenosaires.gob.ar/dataset/buenos-aires-compras", releases
    )
    body["license"] = "https://creativecommons.org/licenses/by/2.5/ar/"
    resources = [
        ("JSON", f"{BA_FILES}/bac_anual.json"),
        ("CSV", f"{BA_FILES}/convocatorias.csv"),
        ("CSV", f"{BA_FILES}/adjudicaciones.csv"),
    ]
    route(server, BA_DATASET, lambda request: Reply.json(ckan("buenos-aires-compras", resources)))
    whole = orjson.dumps(body)
    cut = whole[: whole.index(ocids[3].encode()) + 10]
    route(server, f"{BA_FILES}/bac_anual.json", lambda request: Reply(200, {"Content-Type": "application/json"}, cut))
    return Expected(
        3,
        0,
        2,
        notes={"release_outside_date_range", "invalid_json"},
        checks=("SELECT count(*) = 1 FROM crawl_file",),
    )


# Costa Rica: Poder Judicial


CR_DATASET = "https://ckanpj.azurewebsites.net/api/3/action/package_show"
CR_ZIP = "https://pjcrdatosabiertos.blob.core.windows.net/datosabiertos/OpenContracting/ocds-fnha3a-FULL.zip"
CR_PDF = "https://pjcrdatosabiertos.blob.core.windows.net/datosabiertos/OpenContracting/manual.pdf"


def costa_rica_poder_judicial_releases(server: LocalServer) -> Expected:
    # The ZIP holds three release packages and one cut short (names with "-"), and the record package of the
    # same processes (no "-"), which member_pattern leaves out. A PDF resource is not followed.
    ocids = [f"ocds-fnha3a-2023LA-00001{n}-PROV" for n in (1, 2, 3)]
    publisher = "Poder Judicial de Costa Rica"
    members = {
        f"{ocids[0]}.json": [
            release(ocids[0], "tender", "2023-02-01T08:00:00-06:00", "CRC"),
            release(ocids[0], "award", "2023-04-12T08:00:00-06:00", "CRC"),
        ],
        f"{ocids[1]}.json": [release(ocids[1], "tender", "2023-03-01T08:00:00-06:00", "CRC")],
        f"{ocids[2]}.json": [release(ocids[2], "tender", "2023-05-01T08:00:00-06:00", "CRC")],
    }
    files = {name: orjson.dumps(package(publisher, CR_ZIP, releases)) for name, releases in members.items()}
    cut = orjson.dumps(
        package(
            publisher, CR_ZIP, [release("ocds-fnha3a-2023LA-000014-PROV", "tender", "2023-06-01T08:00:00-06:00", "CRC")]
        )
    )
    files["ocds-fnha3a-2023LA-000014-PROV.json"] = cut[: len(cut) // 2]
    every = [r for releases in members.values() for r in releases]
    records = [{"ocid": o, "releases": [r for r in every if r["ocid"] == o]} for o in ocids]
    files["registros.json"] = orjson.dumps(
        {"uri": CR_ZIP, "version": "1.1", "publisher": {"name": publisher}, "records": records}
    )
    archive = zip_bytes(files)
    resources = [("ZIP", CR_ZIP), ("PDF", CR_PDF)]
    route(
        server,
        CR_DATASET,
        lambda request: Reply.json(ckan("estandar-de-datos-de-contrataciones-abiertas-ocds", resources)),
    )
    route(server, CR_ZIP, lambda request: zip_reply(archive))
    return Expected(
        4, 0, 3, notes={"member_pattern_skipped", "invalid_json"}, checks=("SELECT count(*) = 0 FROM record",)
    )


# Chile: ChileCompra's monthly zips


CHILE_BULK = "https://ocds.blob.core.windows.net/ocds/{month}.zip"


def chile_record_package(code: str, stages: dict[str, str]) -> bytes:
    """One process's record package, its releases embedded, as the monthly zips hold them."""
    ocid = f"ocds-70d2nz-{code}"
    releases = [release(ocid, stage, when, "CLP") for stage, when in stages.items()]
    return record_package(f"{CHILE_API}/record/{code}", "Dirección ChileCompra", [{"ocid": ocid, "releases": releases}])


def chile_compra_bulk(server: LocalServer) -> Expected:
    # January 2021: two processes, one member holding the API's failure envelope and one empty member; February
    # has no zip (404); March: one process.
    january = {
        "2359-2-LE21.json": chile_record_package(
            "2359-2-LE21", {"tender": "2021-01-05T10:00:00Z", "award": "2021-01-28T10:00:00Z"}
        ),
        "4170-52-SE21.json": chile_record_package("4170-52-SE21", {"tender": "2021-01-12T10:00:00Z"}),
        "1211839-1-LE21.json": orjson.dumps({"status": 500, "detail": "error"}),
        "5839-3-LP21.json": b"",
    }
    march = {"1002-11-LP21.json": chile_record_package("1002-11-LP21", {"tender": "2021-03-02T10:00:00Z"})}
    months = {CHILE_BULK.format(month=m): z for m, z in (("202101", january), ("202102", None), ("202103", march))}
    blob_not_found = b'<?xml version="1.0"?><Error><Code>BlobNotFound</Code></Error>'
    monthly_zips(server, months, Reply(404, {"Content-Type": "application/xml"}, blob_not_found))
    # embedded releases: stored with their records
    return Expected(
        4,
        3,
        3,
        notes={"month_not_published", "not_ocds", "empty_file"},
        checks=("SELECT count(*) = 4 FROM release WHERE record_id IS NOT NULL",),
    )


REPLAYS: dict[str, Replay] = {
    "uruguay_arce_releases": Replay(
        uruguay_arce_releases,
        {"from_date": "2023-01-15", "until_date": "2023-03-31"},
        hits={f"/www.comprasestatales.gub.uy/ocds/rss/2023/{month}": 1 for month in ("01", "02", "03")},
    ),
    "argentina_buenos_aires": Replay(
        argentina_buenos_aires,
        {"from_date": "2019-01-01"},
        env={"OCDS_ATLAS_READ_STREAM_THRESHOLD": "1000"},
        hits={local_path(f"{BA_FILES}/convocatorias.csv"): 0, local_path(f"{BA_FILES}/bac_anual.json"): 1},
    ),
    "chile_compra_bulk": Replay(
        chile_compra_bulk,
        {"from_date": "2021-01-01", "until_date": "2021-03-31"},
        hits={f"/ocds.blob.core.windows.net/ocds/{month}.zip": 1 for month in ("202101", "202102", "202103")},
    ),
    "costa_rica_poder_judicial_releases": Replay(
        costa_rica_poder_judicial_releases, hits={local_path(CR_PDF): 0, local_path(CR_ZIP): 1}
    ),
}
