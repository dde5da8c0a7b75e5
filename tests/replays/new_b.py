"""Replays of new publishers (NL, TH, US-OR, XK, ZA), each from small fixtures built here in the shape the publisher
answers (as kingfisher-collect's spider of the same publisher reads it), with the publisher's quirks."""

from __future__ import annotations

from typing import Any

from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route


def release(ocid: str, day: str, number: int = 1, tag: str = "tender") -> dict[str, Any]:
    buyer = {"id": "buyer-1", "name": "Buyer"}
    return {
        "ocid": ocid,
        "id": f"{ocid}-{number:02d}",
        "date": f"{day}T09:00:00Z",
        "tag": [tag],
        "initiationType": "tender",
        "buyer": buyer,
        "parties": [{**buyer, "roles": ["buyer"]}],
        "tender": {"id": ocid.rsplit("-", 1)[-1], "status": "active"},
    }


def package(uri: str, releases: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "version": "1.1", "publishedDate": "2024-06-01T00:00:00Z", "releases": releases, **extra}


def html(body: str, status: int = 200) -> Reply:
    return Reply(status, {"Content-Type": "text/html; charset=utf-8"}, f"<html><body>{body}</body></html>".encode())


# Netherlands: TenderNed


TENDERNED = "https://www.tenderned.nl/cms"


def netherlands_tenderned(server: LocalServer) -> Expected:
    # The datasets page: the article lists a JSON file a year (in folders named by their upload month) and a
    # spreadsheet; the menu's JSON link is outside the article. 2022 and 2023 are asked for.
    files = {
        year: f"{TENDERNED}/sites/default/files/{2023 if year < 2023 else 2024}-04/{year}.json"
        for year in (2021, 2022, 2023)
    }
    items = "".join(f'<li><a href="{url}">Dataset {year} (JSON)</a></li>' for year, url in files.items())
    items += f'<li><a href="{TENDERNED}/sites/default/files/2024-04/datasets.xlsx">Excel</a></li>'
    page = f'<nav><ul><li><a href="{TENDERNED}/menu.json">menu</a></li></ul></nav><article><ul>{items}</ul></article>'
    route(server, f"{TENDERNED}/nl/aanbesteden-in-cijfers/datasets-aanbestedingen", lambda request: html(page))
    for year, url in files.items():
        releases = [release(f"ocds-tenderned-{year}{i}", f"{year}-0{i}-15") for i in (1, 2, 3)]
        body = package(url, releases)
        route(server, url, lambda request, body=body: Reply.json(body))
    return Expected(6, 0, 6, checks=("SELECT count(*) = 2 FROM crawl_file WHERE url LIKE '%.json'",))


# Thailand: Bangkok


BANGKOK = "https://opencontract.bangkok.go.th/assets/data/output/yearly"


def thailand_bangkok(server: LocalServer) -> Expected:
    # Files named by the Buddhist-era year (2566 is 2023); without a browser User-Agent, Cloudflare's challenge.
    # The 2024 file holds a release of 2025 (its last day's releases are published early in January).
    def handler(request: Request) -> Reply:
        if "Mozilla" not in request.headers.get("User-Agent", ""):
            return html("<title>Just a moment...</title>", 403)
        year = int(request.path.rsplit("_", 1)[1].removesuffix(".json")) - 543
        releases = [release(f"ocds-bma-{year}-{i}", f"{year}-0{i}-01") for i in (1, 2)]
        if year == 2024:
            releases.append(release("ocds-bma-2025-1", "2025-01-02"))
        return Reply.json(package(f"{BANGKOK}/ocds_releases_{year + 543}.json", releases))

    for year in (2566, 2567):
        route(server, f"{BANGKOK}/ocds_releases_{year}.json", handler)
    return Expected(4, 0, 4, notes={"release_outside_date_range"})


# United States: City of Portland


PORTLAND = "https://www.portland.gov/business-opportunities/ocds/ocds-data-publication"
FOLDER = "https://drive.google.com/drive/folders/1PdxOcdsFolder"


def portland_records() -> dict[str, Any]:
    records = []
    for number in (1, 2, 3):
        ocid = f"ocds-portland-{number}"
        releases = [release(ocid, "2023-05-01"), release(ocid, "2023-06-01", 2, "award")]
        records.append({"ocid": ocid, "releases": releases})
    return {"uri": PORTLAND, "version": "1.1", "publishedDate": "2024-01-05T00:00:00Z", "records": records}


def united_states_portland(server: LocalServer) -> Expected:
    # The city's page links the Drive folder; the folder's rows list a PDF and the JSON file; uc?export=download
    # answers Google's "too large to scan" page, whose form leads to the file on drive.usercontent.google.com.
    page = f'<p>Download the <a href="{FOLDER}?usp=sharing">latest data</a>.</p>'
    route(server, PORTLAND, lambda request: html(page))
    rows = (
        '<table><tr data-id="1guide"><td>OCDS guide.pdf</td></tr>'
        '<tr data-id="1records"><td>portland_ocds_2024.json</td></tr></table>'
    )
    route(server, FOLDER, lambda request: html(rows))
    form = (
        "<p>portland_ocds_2024.json (58M) is too large for Google to scan for viruses. Would you still like to "
        'download this file?</p><form id="download-form" action="https://drive.usercontent.google.com/download" '
        'method="get"><input type="submit" value="Download anyway"><input type="hidden" name="id" value="1records">'
        '<input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t">'
        '<input type="hidden" name="uuid" value="7b1e"></form>'
    )

    def confirm(request: Request) -> Reply:
        assert request.query == {"export": ["download"], "id": ["1records"]}
        return html(form)

    route(server, "https://drive.google.com/uc", confirm)

    def download(request: Request) -> Reply:
        assert request.query["confirm"] == ["t"] and request.query["uuid"] == ["7b1e"]
        return Reply.json(portland_records(), **{"Content-Disposition": 'attachment; filename="portland.json"'})

    route(server, "https://drive.usercontent.google.com/download", download)
    return Expected(6, 3, 3, checks=("SELECT count(*) = 1 FROM crawl_file WHERE url LIKE '%usercontent%'",))


# Kosovo: PPRC


KRPP = "https://ocdskrpp.rks-gov.net/krppapi/tenderrelease"


def kosovo_pprc(server: LocalServer) -> Expected:
    # One request a day of tender end dates; 2024-03-02 has none: a package with an empty releases array.
    def handler(request: Request) -> Reply:
        day = request.query["endDateFrom"][0]
        releases = [] if day == "2024-03-02" else [release(f"ocds-3n5h6d-{day}-{i}", day) for i in (1, 2)]
        return Reply.json(package(KRPP, releases))

    route(server, KRPP, handler)
    return Expected(4, 0, 4)


# South Africa: eTenders


ETENDERS = "https://ocds-api.etenders.gov.za/api/OCDSReleases"


def south_africa_etenders_api(server: LocalServer) -> Expected:
    # Two 7-day windows (the second cut at until_date); the first has two pages of 50 (here 2 and 1), linked by
    # links.next with PageNumber; the second window is empty. The last page's links have no next.
    def handler(request: Request) -> Reply:
        start, end = request.query["dateFrom"][0], request.query["dateTo"][0]
        page = int(request.query["PageNumber"][0])
        if start != "2024-01-01":
            return Reply.json(package(ETENDERS, [], links={}))
        releases = [release(f"ocds-9t57fa-{page}{i}", "2024-01-0" + str(page + i)) for i in range(3 - page)]
        links = {"next": f"{ETENDERS}?PageNumber=2&PageSize=50&dateFrom={start}&dateTo={end}"} if page == 1 else {}
        return Reply.json(package(ETENDERS, releases, links=links))

    route(server, ETENDERS, handler)
    return Expected(3, 0, 3)


REPLAYS: dict[str, Replay] = {
    "netherlands_tenderned": Replay(
        netherlands_tenderned,
        {"from_date": "2022-01-01", "until_date": "2023-12-31"},
        requested=(("/www.tenderned.nl/cms/sites/default/files/2024-04/2023.json", {}),),
        hits={"/www.tenderned.nl/cms/sites/default/files/2023-04/2021.json": 0},
    ),
    "thailand_bangkok": Replay(
        thailand_bangkok,
        {"from_date": "2023-01-01", "until_date": "2024-12-31"},
        hits={
            f"/opencontract.bangkok.go.th/assets/data/output/yearly/ocds_releases_{year}.json": 1
            for year in (2566, 2567)
        },
    ),
    "united_states_portland": Replay(united_states_portland),
    "kosovo_pprc": Replay(
        kosovo_pprc,
        {"from_date": "2024-03-01", "until_date": "2024-03-03"},
        requested=tuple(
            ("/ocdskrpp.rks-gov.net/krppapi/tenderrelease", {"endDateFrom": a, "endDateEnd": b})
            for a, b in (("2024-03-01", "2024-03-02"), ("2024-03-02", "2024-03-03"), ("2024-03-03", "2024-03-04"))
        ),
        hits={"/ocdskrpp.rks-gov.net/krppapi/tenderrelease": 3},
    ),
    "south_africa_etenders_api": Replay(
        south_africa_etenders_api,
        {"from_date": "2024-01-01", "until_date": "2024-01-10"},
        requested=(
            ("/ocds-api.etenders.gov.za/api/OCDSReleases", {"dateFrom": "2024-01-01", "dateTo": "2024-01-08"}),
            ("/ocds-api.etenders.gov.za/api/OCDSReleases", {"PageNumber": "2", "dateFrom": "2024-01-01"}),
            ("/ocds-api.etenders.gov.za/api/OCDSReleases", {"dateFrom": "2024-01-08", "dateTo": "2024-01-11"}),
        ),
        hits={"/ocds-api.etenders.gov.za/api/OCDSReleases": 3},
    ),
}
