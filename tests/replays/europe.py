"""Replays of European publishers (MD, GE, FR, ES; Italy's ANAC is in ``mended_c``), each from small fixtures built
here in the shape the publisher documents (or, where it documents none, the shape its API is known to answer), with
the publisher's quirks."""

from __future__ import annotations

from typing import Any

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route


def release(ocid: str, number: int, day: str, tag: str = "tender", **sections: Any) -> dict[str, Any]:
    """A small, valid-looking release: its buyer, a tender, and whatever else the publisher adds."""
    buyer = sections.pop("buyer", {"id": "buyer-1", "name": "Buyer"})
    return {
        "ocid": ocid,
        "id": f"{ocid}-{number:02d}",
        "date": f"{day}T10:00:00Z",
        "tag": [tag],
        "initiationType": "tender",
        "buyer": buyer,
        "parties": [{**buyer, "roles": ["buyer"]}],
        "tender": {"id": ocid.rsplit("-", 1)[-1], "status": "active", "title": f"Tender {number}"},
        **sections,
    }


def award(amount: float, currency: str, supplier: str) -> dict[str, Any]:
    return {
        "awards": [
            {
                "id": "award-1",
                "status": "active",
                "value": {"amount": amount, "currency": currency},
                "suppliers": [{"id": supplier, "name": f"Supplier {supplier}"}],
            }
        ]
    }


def package(uri: str, publisher: str, releases: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": "2021-04-01T00:00:00Z",
        "publisher": {"name": publisher},
        "releases": releases,
        **extra,
    }


# Moldova: MTender


MTENDER = "https://public.mtender.gov.md/tenders/"


def mtender_record_package(cpid: str, day: str) -> dict[str, Any]:
    """A process as MTender answers it: records of the plan and its stages, each a compiled release only."""
    buyer = {"id": "MD-IDNO-1003600000000", "name": "Primăria Chișinău"}
    stages = [cpid, f"{cpid}-PN-{cpid[-4:]}1", f"{cpid}-EV-{cpid[-4:]}2"]
    records = [
        {"ocid": ocid, "compiledRelease": release(ocid, 1, day, "compiled", buyer=buyer, **award(1000.0, "MDL", "S1"))}
        for ocid in stages
    ]
    return {
        "uri": f"{MTENDER}{cpid}",
        "version": "1.1",
        "publishedDate": f"{day}T12:00:00Z",
        "publisher": {"name": "M-Tender", "uri": "https://www.mtender.gov.md"},
        "records": records,
    }


def moldova_mtender(server: LocalServer) -> Expected:
    # From 2021-03-01 to 2021-03-31: two list pages (the second lists a process of April, so the list is not
    # followed further); three processes of three records each, the third answering an error object with 200.
    cpids = [f"ocds-b3wdp1-MD-161460000{i}000" for i in range(4)]
    pages = {
        "2021-03-01T00:00:00Z": {
            "data": [
                {"ocid": cpids[0], "date": "2021-03-01T08:00:00Z"},
                {"ocid": cpids[1], "date": "2021-03-02T09:00:00Z"},
            ],
            "offset": "2021-03-02T09:00:00Z",
        },
        "2021-03-02T09:00:00Z": {
            "data": [
                {"ocid": cpids[2], "date": "2021-03-20T08:00:00Z"},
                {"ocid": cpids[3], "date": "2021-04-02T10:00:00Z"},
            ],
            "offset": "2021-04-02T10:00:00Z",
        },
        "2021-04-02T10:00:00Z": {},
    }
    route(server, MTENDER, lambda request: Reply.json(pages[request.query["offset"][0]]))
    for cpid, day in zip(cpids[:2], ("2021-03-01", "2021-03-02"), strict=True):
        body = mtender_record_package(cpid, day)
        route(server, f"{MTENDER}{cpid}", lambda request, body=body: Reply.json(body))
    failure = {"message": "connect EHOSTUNREACH 185.108.182.236:443", "name": "Error", "code": "EHOSTUNREACH"}
    route(server, f"{MTENDER}{cpids[2]}", lambda request: Reply.json(failure))
    return Expected(
        0,
        6,
        6,
        notes={"publisher_error"},
        checks=(
            "SELECT count(*) = 0 FROM release",
            "SELECT count(DISTINCT ocid) = 4 FROM record WHERE ocid LIKE '%-PN-%' OR ocid LIKE '%-EV-%'",
        ),
    )


# Georgia: State Procurement Agency


SPA = "https://odapi.spa.ge/api"


def spa_release(code: str, number: int) -> dict[str, Any]:
    buyer = {"id": "GE-NAPR-204378869", "name": "Tbilisi City Hall"}
    return release(
        f"ocds-3z43pn-{code}",
        number,
        "2019-05-0" + str(number),
        "award",
        buyer=buyer,
        **award(5400, "GEL", "GE-NAPR-1"),
    )


def spa_pages(server: LocalServer, endpoint: str, pages: list[dict[str, Any]]) -> None:
    """Pages 1..N of an endpoint, each but the last with ``links.next`` to the next ``page``."""
    url = f"{SPA}/{endpoint}"

    def page(request: Request) -> Reply:
        number = int(request.query.get("page", ["1"])[0])
        body = dict(pages[number - 1])
        if number < len(pages):
            body["links"] = {"next": f"{url}?page={number + 1}"}
        return Reply.json(body)

    route(server, url, page)


def georgia_spa_releases(server: LocalServer) -> Expected:
    # Three pages of releases (2, 2 and 1), the last without links.next.
    releases = [spa_release(f"NAT19000{i}", i) for i in range(1, 6)]
    uri = f"{SPA}/releases.json"
    chunks = [releases[0:2], releases[2:4], releases[4:]]
    spa_pages(server, "releases.json", [package(uri, "State Procurement Agency", chunk) for chunk in chunks])
    return Expected(5, 0, 5, checks=("SELECT bool_and(ocid LIKE 'ocds-3z43pn-NAT%') FROM release",))


def georgia_spa_records(server: LocalServer) -> Expected:
    # Two pages of record packages (two records, then one), each record with its embedded releases.
    releases = [spa_release(f"SPA19000{i}", n) for i in range(1, 4) for n in (1, 2)]
    ocids = sorted({r["ocid"] for r in releases})
    records = [{"ocid": ocid, "releases": [r for r in releases if r["ocid"] == ocid]} for ocid in ocids]
    base = {"uri": f"{SPA}/records.json", "version": "1.1", "publisher": {"name": "State Procurement Agency"}}
    spa_pages(server, "records.json", [{**base, "records": records[:2]}, {**base, "records": records[2:]}])
    return Expected(6, 3, 3)


# France: DECP


DATASET = "https://www.data.gouv.fr/api/1/datasets/donnees-essentielles-de-la-commande-publique-fichiers-consolides/"
OCDS_RESOURCE = "https://www.data.gouv.fr/fr/datasets/r/68bd2001-3420-4d94-bc49-c90878df322c"


def decp_release(uid: str, sequence: int, day: str, tag: str) -> dict[str, Any]:
    ocid = f"ocds-78apv2-{uid}"
    buyer = {"id": uid[:14], "name": "Ville de Lyon"}
    found = release(ocid, sequence, day, tag, buyer=buyer, **award(85000.0, "EUR", "FR-SIRET-55208131766522"))
    found["date"] = day  # the DECP publication date, a day without time
    return found


def france_decp(server: LocalServer) -> Expected:
    # The dataset lists four resources: the DECP in JSON and XML, a daily file, and the OCDS conversion (the only
    # one whose description says OCDS). Three releases of two OCIDs, one from 2018 left out by from_date.
    resources = [
        {
            "title": "decp.json",
            "description": "Données consolidées au format réglementaire JSON",
            "url": f"{DATASET}x.json",
        },
        {
            "title": "decp.xml",
            "description": "Données consolidées au format réglementaire XML",
            "url": f"{DATASET}x.xml",
        },
        {"title": "decp-2021-03-01.json", "description": None, "url": f"{DATASET}y.json"},
        {
            "title": "decp-releases.json",
            "description": "Données consolidées au format OCDS (releases)",
            "url": OCDS_RESOURCE,
        },
    ]
    route(server, DATASET, lambda request: Reply.json({"id": "5cd57bf68b4c4179299eb0e9", "resources": resources}))
    releases = [
        decp_release("21690123100011201900045", 0, "2019-06-04", "award"),
        decp_release("21690123100011201900045", 1, "2019-09-12", "contractAmendment"),
        decp_release("21690123100011201800007", 0, "2018-02-01", "award"),
    ]
    body = package(OCDS_RESOURCE, "Ministère de l'Économie", releases)
    route(server, OCDS_RESOURCE, lambda request: Reply.json(body))
    return Expected(2, 0, 1, notes={"release_outside_date_range"})


REPLAYS: dict[str, Replay] = {
    "moldova_mtender": Replay(
        moldova_mtender,
        {"from_date": "2021-03-01", "until_date": "2021-03-31"},
        requested=(("/public.mtender.gov.md/tenders/", {"offset": "2021-03-01T00:00:00Z"}),),
        hits={"/public.mtender.gov.md/tenders/": 2},
    ),
    "georgia_spa_releases": Replay(
        georgia_spa_releases,
        requested=(("/odapi.spa.ge/api/releases.json", {"page": "3"}),),
        hits={"/odapi.spa.ge/api/releases.json": 3},
    ),
    "georgia_spa_records": Replay(georgia_spa_records, hits={"/odapi.spa.ge/api/records.json": 2}),
    "france_decp": Replay(france_decp, {"from_date": "2019-01-01"}),
}
