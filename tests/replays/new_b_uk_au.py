"""Replays of new publishers (AU's AusTender; GB's Find a Tender, Public Contracts Scotland, Sell2Wales), each from
small fixtures built here in the shape the publisher answers, with its quirks."""

from __future__ import annotations

import json
from typing import Any

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route
from tests.replays.new_b import package, release

# Australia: AusTender


AUSTENDER = "https://api.tenders.gov.au/ocds/findByDates/contractPublished"
AU_WINDOW = f"{AUSTENDER}/2024-12-15T00:00:00Z/2024-12-22T00:00:00Z"


def australia_austender(server: LocalServer) -> Expected:
    # One 7-day window of two pages linked by links.next (cursor); the second page first fails as some ranges do,
    # 502 {"message": "Internal server error"} from the CDN, and answers when retried.
    failures = iter([True])

    def handler(request: Request) -> Reply:
        if "cursor" not in request.query:
            releases = [release(f"prod-{i}a2b", "2024-12-16", tag="contract") for i in range(3)]
            return Reply.json(package(AU_WINDOW, releases, links={"next": f"{AU_WINDOW}?cursor=eyJvZmZzZXQiOjN9"}))
        if next(failures, False):
            return Reply.json({"message": "Internal server error"}, 502)
        return Reply.json(package(AU_WINDOW, [release("prod-9f0c", "2024-12-20", tag="contract")], links={}))

    route(server, AU_WINDOW, handler)
    return Expected(4, 0, 4)


# United Kingdom: Find a Tender


FTS = "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages"


def fts_page(releases: list[dict[str, Any]], following: str | None) -> bytes:
    """A page as FTS writes it, spaced, with its invalid numbers (placeholders replaced after dumping)."""
    body = package(FTS, releases, links={"next": following} if following else {})
    return json.dumps(body).replace('"__INF__"', "1e9999").replace('"__ZERO__",', "000,").encode()


def uk_find_a_tender(server: LocalServer) -> Expected:
    # 2024-01-01 in four 6-hour windows; the second has two pages (cursor), its first with 1e9999 and 000 among its
    # numbers; the others are empty.
    noon = release("ocds-h6vhtk-0431a1", "2024-01-01", tag="award")
    noon["awards"] = [{"id": "1", "value": {"amount": "__INF__", "currency": "GBP"}, "status": "active"}]
    noon["tender"]["numberOfTenderers"] = "__ZERO__"
    noon["tender"]["title"] = "Cleaning"

    def handler(request: Request) -> Reply:
        start = request.query["updatedFrom"][0]
        cursor = request.query.get("cursor", [None])[0]
        if start != "2024-01-01T06:00:00Z":
            body = fts_page([], None)
        elif cursor is None:
            following = f"{FTS}?cursor=MjAyNC0wMS0wMVQwNzo&updatedFrom={start}&updatedTo=2024-01-01T12:00:00Z"
            body = fts_page([noon, release("ocds-h6vhtk-0431a2", "2024-01-01")], following)
        else:
            body = fts_page([release("ocds-h6vhtk-0431a3", "2024-01-01")], None)
        return Reply(200, {"Content-Type": "application/json"}, body)

    route(server, FTS, handler)
    return Expected(
        3,
        0,
        3,
        notes={"invalid_numbers_rewritten"},
        checks=(
            "SELECT bool_or(body->'tender'->>'numberOfTenderers' = '0') FROM release JOIN raw_json b ON b.id = data_id",
        ),
    )


# United Kingdom: Proactis portals (Public Contracts Scotland, Sell2Wales)


def proactis(api: str, prefix: str, published: dict[int, int]) -> Any:
    """A portal's notices: a package per month and type; the types without notices answer no releases array."""

    def serve(server: LocalServer) -> Expected:
        def handler(request: Request) -> Reply:
            assert request.query["dateFrom"] == ["01-2024"] and request.query["outputType"] == ["0"]
            notice_type = int(request.query["noticeType"][0])
            uri = f"{api}/v1/Notices?noticeType={notice_type}"
            count = published.get(notice_type, 0)
            if not count:
                return Reply.json({"uri": uri, "publishedDate": "2024-06-01T00:00:00Z", "version": "1.1"})
            ocids = [f"{prefix}-JAN{notice_type}{i}" for i in range(count)]
            return Reply.json(package(uri, [release(ocid, "2024-01-10") for ocid in ocids]))

        route(server, f"{api}/v1/Notices", handler)
        total = sum(published.values())
        return Expected(total, 0, total, notes={"no_notices"})

    return serve


SCOTLAND = "https://api.publiccontractsscotland.gov.uk"
WALES = "https://api.sell2wales.gov.wales"


REPLAYS: dict[str, Replay] = {
    "australia_austender": Replay(
        australia_austender,
        {"from_date": "2024-12-15", "until_date": "2024-12-21"},
        requested=((AU_WINDOW.replace("https:/", ""), {}),),
        hits={AU_WINDOW.replace("https:/", ""): 3},
    ),
    "uk_find_a_tender": Replay(
        uk_find_a_tender,
        {"from_date": "2024-01-01", "until_date": "2024-01-01"},
        requested=tuple(
            (FTS.replace("https:/", ""), {"updatedFrom": f"2024-01-01T{a}:00:00Z", "updatedTo": b})
            for a, b in (
                ("00", "2024-01-01T06:00:00Z"),
                ("06", "2024-01-01T12:00:00Z"),
                ("12", "2024-01-01T18:00:00Z"),
                ("18", "2024-01-02T00:00:00Z"),
            )
        ),
        hits={FTS.replace("https:/", ""): 5},
    ),
    "uk_scotland_public_contracts": Replay(
        proactis(SCOTLAND, "ocds-r6ebe6", {2: 2, 3: 1, 101: 2}),
        {"from_date": "2024-01-01", "until_date": "2024-01-31"},
        requested=(("/api.publiccontractsscotland.gov.uk/v1/Notices", {"noticeType": "104"}),),
        hits={"/api.publiccontractsscotland.gov.uk/v1/Notices": 21},
    ),
    "uk_wales_sell2wales": Replay(
        proactis(WALES, "ocds-kuma6s", {2: 1, 51: 2, 56: 1}),
        {"from_date": "2024-01-01", "until_date": "2024-01-31"},
        requested=(("/api.sell2wales.gov.wales/v1/Notices", {"noticeType": "56"}),),
        hits={"/api.sell2wales.gov.wales/v1/Notices": 23},
    ),
}
