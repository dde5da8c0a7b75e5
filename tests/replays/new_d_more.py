"""Replays of new publications outside Latin America (Québec's SEAO, Nepal's Dhangadhi, Himachal Pradesh), each
from a small fixture built here in the shape the publisher answers (as kingfisher-collect's spider for it reads
it)."""

from __future__ import annotations

import io
from typing import Any

import orjson

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route
from tests.replays.latin_america import always, ckan, package, release

# Canada: Québec's SEAO


QUEBEC = "https://www.donneesquebec.ca/recherche/dataset/d23b2e02-085d-43e5-9e6e-e1d558ebfdd5/resource"


def canada_quebec_seao(server: LocalServer) -> Expected:
    # The dataset lists two weekly files of January 2024, a monthly one of 2023-11 (before from_date) and a CSV.
    # The first weekly file arrives cut short once, then whole.
    weeks = {
        f"{QUEBEC}/a1/download/hebdo_20240101_20240107.json": 2,
        f"{QUEBEC}/b2/download/hebdo_20240108_20240114.json": 1,
    }
    resources = [("JSON", url) for url in weeks]
    resources += [("JSON", f"{QUEBEC}/c3/download/mensuel_20231101_20231130.json"), ("CSV", f"{QUEBEC}/d4/x.csv")]
    show = ckan("systeme-electronique-dappel-doffres-seao", resources)
    route(server, "https://www.donneesquebec.ca/api/3/action/package_show", always(Reply.json(show)))
    cut = iter([True])
    for number, (url, count) in enumerate(weeks.items()):
        ocids = [f"ocds-ec9k95-{number}{n}" for n in range(count)]
        body = orjson.dumps(
            package("SEAO", url, [release(ocid, "tender", "2024-01-05T00:00:00-05:00", "CAD") for ocid in ocids])
        )

        def handler(request: Request, body: bytes = body, first: bool = number == 0) -> Reply:
            if first and next(cut, False):
                return Reply(200, {"Content-Type": "application/json"}, body[: len(body) // 2])
            return Reply(200, {"Content-Type": "application/json"}, body)

        route(server, url, handler)
    return Expected(3, 0, 3, checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%mensuel%'",))


# Nepal: Dhangadhi


def nepal_dhangadhi(server: LocalServer) -> Expected:
    # From 2022-08-01 to 2023-08-01: fiscal years 2079-80 (a package) and 2080-81 (a redirect to the login page).
    base = "https://admin.ims.susasan.org/ocds/json"
    url = f"{base}/dhangadhi-2079-80.json"
    body = package(
        "Dhangadhi", url, [release(f"ocds-dh-2079-{n}", "tender", "2022-09-01T00:00:00+05:45", "NPR") for n in (1, 2)]
    )
    route(server, url, always(Reply.json(body)))
    login = Reply(302, {"Location": "https://admin.ims.susasan.org/login"}, b"")
    route(server, f"{base}/dhangadhi-2080-81.json", always(login))
    route(
        server,
        "https://admin.ims.susasan.org/login",
        always(Reply(200, {"Content-Type": "text/html"}, b"<html>login</html>")),
    )
    return Expected(
        2,
        0,
        2,
        notes={"fiscal_year_not_published"},
        checks=("SELECT count(*) = 0 FROM crawl_file WHERE url LIKE '%/login'",),
    )


# India: Himachal Pradesh


HP_REPOSITORY = "CivicDataLab/himachal-pradesh-health-procurement-OCDS"


def hp_workbook(rows: list[list[Any]]) -> bytes:
    """A workbook in flattentool's layout, with the package metadata in a vertical Meta sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    meta = workbook.active
    meta.title = "Meta"
    for row in (("uri", "https://example.org/hp.json"), ("publishedDate", "2020-05-01T00:00:00Z"), ("version", "1.1")):
        meta.append(row)
    sheet = workbook.create_sheet("releases")
    sheet.append(
        [
            "ocid",
            "id",
            "date",
            "tag",
            "initiationType",
            "tender/id",
            "tender/title",
            "tender/value/amount",
            "tender/value/currency",
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def india_himachal_pradesh(server: LocalServer) -> Expected:
    # The tree lists a workbook, a README and a folder; the workbook's github.com URL redirects to
    # raw.githubusercontent.com.
    tree = {
        "sha": "abc",
        "truncated": False,
        "tree": [
            {"path": "README.md", "type": "blob"},
            {"path": "data", "type": "tree"},
            {"path": "HP_health_2019-20.xlsx", "type": "blob"},
        ],
    }
    route(server, f"https://api.github.com/repos/{HP_REPOSITORY}/git/trees/master", always(Reply.json(tree)))
    raw = f"https://raw.githubusercontent.com/{HP_REPOSITORY}/master/HP_health_2019-20.xlsx"
    route(
        server,
        f"https://github.com/{HP_REPOSITORY}/raw/master/HP_health_2019-20.xlsx",
        always(Reply(302, {"Location": raw}, b"")),
    )
    rows = [
        ["ocds-hp-1", "1", "2020-01-02T00:00:00Z", "tender", "tender", "T1", "Gloves", 100, "INR"],
        ["ocds-hp-2", "2", "2020-01-03T00:00:00Z", "tender", "tender", "T2", "Masks", 200, "INR"],
    ]
    xlsx = "application/octet-stream"
    route(server, raw, always(Reply(200, {"Content-Type": xlsx}, hp_workbook(rows))))
    # the Meta sheet's rows are not releases
    return Expected(2, 0, 2, notes={"meta_sheet_left_out"})


REPLAYS: dict[str, Replay] = {
    "canada_quebec_seao": Replay(
        canada_quebec_seao,
        {"from_date": "2024-01-01", "until_date": "2024-01-31"},
        hits={
            "/www.donneesquebec.ca"
            + QUEBEC.removeprefix("https://www.donneesquebec.ca")
            + "/a1/download/hebdo_20240101_20240107.json": 2
        },
    ),
    "nepal_dhangadhi": Replay(nepal_dhangadhi, {"from_date": "2022-08-01", "until_date": "2023-08-01"}),
    "india_himachal_pradesh": Replay(india_himachal_pradesh),
}
