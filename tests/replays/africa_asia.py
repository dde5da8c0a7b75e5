"""Replays of publishers in Africa and Asia without data in ``../shared/data/publishers``, each from a small fixture
built here in the shape the publisher documents (or kingfisher-collect's spider for it reads)."""

from __future__ import annotations

from typing import Any

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route, zip_reply

# Fixture builders


def release(ocid: str, number: int, when: str, tag: str, currency: str, **sections: Any) -> dict[str, Any]:
    """A release of a process: a buyer, a tender, and an award once ``tag`` is ``award``."""
    body: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-{tag}-{number}",
        "date": when,
        "tag": [tag],
        "initiationType": "tender",
        "buyer": {"id": f"BUYER-{number % 3}", "name": f"Procuring entity {number % 3}"},
        "tender": {
            "id": f"T-{number}",
            "title": f"Supply number {number}",
            "status": "complete" if tag == "award" else "active",
            "value": {"amount": 1000 * number, "currency": currency},
        },
    }
    if tag == "award":
        body["awards"] = [
            {
                "id": f"A-{number}",
                "status": "active",
                "date": when,
                "value": {"amount": 900 * number, "currency": currency},
                "suppliers": [{"id": f"SUPPLIER-{number}", "name": f"Supplier {number}"}],
            }
        ]
    return {**body, **sections}


def package_metadata(publisher: str, uri: str, version: str = "1.1") -> dict[str, Any]:
    metadata = {"uri": uri, "publishedDate": "2024-01-31T00:00:00Z", "publisher": {"name": publisher}}
    if version != "1.0":  # 1.0 packages have no version field
        metadata["version"] = version
    return metadata


def record_package(metadata: dict[str, Any], releases: list[dict[str, Any]]) -> dict[str, Any]:
    """A record package with one record per OCID, its releases embedded, as European Dynamics' e-GP publishes."""
    ocids = sorted({r["ocid"] for r in releases})
    records = [{"ocid": ocid, "releases": [r for r in releases if r["ocid"] == ocid]} for ocid in ocids]
    return {**metadata, "records": records}


def release_package(metadata: dict[str, Any], releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {**metadata, "releases": releases}


# Replays: European Dynamics' e-GP (Ghana, Liberia)


def egp_zip(month: tuple[int, int], package: dict[str, Any]) -> bytes:
    return zip_bytes({f"{month[0]}-{month[1]}.json": orjson.dumps(package)})


EGP_SERVICES = "/ocds/services/recordpackage"


def egp_portal(
    server: LocalServer, portal: str, months: list[tuple[int, int]], packages: dict[tuple[int, int], bytes]
) -> None:
    """The list of monthly packages (listed with another scheme and port, which the spider must not follow: it
    keeps the paths) and each month's zip."""
    host = portal.removeprefix("https://")
    listed = [f"http://{host}:8080{EGP_SERVICES}/getrecordpackage/{y}/{m}" for y, m in months]
    route(
        server, f"{portal}{EGP_SERVICES}/getrecordpackagelist", lambda request: Reply.json({"packagesPerMonth": listed})
    )
    for (year, month), body in packages.items():
        route(server, f"{portal}{EGP_SERVICES}/getrecordpackage/{year}/{month}", lambda request, b=body: zip_reply(b))


def egp_month(prefix: str, year: int, month: int, currency: str) -> list[dict[str, Any]]:
    """A month's releases: two processes, each tendered then awarded in the month."""
    return [
        release(f"{prefix}{year}{month:02d}{n:03d}", n, f"{year}-{month:02d}-{10 + n}T09:00:00Z", tag, currency)
        for n in (1, 2)
        for tag in ("tender", "award")
    ]


def ghana_ghaneps(server: LocalServer) -> Expected:
    # Three months listed, all fetched (no dates given); each month's zip holds one record package.
    portal = "https://www.ghaneps.gov.gh"
    months = [(2019, 8), (2019, 9), (2019, 10)]
    metadata = package_metadata("Public Procurement Authority", f"{portal}{EGP_SERVICES}/getrecordpackage")
    served = {month: egp_month("ocds-uhveoc-", *month, "GHS") for month in months}
    bodies = {m: egp_zip(m, record_package(metadata, r)) for m, r in served.items()}
    egp_portal(server, portal, months, bodies)
    releases = [r for month in served.values() for r in month]
    ocids = {r["ocid"] for r in releases}
    return Expected(len(releases), len(ocids), len(ocids))


def liberia_ppcc(server: LocalServer) -> Expected:
    # Four months listed (2024-12 to 2025-03); the crawl's dates keep January and February 2025.
    portal = "https://eprocurement.ppcc.gov.lr"
    months = [(2024, 12), (2025, 1), (2025, 2), (2025, 3)]
    metadata = package_metadata("Public Procurement and Concessions Commission", f"{portal}{EGP_SERVICES}")
    served = {month: egp_month("ocds-dwjm7l-", *month, "USD") for month in months}
    bodies = {m: egp_zip(m, record_package(metadata, r)) for m, r in served.items()}
    egp_portal(server, portal, months, bodies)
    fetched = [r for month in [(2025, 1), (2025, 2)] for r in served[month]]
    ocids = {r["ocid"] for r in fetched}
    return Expected(len(fetched), len(ocids), len(ocids))


# Replays: Kenya's PPIP

PPIP = "https://tenders.go.ke/api/ocds"


def ppip_releases(number: int, reference: str) -> list[dict[str, Any]]:
    """A tender's releases as the PPIP publishes them: ids led by a time stamp, dates in Nairobi's time; every
    third tender is awarded and contracted (a "contract" release with the bidders as parties)."""
    ocid = f"ocds-5whusi-{290400 + number}-{reference}"
    month = 1 + number % 12
    tendered = f"2025-{month:02d}-{10 + number % 15:02d}T11:49:07+03:00"
    tender = {
        "ocid": ocid,
        "id": f"2025{month:02d}{10 + number % 15:02d}114907-{reference}",
        "date": tendered,
        "tag": ["tender"],
        "initiationType": "tender",
        "language": "en",
        "buyer": {"id": str(6800 + number % 4), "name": f"County Government {number % 4}"},
        "parties": [{"id": str(6800 + number % 4), "name": f"County Government {number % 4}", "roles": ["buyer"]}],
        "tender": {
            "id": f"{number}-{reference}",
            "title": f"Supply number {number}",
            "procurementMethod": "open",
            "mainProcurementCategory": "goods",
            # the export's time, not the tender's
            "tenderPeriod": {"startDate": "2026-05-19T11:49:07+03:00", "endDate": tendered},
        },
    }
    if number % 3:
        return [tender]
    supplier = {"id": str(703600 + number), "name": f"Supplier {number} Limited"}
    bidder = {
        **supplier,
        "identifier": {"scheme": "Bidders", "id": supplier["id"], "legalName": supplier["name"]},
        "roles": ["supplier"],
    }
    value = {"amount": 4999993.25 + number, "currency": "KES"}
    award = {"id": f"A-{number}", "value": value, "suppliers": [supplier]}
    contract = {"id": f"A-{number}-C", "awardID": f"A-{number}", "value": value, "dateSigned": tendered}
    contracted = {
        **tender,
        "id": f"2025{month:02d}{10 + number % 15:02d}123831-{reference}",
        "date": tendered.replace("11:49", "12:38"),
        "tag": ["contract"],
        "parties": [*tender["parties"], bidder],
        "awards": [award],
        "contracts": [contract],
    }
    return [tender, contracted]


def kenya_ppip(server: LocalServer) -> Expected:
    # 25 tenders indexed over three Laravel pages (10, 10, 5; next_page_url null on the last); each tender's
    # package holds its releases. until_date leaves out the releases dated after June 2025, as they are loaded.
    numbers = list(range(1, 26))
    packages = {
        n: release_package(package_metadata("PPRA", f"{PPIP}/tenders"), ppip_releases(n, f"T{n}/2025")) for n in numbers
    }

    def index(request: Request) -> Reply:
        page = int(request.query.get("page", ["1"])[0])
        rows = numbers[(page - 1) * 10 : page * 10]
        following = f"{PPIP}/index?page={page + 1}" if page < 3 else None
        return Reply.json(
            {
                "current_page": page,
                "data": [{"id": n, "title": f"Supply number {n}"} for n in rows],
                "next_page_url": following,
                "per_page": 10,
                "total": len(numbers),
                "last_page": 3,
            }
        )

    route(server, f"{PPIP}/index", index)
    route(server, f"{PPIP}/tenders", lambda request: Reply.json(packages[int(request.query["ocds_id"][0])]))
    kept = [r for p in packages.values() for r in p["releases"] if r["date"] < "2025-07-01"]
    return Expected(
        len(kept),
        0,
        len({r["ocid"] for r in kept}),
        notes={"release_outside_date_range"},
        checks=(
            "SELECT bool_and(date_text LIKE '%+03:00') FROM release",
            "SELECT count(*) > 0 FROM release JOIN raw_json b ON b.id = data_id"
            " WHERE body->'parties'->1->'identifier'->>'scheme' = 'Bidders'",
        ),
    )


def kenya_ppip_bulk(server: LocalServer) -> Expected:
    # from_date 2024-01-01 and until_date 2025-08-31 make three fiscal years (2023-2024 to 2025-2026); each is one
    # release package. The releases outside the dates are left out as they are loaded.
    years: dict[str, list[dict[str, Any]]] = {}
    for number in range(1, 31):
        year = ("2023-2024", "2024-2025", "2025-2026")[number % 3]
        releases = ppip_releases(number, f"FY/{number}")
        start = int(year[:4])
        for r in releases:  # the year's own dates: the month in 2025 becomes a month of this fiscal year
            month = int(r["date"][5:7])
            r["date"] = f"{start if month >= 7 else start + 1}{r['date'][4:]}"
        years.setdefault(year, []).extend(releases)
    metadata = package_metadata("PPRA", f"{PPIP}/tenders")

    def fiscal_year(request: Request) -> Reply:
        return Reply.json(release_package(metadata, years[request.query["fy"][0]]))

    route(server, f"{PPIP}/tenders", fiscal_year)
    kept = [r for rs in years.values() for r in rs if "2024-01-01" <= r["date"][:10] <= "2025-08-31"]
    return Expected(len(kept), 0, len({r["ocid"] for r in kept}), notes={"release_outside_date_range"})


# Replays: Nigeria, Nepal

EKITI = "https://ocdsportal.azurewebsites.net"


def ekiti_package(number: int) -> dict[str, Any]:
    """A procurement's release package as the portal publishes it: free-text roles, the home page as licence."""
    home = "https://bpp.ekitistate.gov.ng"
    ocid = f"ocds-6olpk7-MIPU/BPP/CONO/{number}2021/6768{number:04d}"
    body = release(ocid, number, f"2021-09-{10 + number:02d}T16:39:18Z", "tender", "NGN")
    body["id"] = str(100 + number)  # release ids are the portal's row numbers
    body["tag"] = ["planning", "tender", "award", "contract"] if number % 2 else ["planning", "tender"]
    body["parties"] = [
        {"id": str(50 + number), "name": "THE PERMANENT SECRETARY", "roles": ["Procuring entity"], "address": {}},
        {"id": str(60 + number), "name": f"Supplier {number}", "roles": ["Supplier", "Supplier"], "address": {}},
    ]
    publisher = {
        "name": "EKITI STATE BUREAU OF PUBLIC PROCUREMENT (BPP)",
        "scheme": "ocds-6olpk7",
        "uid": "ocds-6olpk7",
    }
    metadata = {**package_metadata("", home), "publisher": publisher, "license": home, "publicationPolicy": home}
    return release_package(metadata, [body])


def nigeria_ekiti(server: LocalServer) -> Expected:
    # The table lists four procurements (a header row in thead, not followed); each row's second cell links it.
    numbers = [12, 36, 58, 71]
    rows = "".join(
        f'<tr><td>{i}</td><td><span><a href="/Home/ProcurementDetails/{n}">Procurement {n}</a></span></td></tr>'
        for i, n in enumerate(numbers, 1)
    )
    table = (
        '<html><body><table id="datable_3"><thead><tr><th>#</th><th><span><a href="/Home/Sort/2">Title</a></span>'
        f"</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
    route(
        server, f"{EKITI}/Home/Procurements/", lambda request: Reply(200, {"Content-Type": "text/html"}, table.encode())
    )
    packages = {n: ekiti_package(n) for n in numbers}
    for n, package in packages.items():
        route(server, f"{EKITI}/openapi/packagesapi/{n}", lambda request, p=package: Reply.json(p))
    return Expected(
        len(numbers),
        0,
        len(numbers),
        # the free-text roles are stored as published
        checks=(
            "SELECT bool_and(body->'parties'->0->'roles'->>0 = 'Procuring entity')"
            " FROM release JOIN raw_json b ON b.id = data_id",
        ),
    )


def nepal_ppmo(server: LocalServer) -> Expected:
    # from_date 2016-01-01 and until_date 2020-12-31: 2016 to 2018 are requested, never 2019 or 2020 (HTTP 500).
    # OCDS 1.0 packages (no version field); planning and tender releases only.
    years = {2016: [5, 9], 2017: [2, 11], 2018: [1, 8]}
    bulk = "https://ppip.gov.np/bulk-download"
    served = []
    for year, months in years.items():
        releases = []
        for n, month in enumerate(months, 1):
            ocid = f"ocds-rw2stw-{year}{month:02d}{n:04d}"
            planned = release(ocid, n, f"{year}-{month:02d}-01T10:00:00+05:45", "planning", "NPR")
            tendered = release(ocid, n, f"{year}-{month:02d}-20T10:00:00+05:45", "tender", "NPR")
            releases += [planned, tendered]
        served += releases
        package = release_package(package_metadata("PPMO", f"{bulk}/{year}", "1.0"), releases)
        route(server, f"{bulk}/{year}", lambda request, p=package: Reply.json(p))
    route(server, f"{bulk}/2019", lambda request: Reply(500, {}, b"Server Error"))
    return Expected(
        len(served),
        0,
        len({r["ocid"] for r in served}),
        checks=("SELECT count(*) = 0 FROM release JOIN raw_json b ON b.id = data_id WHERE body ? 'awards'",),
    )


# Replays: Tanzania's NeST

NEST = "https://nest.go.tz/gateway/nest-data-portal-api/api/releases"


def tanzania_nest(server: LocalServer) -> Expected:
    # Three pages of release packages chained by links.next (cursor and since); the last page has no next link.
    # from_date leaves out the releases of 2022, as they are loaded.
    pages = []
    for page in range(3):
        releases = [
            release(f"ocds-mv5oob-{2022 + page}{n:05d}", n, f"{2022 + page}-0{1 + n}-15T08:30:00+03:00", tag, "TZS")
            for n in (1, 2, 3)
            for tag in ("tender", "award")
        ]
        pages.append(release_package(package_metadata("PPRA", NEST), releases))
    cursors = [None, "eyJpZCI6IDYwfQ", "eyJpZCI6IDEyMH0"]
    for page, cursor in zip(pages[:-1], cursors[1:], strict=True):
        page["links"] = {"next": f"{NEST}?cursor={cursor}&since=2022-01-01T00:00:00Z"}

    def handler(request: Request) -> Reply:
        return Reply.json(pages[cursors.index(request.query.get("cursor", [None])[0])])

    route(server, NEST, handler)
    kept = [r for page in pages for r in page["releases"] if r["date"] >= "2023"]
    return Expected(len(kept), 0, len({r["ocid"] for r in kept}), notes={"release_outside_date_range"})


# Replays: Rwanda's Umucyo

UMUCYO = "https://ocds.umucyo.gov.rw/opendata/api/v1/releases/all"


def rwanda_umucyo(server: LocalServer) -> Expected:
    # Three pages of 50, 50 and 20 releases, newest first, chained by links.next (offset, with the dates kept).
    # 60 processes of two releases each (an award and a tender), newest first
    releases = [
        release(f"ocds-ozzobm-{2024000 + n // 2}", n, f"2024-09-{28 - n // 6:02d}T10:00:00+02:00", tag, "RWF")
        for n in range(120)
        for tag in ["award" if n % 2 == 0 else "tender"]
    ]
    metadata = package_metadata("Rwanda Public Procurement Authority", UMUCYO)

    def handler(request: Request) -> Reply:
        if not request.query.get("date_from") or not request.query.get("date_to"):
            return Reply.json({"message": "date_from and date_to are required"}, 400)
        offset = int(request.query["offset"][0])
        page = release_package(metadata, releases[offset : offset + 50])
        if offset + 50 < len(releases):
            query = f"sort_field=date&sort_direction=desc&offset={offset + 50}&limit=50"
            page["links"] = {"next": f"{UMUCYO}?{query}&date_from=2016-07-02&date_to=2024-09-30"}
        return Reply.json(page)

    route(server, UMUCYO, handler)
    return Expected(len(releases), 0, len({r["ocid"] for r in releases}))


# Replays: India (Assam)

ASSAM = "CivicDataLab/assam-tenders-data"
ASSAM_FILE = "data/ProcessedData/ocds-mapped-data/current/ocds_mapped_data.json.zip"


def assam_release(tender_id: str, value: int) -> dict[str, Any]:
    """A tender as CivicDataLab maps it: the number 1 as id, a string tag, the mapping's day as date."""
    return {
        "ocid": f"ocds-f5kvwu-{tender_id}",
        "id": 1,
        "date": "2023-06-30",
        "tag": "tender",
        "initiationType": "tender",
        "buyer": {"name": "Public Works Roads Department"},
        "tender": {
            "id": tender_id,
            "title": f"Improvement of road {tender_id}",
            "procurementMethod": "open",
            "value": {"amount": value, "currency": "INR"},
            "datePublished": "2021-11-02T10:00:00",
        },
    }


def india_assam(server: LocalServer) -> Expected:
    # GitHub answers the raw URL with a redirect to raw.githubusercontent.com, whose zip holds the package and a
    # macOS resource fork (__MACOSX/._ocds_mapped_data.json, not JSON), which is not read. Scrapy follows the
    # redirect (the replay sends it back to the local server), which allowed_domains must let through.
    releases = [assam_release(f"2021_PWD_{23760 + n}_1", 100000 * n) for n in range(1, 6)]
    package = release_package(package_metadata("CivicDataLab", f"https://github.com/{ASSAM}"), releases)
    body = zip_bytes(
        {
            "ocds_mapped_data.json": orjson.dumps(package),
            "__MACOSX/._ocds_mapped_data.json": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ",
        }
    )
    raw = f"https://raw.githubusercontent.com/{ASSAM}/main/{ASSAM_FILE}"
    route(server, f"https://github.com/{ASSAM}/raw/main/{ASSAM_FILE}", lambda r: Reply(302, {"Location": raw}))
    route(server, raw, lambda request: zip_reply(body))
    return Expected(
        len(releases),
        0,
        len(releases),
        notes={"release_id_not_string"},
        checks=("SELECT bool_and(jsonb_typeof(body->'id') = 'number') FROM release JOIN raw_json b ON b.id = data_id",),
    )


REPLAYS: dict[str, Replay] = {
    "ghana_ghaneps": Replay(
        ghana_ghaneps,
        requested=tuple((f"/www.ghaneps.gov.gh{EGP_SERVICES}/getrecordpackage/2019/{m}", {}) for m in (8, 9, 10)),
    ),
    "liberia_ppcc": Replay(
        liberia_ppcc,
        {"from_date": "2025-01-10", "until_date": "2025-02-20"},
        requested=tuple((f"/eprocurement.ppcc.gov.lr{EGP_SERVICES}/getrecordpackage/2025/{m}", {}) for m in (1, 2)),
        hits={
            f"/eprocurement.ppcc.gov.lr{EGP_SERVICES}/getrecordpackage/2024/12": 0,
            f"/eprocurement.ppcc.gov.lr{EGP_SERVICES}/getrecordpackage/2025/3": 0,
        },
    ),
    "kenya_ppip": Replay(
        kenya_ppip,
        {"until_date": "2025-06-30"},
        requested=(
            ("/tenders.go.ke/api/ocds/index", {"perpage": "10", "page": "1"}),
            ("/tenders.go.ke/api/ocds/index", {"page": "3"}),
            ("/tenders.go.ke/api/ocds/tenders", {"download": "true", "ocds_id": "25"}),
        ),
        hits={"/tenders.go.ke/api/ocds/index": 3, "/tenders.go.ke/api/ocds/tenders": 25},
    ),
    "kenya_ppip_bulk": Replay(
        kenya_ppip_bulk,
        {"from_date": "2024-01-01", "until_date": "2025-08-31"},
        requested=tuple(
            ("/tenders.go.ke/api/ocds/tenders", {"fy": fy}) for fy in ("2023-2024", "2024-2025", "2025-2026")
        ),
        hits={"/tenders.go.ke/api/ocds/tenders": 3},
    ),
    "nigeria_ekiti": Replay(nigeria_ekiti, hits={"/ocdsportal.azurewebsites.net/Home/Procurements/": 1}),
    "nepal_ppmo": Replay(
        nepal_ppmo,
        {"from_date": "2016-01-01", "until_date": "2020-12-31"},
        requested=tuple((f"/ppip.gov.np/bulk-download/{year}", {}) for year in (2016, 2017, 2018)),
        hits={"/ppip.gov.np/bulk-download/2019": 0},
    ),
    "tanzania_nest": Replay(
        tanzania_nest,
        {"from_date": "2023-01-01"},
        requested=(("/nest.go.tz/gateway/nest-data-portal-api/api/releases", {"cursor": "eyJpZCI6IDEyMH0"}),),
        hits={"/nest.go.tz/gateway/nest-data-portal-api/api/releases": 3},
    ),
    "rwanda_umucyo": Replay(
        rwanda_umucyo,
        {"until_date": "2024-09-30"},
        requested=(
            (
                "/ocds.umucyo.gov.rw/opendata/api/v1/releases/all",
                {"offset": "0", "limit": "50", "date_from": "2016-07-02", "date_to": "2024-09-30"},
            ),
            ("/ocds.umucyo.gov.rw/opendata/api/v1/releases/all", {"offset": "100", "date_to": "2024-09-30"}),
        ),
        hits={"/ocds.umucyo.gov.rw/opendata/api/v1/releases/all": 3},
    ),
    "india_assam": Replay(
        india_assam,
        hits={
            f"/github.com/{ASSAM}/raw/main/{ASSAM_FILE}": 1,
            f"/raw.githubusercontent.com/{ASSAM}/main/{ASSAM_FILE}": 1,
        },
    ),
}
