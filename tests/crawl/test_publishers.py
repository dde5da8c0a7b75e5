"""Every real spider crawls its publisher's real data offline: ``tests.replay.ReplayMiddleware`` sends the spider's
real URLs to a local server that replays files from ``../shared/data/publishers`` (never copied into the repo) in
the publisher's real response shape, and the test checks what reached the database.

Each replay is a function that routes a ``LocalServer`` and returns what the crawl must store. A real spider
without a replay fails ``test_every_real_spider_has_a_replay``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.archive_bytes import zip_bytes
from tests.conftest import PUBLISHERS
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request
from tests.raw_bodies import decode_raw_bodies
from tests.replay import replay_settings
from tests.replaying import Expected, Replay, as_package, files, latin1_json, merged_package, read, route, zip_reply
from tests.replays import more_replays

SPIDERS = Path(__file__).resolve().parents[2] / "spiders"
REAL_SPIDERS = sorted(
    p.stem
    for p in SPIDERS.glob("*.py")
    if p.stem != "__init__" and not p.stem.startswith("sandbox_") and not p.stem.endswith("_base")  # family bases
)


# Replays, one per spider


def armenia_armeps(server: LocalServer) -> Expected:
    # Two real consecutive pages (1-3 MB each). The first page's next offset answers HTTP 500, as do the offsets
    # up to a day and a half after it; from there on the publisher answers the second page, whose next link
    # answers the end of the feed. The crawl searches forward and goes on (ending there would store 100 releases).
    pages = [read(path) for path in sorted(files("armenia_armeps/api-pages-2018-01"), key=lambda p: int(p.stem))[:2]]
    failing = int(pages[0]["next_page"]["uri"].rpartition("offset=")[2])
    end_of_feed = pages[1]["next_page"]["uri"].rpartition("offset=")[2]
    last = {**{k: v for k, v in pages[-1].items() if k != "next_page"}, "releases": []}

    def handler(request: Request) -> Reply:
        offset = request.query.get("offset", [None])[0]
        if offset is None:
            return Reply.json(pages[0])
        if offset == end_of_feed:
            return Reply.json(last)
        if int(offset) < failing + 1.5 * 86_400_000:
            return Reply(500, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>")
        return Reply.json(pages[1])

    route(server, "https://armeps.am/ocds/release", handler)
    return Expected(
        200,
        0,
        200,
        {"offsets_skipped"},
        # planning is an array in some releases: stored as published
        checks=(
            "SELECT bool_or(jsonb_typeof(body->'planning') = 'array') FROM release JOIN raw_json b ON b.id = data_id",
        ),
    )


def portugal_impic_releases(server: LocalServer) -> Expected:
    # The fixture is a JSON array holding one API page; its links.next (offset=101) answers the end of the feed.
    page = read(PUBLISHERS / "portugal_impic/api-page/collection_file.json")[0]
    end = {**{k: v for k, v in page.items() if k != "links"}, "releases": []}

    def handler(request: Request) -> Reply:
        return Reply.json(end if "offset" in request.query else page)

    route(server, "http://www.base.gov.pt/api/Release/GetReleases", handler)
    # 7-digit fractions of a second are read as dates, not left NULL
    return Expected(100, 0, 100, checks=("SELECT count(*) = 0 FROM release WHERE date IS NULL",))


def ukraine_prozorro_api_releases(server: LocalServer) -> Expected:
    # Page 1 is the API's releases.json (links.next to page=2); page 2 is its single release.json, the last page.
    first = read(PUBLISHERS / "ukraine_prozorro/ocdsapi-examples/releases.json")
    second = read(PUBLISHERS / "ukraine_prozorro/ocdsapi-examples/release.json")

    def handler(request: Request) -> Reply:
        return Reply.json(first if request.query["page"] == ["1"] else second)

    route(server, "http://api.ocds.prozorro.openprocurement.io/api/releases.json", handler)
    ocids = {r["ocid"] for r in first["releases"] + second["releases"]}
    return Expected(len(first["releases"]) + len(second["releases"]), 0, len(ocids))


def canada_buyandsell(server: LocalServer) -> Expected:
    # The zip is built on the fly: one release package per member, as the pilot published them.
    paths = files("canada_buyandsell/releases-with-packageInfo")
    members = {f"releases/{path.name}": orjson.dumps(as_package(read(path))) for path in paths}
    body = zip_bytes({**members, "README.txt": b"not OCDS: left out by member_pattern"})
    url = "https://donnees-data.tpsgc-pwgsc.gc.ca/ba2/pilot-oc-pilote-co/releases.zip"
    route(server, url, lambda request: zip_reply(body))
    return Expected(len(paths), 0, len(paths), checks=("SELECT count(DISTINCT member) = 11 FROM release",))


def canada_montreal(server: LocalServer) -> Expected:
    releases = [read(path) for path in files("canada_montreal/releases-with-packageInfo")]
    package = merged_package(releases)

    def handler(request: Request) -> Reply:
        offset, limit = int(request.query["offset"][0]), int(request.query["limit"][0])
        assert limit <= 10000  # the API refuses more
        page = package["releases"][offset : offset + limit]
        return Reply.json({**package, "releases": page, "meta": {"count": len(package["releases"])}})

    route(server, "https://ville.montreal.qc.ca/vuesurlescontrats/api/releases.json", handler)
    # tag is a string, not an array, and dates have no time zone: stored as published
    return Expected(
        10,
        0,
        10,
        checks=(
            "SELECT bool_and(jsonb_typeof(body->'tag') = 'string') FROM release JOIN raw_json b ON b.id = data_id",
        ),
    )


def mexico_gacm(server: LocalServer) -> Expected:
    releases = [read(path) for path in files("mexico_gacm/releases-with-packageInfo")]
    body = orjson.dumps(merged_package(releases))
    url = "http://gacmda.gacm.mx:8880/files/opendata/coleccion/concentrado05032019RELEASE.json"
    route(server, url, lambda request: Reply(200, {"Content-Type": "application/json"}, body))
    # 302 releases of 292 OCIDs: some OCIDs republished with a new release id and the same date; awards without
    # id (a merge warning); the currency typo "MNX"
    return Expected(
        302,
        0,
        292,
        notes={"merge_warning", "currency_invalid"},
        checks=("SELECT count(*) > 0 FROM (SELECT ocid FROM release GROUP BY ocid, date HAVING count(*) > 1) AS t",),
    )


def honduras_portal_api_records(server: LocalServer) -> Expected:
    records = [read(path) for path in files("honduras_portal/record")]

    def handler(request: Request) -> Reply:
        page = int(request.query.get("page", ["1"])[0])
        package = {"version": "1.1", "records": [records[page - 1]]}
        return Reply.json({"count": len(records), "pages": len(records), "recordPackage": package})

    route(server, "http://www.contratacionesabiertas.gob.hn/api/v1/record/", handler)
    return Expected(2, 2, 2, checks=("SELECT count(*) = 2 FROM release WHERE record_id IS NOT NULL",))


def uk_contracts_finder_releases(server: LocalServer) -> Expected:
    # Search results as the current API serves one 15-day window: 2 pages of 100, a cursor between them (the
    # releases are the 2017 sample's). Crawled with no from_date: the first window starts at 2014-01-01, where
    # the publication starts; from the old default, 2015-01-01, there would be no window before until_date.
    releases = [
        release for path in files("uk_contracts_finder/search-api-2017-01") for release in read(path)["releases"]
    ]
    package = {**read(files("uk_contracts_finder/search-api-2017-01")[0]), "releases": releases[:100]}
    search = "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search"

    def handler(request: Request) -> Reply:
        if "cursor" in request.query:
            body = {**package, "releases": releases[100:]}
        else:
            query = "limit=100&publishedFrom=2014-01-01&publishedTo=2014-01-15&cursor=Mjk5"
            body = {**package, "links": {"next": f"{search}?{query}"}}
        return Reply(200, {"Content-Type": "application/json; charset=iso-8859-1"}, latin1_json(body))

    route(server, search, handler)
    # 1.0 organizations: no parties, buyer identifiers empty
    return Expected(
        200,
        0,
        200,
        checks=(
            "SELECT bool_and(body->'parties' IS NULL) AND bool_and(body->'buyer'->'identifier'->>'id' = '')"
            " FROM release JOIN raw_json b ON b.id = data_id",
        ),
    )


def mexico_inai(server: LocalServer) -> Expected:
    releases = [read(path) for path in files("mexico_inai/releases-2017-with-packageInfo")]
    body = {"arrayReleasePackage": [as_package(release) for release in releases]}
    route(
        server,
        "http://contratacionesabiertas.inai.org.mx:3000/edca/contractingprocess/2017",
        lambda request: Reply.json(body),
    )
    # duplicate party ids: a merge warning
    return Expected(10, 0, 10, notes={"merge_warning"})


def mexico_shcp_api(server: LocalServer) -> Expected:
    records = [r for path in files("mexico_shcp/record-package")[1:] for r in read(path)["records"]]
    releases = [release for record in records for release in record["releases"]]

    # The search's pages are zero-indexed: page 0 holds the first releases, page 1 (the next ten) is empty here.
    def handler(request: Request) -> Reply:
        query = orjson.loads(request.body)
        assert request.method == "POST"
        start = query["page"] * query["pageSize"]
        page = releases[start : start + query["pageSize"]]
        return Reply.json({"pagination": {"total": len(releases), "pageSize": query["pageSize"]}, "data": page})

    route(server, "https://api.plataformadigitalnacional.org/s6/api/v1/search", handler)
    return Expected(len(releases), 0, len({r["ocid"] for r in releases}))


def mexico_cdmx(server: LocalServer) -> Expected:
    # The index lists three contracts; one package is served in ISO-8859-1 as the publisher did.
    paths = [
        PUBLISHERS / "mexico_cdmx/release-package/release-package-1.json",
        PUBLISHERS / "mexico_cdmx/release-package/release-package-2.json",
        PUBLISHERS / "mexico_cdmx/encoding/release-package_encoding-iso-8859-1.json",
    ]
    packages = {
        path: orjson.loads(path.read_bytes().decode("iso-8859-1" if "8859" in path.name else "utf-8")) for path in paths
    }
    index = [{"uri": package["uri"], "ocid": package["releases"][0]["ocid"]} for package in packages.values()]
    route(server, "http://www.contratosabiertos.cdmx.gob.mx/api/contratos/todos", lambda request: Reply.json(index))
    for path, package in packages.items():
        body = path.read_bytes()  # as published, bytes and all
        route(server, package["uri"], lambda request, body=body: Reply(200, {"Content-Type": "application/json"}, body))
    releases = [r for package in packages.values() for r in package["releases"]]
    return Expected(
        len(releases),
        0,
        len({r["ocid"] for r in releases}),
        notes={"encoding_detected", "ocid_prefix_case"},  # and OCIDs in upper case
        # the ISO-8859-1 package is read as text, accents and all
        checks=("SELECT count(*) > 0 FROM release JOIN raw_json b ON b.id = data_id WHERE body::text LIKE '%ó%'",),
    )


def mexico_jalisco(server: LocalServer) -> Expected:
    # The index lists the two contracts whose every release package is in the data.
    base = PUBLISHERS / "mexico_jalisco"
    ocids = ["ocds-xs1qbl-SFIN-03-0001-00-2017", "ocds-xs1qbl-SFIN-03-0007-00-2017"]
    records = [read(base / "record-package" / f"{ocid}.json") for ocid in ocids]
    index = [{"ocid": ocid, "URIContract": record["uri"]} for ocid, record in zip(ocids, records, strict=True)]
    route(server, "https://contratacionesabiertas.jalisco.gob.mx/OCApi/2017/contracts", lambda r: Reply.json(index))
    for record in records:
        route(server, record["uri"], lambda request, record=record: Reply.json(record))
    releases = 0
    for path in sorted((base / "release-package").glob("*.json")):
        package = read(path)
        if package["releases"][0]["ocid"] in ocids:
            releases += 1
            route(server, package["uri"], lambda request, package=package: Reply.json(package))
    assert releases == sum(len(record["packages"]) for record in records)
    return Expected(
        releases,
        2,
        2,
        # the records' releases are linked, not embedded: only the release packages give releases
        checks=("SELECT count(*) = 0 FROM release WHERE record_id IS NOT NULL",),
    )


def ecuador_sercop_bulk(server: LocalServer) -> Expected:
    # March 2021's zip: a JSON array of release packages, one of them (from the record package's release) dated
    # December 2020, which the crawl's dates leave out as it is loaded.
    base = PUBLISHERS / "ecuador_sercop"
    package = read(base / "ecuador-release-package.json")
    record_package = read(base / "ecuador-record-package-1.json")
    late = {k: v for k, v in record_package.items() if k != "records"}
    late["releases"] = record_package["records"][0]["releases"]
    body = zip_bytes({"releases_2021_03.json": orjson.dumps([package, late])})
    url = "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/download"
    route(server, url, lambda request: zip_reply(body))
    return Expected(1, 0, 1, notes={"release_outside_date_range"})


def colombia_cce_api(server: LocalServer) -> Expected:
    # One month's window, two pages of three releases with a links.next (_id) between them.
    releases = [read(path) for path in files("colombia_cce/releases-2019")]
    window = "https://apiocds.colombiacompra.gov.co/apiCCE-2.0/rest/releases/dates/2019-01-01/2019-01-31"
    package = {"version": "1.1", "publishedDate": "2019-02-01T00:00:00Z", "publisher": {"name": "CCE"}}

    def handler(request: Request) -> Reply:
        if "_id" in request.query:
            return Reply.json({**package, "releases": releases[3:]})
        return Reply.json({**package, "releases": releases[:3], "links": {"next": f"{window}?_id=5c4f1a"}})

    route(server, window, handler)
    return Expected(6, 0, 6)


def mexico_nuevo_leon_infra_abierta_records(server: LocalServer) -> Expected:
    # The year 2020's list: a JSON array of the two record packages; the other years (2019, 2021) are empty
    # arrays. The site answers 403 to a client without a browser's User-Agent.
    packages = [read(path) for path in files("mexico_nuevo_leon")]

    def listing(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply(403, {"Content-Type": "text/html"}, b"<html>Forbidden</html>")
        year = orjson.loads(request.query["anio"][0])[0]["value"]
        return Reply.json(packages if year == "2020" else [])

    route(server, "https://smpu.nl.gob.mx/siasi_ws/api/ocds/ListarProduccionXAnio", listing)
    # linked releases only; the extension listed in "packages" is not followed
    # the records' compiledRelease carries another OCID than the record (a "001" suffix)
    return Expected(0, 2, 2, notes={"compiled_release_ocid_differs"}, checks=("SELECT count(*) = 3 FROM crawl_file",))


def australia_nsw(server: LocalServer) -> Expected:
    # The tender search lists ten summaries over two pages (links.next with startRow); the planning and contract
    # searches are empty. Each tender's view is its real release package.
    packages = {
        read(path)["releases"][0]["id"].removeprefix("RFT-"): read(path)
        for path in files("australia_nsw/release-package")
    }
    uuids = sorted(packages)
    site = "https://www.tenders.nsw.gov.au/"

    def handler(request: Request) -> Reply:
        event = request.query["event"][0]
        if event == "public.api.tender.view":
            return Reply.json(packages[request.query["RFTUUID"][0]])
        if event != "public.api.tender.search":
            return Reply.json({"releases": [], "links": {}})
        first = "startRow" not in request.query
        summaries = [
            {"ocid": f"ocds-43qwtd-RFT-{u}", "tender": {"RFTUUID": u}} for u in (uuids[:5] if first else uuids[5:])
        ]
        links = {"next": f"{site}?event=public.api.tender.search&ResultsPerPage=1000&startRow=1001"} if first else {}
        return Reply.json({"releases": summaries, "links": links})

    route(server, site, handler)
    # version "1.0.1" and a null extension, as published
    return Expected(10, 0, 10, checks=("SELECT bool_and(body->>'version' = '1.0.1') FROM package_data",))


def uganda_gpp_releases(server: LocalServer) -> Expected:
    # Fiscal year 2017-2018: codes 1 and 2 are packages of five releases each, code 3 is 404 (the end); the
    # fiscal year 2016-2017 (from_date falls in it) has none at all.
    releases = [read(path) for path in files("uganda_gpp/releases-with-packageInfo")]
    packages = {"1": merged_package(releases[:5]), "2": merged_package(releases[5:])}

    def handler(request: Request) -> Reply:
        package = packages.get(request.query["code"][0]) if request.query["fy"] == ["2017-2018"] else None
        return Reply.json(package) if package else Reply.json({"detail": "Not found"}, 404)

    route(server, "https://cdn.ppda.go.ug/api/open-data/v2/ocds/download", handler)
    return Expected(10, 0, 10)


def taiwan_aac(server: LocalServer) -> Expected:
    # Two listing pages (the first links a guidance PDF and two OCDS files, the second one OCDS file), then an
    # empty page. The OCDS files are rebuilt from the 2014 pilot's releases (the only Taiwanese data there is).
    releases = [read(path) for path in files("taiwan_aac/releases-with-packageInfo")]
    groups = {"1": releases[:4], "2": releases[4:8], "3": releases[8:]}
    pages = {
        "1": '<li><a href="upload/guide.pdf" title="guide">PDF</a></li>'
        '<li><a href="download.php?id=1" title="OCDS 2014-01">JSON</a></li>'
        '<li><a href="download.php?id=2" title="OCDS 2014-02">JSON</a></li>',
        "2": '<li><a href="download.php?id=3" title="OCDS 2014-03">JSON</a></li>',
    }

    def listing(request: Request) -> Reply:
        items = pages.get(request.query["page"][0], "")
        body = f'<html><body><div class="main"><ul>{items}</ul></div></body></html>'.encode()
        return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def download(request: Request) -> Reply:
        group = groups[request.query["id"][0]]
        # the pilot's packageInfo gives the publisher as a string
        return Reply.json(merged_package(group))

    route(server, "https://gpip.aac.moj.gov.tw/cht/index.php", listing)
    route(server, "https://gpip.aac.moj.gov.tw/cht/download.php", download)
    # tag is a string, not an array
    return Expected(len(releases), 0, len(releases), notes={"not_an_array"})


def ukraine_prozorro(server: LocalServer) -> Expected:
    # The feed: two pages of tender ids (6 and 5), then a page with no data whose next_page still points on; each
    # tender's OCDS is the 2017 bulk release rebuilt as its package. Without a browser User-Agent: 412.
    releases = {
        r["tender"]["id"]: r
        for r in (read(path) for path in files("ukraine_prozorro/bulk-2017-releases-with-packageInfo"))
    }
    ids = sorted(releases)
    feed = "https://public-api.prozorro.gov.ua/api/2.5/tenders"
    pages = {None: ids[:6], "2016-06-10T00:00:00": ids[6:], "2016-06-20T00:00:00": []}
    offsets = [*list(pages)[1:], "2016-06-30T00:00:00"]

    def page(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return Reply.json({"errors": ["Precondition Failed"]}, 412)
        offset = request.query.get("offset", [None])[0]
        following = offsets[list(pages).index(offset)]
        data = [{"id": i, "dateModified": "2016-06-09T00:00:00+03:00"} for i in pages[offset]]
        return Reply.json({"data": data, "next_page": {"uri": f"{feed}?offset={following}"}})

    route(server, feed, page)
    for tender_id, release in releases.items():
        route(server, f"{feed}/{tender_id}", lambda request, r=release: Reply.json(as_package(r)))
    return Expected(len(ids), 0, len(ids))


def honduras_portal_api_releases(server: LocalServer) -> Expected:
    # The records' embedded releases, one page each, as the release route serves them.
    releases = [release for path in files("honduras_portal/record") for release in read(path)["releases"]]

    def handler(request: Request) -> Reply:
        page = int(request.query.get("page", ["1"])[0])
        package = {"version": "1.1", "releases": [releases[page - 1]]}
        return Reply.json({"count": len(releases), "pages": len(releases), "releasePackage": package})

    route(server, "http://www.contratacionesabiertas.gob.hn/api/v1/release/", handler)
    return Expected(len(releases), 0, len(releases))


def ukraine_prozorro_api_records(server: LocalServer) -> Expected:
    # One page of record packages whose "links" is empty: the last page.
    page = read(PUBLISHERS / "ukraine_prozorro/ocdsapi-examples/records.json")
    assert page["links"] == {}
    route(server, "http://api.ocds.prozorro.openprocurement.io/api/records.json", lambda request: Reply.json(page))
    # linked releases only
    return Expected(0, 2, 2, checks=("SELECT count(*) = 0 FROM note WHERE code LIKE '%next_link%'",))


def ecuador_sercop_api(server: LocalServer) -> Expected:
    # 2020's search: two pages of one OCID each. Each OCID's ``record?ocid=`` answers a release package (as
    # kingfisher-collect's spider reads it): the publisher's own, and one of the release its record sample embeds.
    # Read as record packages, as this spider once did, they would give no release at all.
    base = PUBLISHERS / "ecuador_sercop"
    own = read(base / "ecuador-release-package.json")
    recorded = read(base / "ecuador-record-package-1.json")
    embedded = {**{k: v for k, v in recorded.items() if k != "records"}, "releases": recorded["records"][0]["releases"]}
    packages = {package["releases"][0]["ocid"]: package for package in (own, embedded)}
    ocids = sorted(packages)
    api = "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/api"

    def search(request: Request) -> Reply:
        if request.query["year"] != ["2020"]:
            return Reply.json({"data": [], "pages": 0})
        page = int(request.query.get("page", ["1"])[0])
        return Reply.json({"data": [{"ocid": ocids[page - 1]}], "pages": 2, "total": 2})

    route(server, f"{api}/search_ocds", search)
    route(server, f"{api}/record", lambda request: Reply.json(packages[request.query["ocid"][0]]))
    # releases, not records, and said so on the publisher's row; kept whatever their dates (the 2021 one too: the
    # year is the search's)
    checks = (
        "SELECT count(*) = 0 FROM release WHERE record_id IS NOT NULL",
        "SELECT data_type = 'release_package' FROM publisher",
    )
    return Expected(2, 0, 2, checks=checks)


REPLAYS: dict[str, Replay] = {
    "ecuador_sercop_api": Replay(
        ecuador_sercop_api,
        {"from_date": "2020-01-01", "until_date": "2020-12-31"},
        hits={"/datosabiertos.compraspublicas.gob.ec/PLATAFORMA/api/search_ocds": 2},
    ),
    "honduras_portal_api_releases": Replay(honduras_portal_api_releases),
    "ukraine_prozorro_api_records": Replay(ukraine_prozorro_api_records),
    "ukraine_prozorro": Replay(ukraine_prozorro, hits={"/public-api.prozorro.gov.ua/api/2.5/tenders": 3}),
    "uganda_gpp_releases": Replay(
        uganda_gpp_releases,
        {"from_date": "2017-01-01", "until_date": "2017-12-31"},
        hits={"/cdn.ppda.go.ug/api/open-data/v2/ocds/download": 4},
    ),
    "taiwan_aac": Replay(taiwan_aac, hits={"/gpip.aac.moj.gov.tw/cht/index.php": 3}),
    "mexico_nuevo_leon_infra_abierta_records": Replay(
        mexico_nuevo_leon_infra_abierta_records,
        {"from_date": "2019-01-01", "until_date": "2021-12-31"},
        hits={"/smpu.nl.gob.mx/siasi_ws/api/ocds/ListarProduccionXAnio": 3},
    ),
    "australia_nsw": Replay(australia_nsw),
    "ecuador_sercop_bulk": Replay(
        ecuador_sercop_bulk,
        {"from_date": "2021-03-01", "until_date": "2021-03-31"},
        requested=(("/datosabiertos.compraspublicas.gob.ec/PLATAFORMA/download", {"year": "2021", "month": "03"}),),
    ),
    "colombia_cce_api": Replay(
        colombia_cce_api,
        {"from_date": "2019-01-01", "until_date": "2019-01-31"},
        requested=(("/apiocds.colombiacompra.gov.co/apiCCE-2.0/rest/releases/dates/2019-01-01/2019-01-31", {}),),
    ),
    "mexico_cdmx": Replay(mexico_cdmx),
    "mexico_jalisco": Replay(mexico_jalisco),
    "armenia_armeps": Replay(armenia_armeps),
    "portugal_impic_releases": Replay(portugal_impic_releases),
    "ukraine_prozorro_api_releases": Replay(ukraine_prozorro_api_releases),
    "canada_buyandsell": Replay(canada_buyandsell),
    "canada_montreal": Replay(
        canada_montreal,
        requested=(("/ville.montreal.qc.ca/vuesurlescontrats/api/releases.json", {"offset": "0", "limit": "10000"}),),
    ),
    "mexico_gacm": Replay(mexico_gacm),
    "honduras_portal_api_records": Replay(honduras_portal_api_records),
    "uk_contracts_finder_releases": Replay(
        uk_contracts_finder_releases,
        {"until_date": "2014-01-15"},
        requested=(
            (
                "/www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search",
                {"publishedFrom": "2014-01-01", "publishedTo": "2014-01-15", "limit": "100"},
            ),
        ),
    ),
    "mexico_inai": Replay(mexico_inai, {"from_date": "2017-01-01", "until_date": "2017-12-31"}),
    "mexico_shcp_api": Replay(mexico_shcp_api),
}


REPLAYS.update(more_replays())


def test_every_real_spider_has_a_replay():
    assert sorted(REPLAYS) == REAL_SPIDERS


def spider_class(name: str) -> str:
    return f"spiders.{name}:" + "".join(part.title() for part in name.split("_")) + "Spider"


def stored(conn, sql: str) -> Any:
    return next(iter(conn.execute(sql).fetchone().values()))


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_real_spider_replays_its_publisher(name, atlas_env, conn):
    replay = REPLAYS[name]
    with LocalServer() as server:
        expected = replay.serve(server)
        stats = run_spider(spider_class(name), settings=replay_settings(server.url), env=replay.env, **replay.arguments)
    assert stats["finish_reason"] == "finished"
    for path, parameters in replay.requested:
        assert any(
            r.path == path and all(r.query.get(k) == [v] for k, v in parameters.items()) for r in server.requests
        ), (path, parameters, [(r.path, r.query) for r in server.requests])
    for path, count in replay.hits.items():
        assert server.hits[path] == count, (path, server.hits)
    assert stored(conn, "SELECT count(*) FROM release") == expected.releases
    assert stored(conn, "SELECT count(*) FROM record") == expected.records
    ocids = "SELECT count(DISTINCT ocid) FROM (SELECT ocid FROM release UNION ALL SELECT ocid FROM record) AS t"
    assert stored(conn, ocids) == expected.ocids
    assert stored(conn, "SELECT count(*) FROM crawl_file WHERE error IS NOT NULL") == 0
    assert stored(conn, "SELECT status FROM crawl") == "finished"
    codes = {row["code"] for row in conn.execute("SELECT code FROM note")}
    assert expected.notes <= codes, codes
    decode_raw_bodies(conn)
    for check in expected.checks:
        assert stored(conn, check) is True, check
