"""Replays of routes we missed for publishers we already crawl (Tanzania, Rwanda, Uruguay, Georgia, Liberia, the
UK's Contracts Finder), each from a small fixture built here in the shape the publisher answers (as
kingfisher-collect's spider for it reads it)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, latin1_json, route, zip_reply
from tests.replays.latin_america import always, browser_only, ckan, package, record_package, release


def releases_of(prefix: str, count: int, when: str, currency: str) -> list[dict[str, Any]]:
    return [release(f"{prefix}-{n}", "tender", when, currency) for n in range(1, count + 1)]


def embedded_records(ocids: list[str], when: str, currency: str) -> list[dict[str, Any]]:
    return [{"ocid": ocid, "releases": [release(ocid, "tender", when, currency)]} for ocid in ocids]


# Tanzania: NeST

NEST = "https://nest.go.tz/gateway/nest-data-portal-api"


def tanzania_nest_records(server: LocalServer) -> Expected:
    # Two pages: the first's links.next carries cursor and since, the last page's links has no next.
    url = f"{NEST}/api/records"
    pages = [
        record_package(
            url, "PPRA", embedded_records(["ocds-mv5oob-1", "ocds-mv5oob-2"], "2024-03-01T00:00:00+03:00", "TZS")
        ),
        record_package(url, "PPRA", embedded_records(["ocds-mv5oob-3"], "2024-03-02T00:00:00+03:00", "TZS")),
    ]

    def handler(request: Request) -> Reply:
        first = "cursor" not in request.query
        body = orjson.loads(pages[0 if first else 1])
        body["links"] = {"next": f"{url}?cursor=abc&since=2024-03-01"} if first else {"prev": url}
        return Reply.json(body)

    route(server, url, handler)
    return Expected(3, 3, 3)


def tanzania_nest_bulk(server: LocalServer) -> Expected:
    # The search (POST) counts 201 packages: two pages of 200 (cut to two items, then one, to keep the fixture small).
    names = ["release-2024-03-01.json", "release-2024-03-02.json", "release-2024-03-03.json"]

    def search(request: Request) -> Reply:
        query = orjson.loads(request.body)
        filters = {f["fieldName"]: f for f in query["mustHaveFilters"]}
        assert filters["periodType"]["value1"] == "daily" and filters["dataType"]["value1"] == "release"
        assert filters["startDate"]["value1"] == "2024-03-01T00:00:00"
        assert query["pageSize"] == 200
        listed = names[:2] if query["page"] == 1 else names[2:]
        data = [{"fileName": name, "periodType": "daily"} for name in listed]
        return Reply.json({"data": data, "recordsFilteredCount": 201, "recordsTotal": 900})

    route(server, f"{NEST}/packages", search)
    for number, name in enumerate(names):
        url = f"{NEST}/api/packages/download/{name}"
        body = package(
            "PPRA", url, releases_of(f"ocds-mv5oob-b{number}", 1, f"2024-03-0{number + 1}T00:00:00+03:00", "TZS")
        )
        route(server, url, always(Reply.json(body)))
    return Expected(3, 0, 3)


# Rwanda: Umucyo


def rwanda_umucyo_bulk(server: LocalServer) -> Expected:
    # The list of 2025's files: January and February in three formats, and two folders; from_date is February.
    data_set = "https://ocds.umucyo.gov.rw/opendata/api/v1/ui/data_set"
    names = [f"{m}-{fmt}.zip" for m in ("01-January", "02-February") for fmt in ("csv", "json", "xlsx")]
    listing = {
        "status": 200,
        "returnCode": 7,
        "message": "Available datasets successfully retrieved",
        "datasets": {"2025": [*names, "flattened", "json"]},
    }
    route(server, f"{data_set}/available_datasets", always(Reply.json(listing)))
    body = package("RPPA", "", releases_of("ocds-ozzobm-2025-02", 2, "2025-02-10T00:00:00+02:00", "RWF"))

    def download(request: Request) -> Reply:
        assert request.query == {"year": ["2025"], "month_file": ["02-February-json.zip"]}
        return zip_reply(zip_bytes({"02-February.json": orjson.dumps(body)}))

    route(server, f"{data_set}/download", download)
    return Expected(2, 0, 2)


# Uruguay: ARCE

UY = "https://www.comprasestatales.gub.uy/ocds"


def uruguay_arce_records(server: LocalServer) -> Expected:
    # January 2023's feed: purchase 1211147's call and award, and purchase 1211150's call; the records of the two.
    titles = ["id_compra:1211147,release_id:llamado-1211147", "id_compra:1211147,release_id:adjudicacion-1211147"]
    titles.append("id_compra:1211150,release_id:llamado-1211150")
    items = "".join(f"<item><title>{t}</title><link>{UY}/release/{t.rpartition(':')[2]}</link></item>" for t in titles)
    feed = (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>ARCE</title>{items}</channel></rss>'
    )
    route(
        server,
        f"{UY}/rss/2023/01",
        browser_only(always(Reply(200, {"Content-Type": "application/rss+xml"}, feed.encode()))),
    )
    for identifier in ("1211147", "1211150"):
        ocid = f"ocds-yfs5dr-{identifier}"
        body = record_package(
            f"{UY}/record/{identifier}", "ARCE", embedded_records([ocid], "2023-01-05T10:00:00-03:00", "UYU")
        )
        route(
            server,
            f"{UY}/record/{identifier}",
            browser_only(always(Reply(200, {"Content-Type": "application/json"}, body))),
        )
    return Expected(2, 2, 2)


def uruguay_arce_historical(server: LocalServer) -> Expected:
    # The dataset's JSON resources are the zips of 2002 and 2003; from_date and until_date keep 2003.
    base = "https://catalogodatos.gub.uy/dataset/44d3-b09c/resource"
    resources = [
        ("JSON", f"{base}/1e39-453d/download/ocds-2002.zip"),
        ("JSON", f"{base}/2f40-564e/download/ocds-2003.zip"),
    ]
    route(server, "https://catalogodatos.gub.uy/api/3/action/package_show", always(Reply.json(ckan("arce", resources))))
    body = package("ARCE", "", releases_of("ocds-yfs5dr-h2003", 2, "2003-06-01T00:00:00-03:00", "UYU"))
    route(server, resources[1][1], always(zip_reply(zip_bytes({"ocds-2003.json": orjson.dumps(body)}))))
    return Expected(2, 0, 2, checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%2002%'",))


# Georgia: SPA


def georgia_spa_bulk(server: LocalServer) -> Expected:
    url = "http://opendata.spa.ge/json/allTenders.zip"
    members = {
        f"tenders/{n}.json": orjson.dumps(
            package("SPA", "", releases_of(f"ocds-3z43pn-{n}", 1, "2020-02-02T00:00:00+04:00", "GEL"))
        )
        for n in (1, 2, 3)
    }
    route(server, url, always(zip_reply(zip_bytes({**members, "readme.txt": b"not OCDS"}))))
    return Expected(3, 0, 3)


# Liberia: PPCC

LR = "https://eprocurement.ppcc.gov.lr/ocds/record"


def liberia_ppcc_releases(server: LocalServer) -> Expected:
    # The search counts 2 processes (one page of 1000); each compiled release is a release package.
    def search(request: Request) -> Reply:
        query = orjson.loads(request.body)
        assert query == {"sortField": "ocid", "sortDir": "asc", "page": 1, "pagesize": 1000}
        items = [{"id": 101, "ocid": "ocds-dwjm7l-101"}, {"id": 102, "ocid": "ocds-dwjm7l-102"}]
        return Reply.json({"total": 2, "items": items})

    route(server, f"{LR}/searchRecords.action", search)
    for identifier in (101, 102):
        url = f"{LR}/downloadRecord/{identifier}/COMPILED.action"
        compiled = release(f"ocds-dwjm7l-{identifier}", "award", "2025-01-10T00:00:00Z", "LRD")
        route(server, url, always(Reply.json(package("PPCC", url, [compiled]))))
    return Expected(2, 0, 2)


# United Kingdom: Contracts Finder

CF = "https://www.contractsfinder.service.gov.uk"


def uk_contracts_finder_records(server: LocalServer) -> Expected:
    # One window, two pages of the search (ISO-8859-1, a "£" in a title); three OCIDs, one on both pages.
    ocids = ["ocds-b5fd17-a1", "ocds-b5fd17-a2", "ocds-b5fd17-a3"]
    search = f"{CF}/Published/Notices/OCDS/Search"

    def page(request: Request) -> Reply:
        first = "cursor" not in request.query
        listed = ocids[:2] if first else ocids[1:]
        body: dict[str, Any] = {
            "releases": [release(o, "tender", "2017-01-03T00:00:00Z", "GBP", title="Fees £") for o in listed]
        }
        body["links"] = (
            {"next": f"{search}?limit=100&publishedFrom=2017-01-01&publishedTo=2017-01-15&cursor=x"} if first else {}
        )
        return Reply(200, {"Content-Type": "application/json"}, latin1_json(body))

    route(server, search, page)
    for ocid in ocids:
        records = embedded_records([ocid], "2017-01-03T00:00:00Z", "GBP")
        body = latin1_json({"uri": "", "publisher": {"name": "CCS"}, "records": records})
        route(
            server, f"{CF}/Published/OCDS/Record/{ocid}", always(Reply(200, {"Content-Type": "application/json"}, body))
        )
    return Expected(3, 3, 3)


REPLAYS: dict[str, Replay] = {
    "tanzania_nest_records": Replay(tanzania_nest_records),
    "tanzania_nest_bulk": Replay(
        tanzania_nest_bulk,
        {"from_date": "2024-03-01", "until_date": "2024-03-31"},
        hits={"/nest.go.tz/gateway/nest-data-portal-api/packages": 2},
    ),
    "rwanda_umucyo_bulk": Replay(rwanda_umucyo_bulk, {"from_date": "2025-02-01", "until_date": "2025-02-28"}),
    "uruguay_arce_records": Replay(uruguay_arce_records, {"from_date": "2023-01-01", "until_date": "2023-01-31"}),
    "uruguay_arce_historical": Replay(uruguay_arce_historical, {"from_date": "2003-01-01", "until_date": "2003-12-31"}),
    "georgia_spa_bulk": Replay(georgia_spa_bulk),
    "liberia_ppcc_releases": Replay(liberia_ppcc_releases),
    "uk_contracts_finder_records": Replay(
        uk_contracts_finder_records,
        {"from_date": "2017-01-01", "until_date": "2017-01-15"},
        hits={"/www.contractsfinder.service.gov.uk/Published/OCDS/Record/ocds-b5fd17-a2": 1},
    ),
}
