"""Replays of new countries' publishers (issue 15) without data in ``../shared/data/publishers``: Albania, Bulgaria,
Germany, Croatia, Malta, Zambia; each from a small fixture shaped as kingfisher-collect's spider for it reads the
publisher (see each spider's ``facts_from``). Brazil, Indonesia and Malawi are in ``new_a_more.py``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replaying import Expected, Replay, route, zip_reply
from tests.replays.africa_asia import (
    EGP_SERVICES,
    egp_month,
    egp_portal,
    egp_zip,
    package_metadata,
    record_package,
    release,
    release_package,
)

# Albania: KPP, one POST a year

KPP = "https://kpp.al/api/public/Decision/getBulkJsonByYear"


def albania_kpp(server: LocalServer) -> Expected:
    # 2022 and 2023 asked (from_date, until_date), each by a POST whose conditions bound the decisions' dates;
    # 2023 has no decisions: a package whose releases are empty. A body without the conditions is refused (400).
    served = [release(f"ocds-kpp001-2022-{n}", n, f"2022-0{n}-15T00:00:00Z", "award", "ALL") for n in (1, 2, 3)]
    metadata = package_metadata("Komisioni i Prokurimit Publik", "https://kpp.al/api/public/Decision")

    def year(request: Request) -> Reply:
        try:
            conditions = orjson.loads(request.body)["extraConditions"]
            (_, low, start), (_, high, after) = conditions
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            return Reply.json({"error": "bad request"}, 400)
        if request.method != "POST" or (low, high) != (">=", "<="):
            return Reply.json({"error": "bad request"}, 400)
        releases = served if (start, after) == ("1/1/2022", "1/1/2023") else []
        return Reply.json({"result": release_package(metadata, releases)})

    route(server, KPP, year)
    return Expected(len(served), 0, len(served))


# Bulgaria: data.egov.bg, a search, a download token, a zip

EGOV = "https://data.egov.bg"


def bulgaria_ppa(server: LocalServer) -> Expected:
    # The search (POST, the PPA's organization) lists two datasets; each answers a token, each token a zip of two
    # release packages. The search refuses a GET; a token serves once.
    metadata = package_metadata("Агенция по обществени поръчки", f"{EGOV}/organisation/aop")
    uris = ["27b344eb-da25-4974-ac37-2a4b8435702a", "9c1f0a52-4f3e-4c49-9d0e-3f5d9a0e8b17"]
    zips = {}
    for number in range(len(uris)):
        members = {
            f"ocds-{part}.json": orjson.dumps(
                release_package(
                    metadata, [release(f"ocds-bg0001-{number}-{part}", part, "2024-03-01", "tender", "BGN")]
                )
            )
            for part in (1, 2)
        }
        zips[f"token-{number}"] = zip_bytes(members)

    def search(request: Request) -> Reply:
        criteria = orjson.loads(request.body or b"{}").get("criteria", {}) if request.method == "POST" else None
        if not criteria or criteria.get("org_ids") != [502]:
            return Reply.json({"success": False, "errors": {"criteria": "missing"}}, 400)
        return Reply.json({"success": True, "total_records": 2, "datasets": [{"uri": uri} for uri in uris]})

    route(server, f"{EGOV}/api/listDatasets", search)
    for number, uri in enumerate(uris):
        token = f"token-{number}"
        route(server, f"{EGOV}/dataset/{uri}/resources/download/json", lambda request, t=token: Reply.json({"uri": t}))
        route(
            server,
            f"{EGOV}/dataset/resources/download/zip/json/{token}/false",
            lambda request, b=zips[token]: zip_reply(b) if server.hits[request.path] == 1 else Reply(404),
        )
    return Expected(4, 0, 4)


# Germany: oeffentlichevergabe.de, a zip a month

NOTICES = "https://www.oeffentlichevergabe.de/api/notice-exports"


def germany_oeffentlichevergabe(server: LocalServer) -> Expected:
    # January and February 2023 asked; each month's zip holds one release package per notice.
    metadata = package_metadata("Bekanntmachungsservice", "https://www.oeffentlichevergabe.de")
    months = {
        "2023-01": [
            release(f"ocds-de0001-1-{n}", n, f"2023-01-{10 + n}T08:00:00+01:00", "tender", "EUR") for n in (1, 2)
        ],
        "2023-02": [
            release(f"ocds-de0001-2-{n}", n, f"2023-02-{10 + n}T08:00:00+01:00", "award", "EUR") for n in (1, 2, 3)
        ],
    }

    def export(request: Request) -> Reply:
        month = request.query.get("pubMonth", [""])[0]
        if request.query.get("format") != ["ocds.zip"] or month not in months:
            return Reply.json({"status": 400, "detail": "invalid pubMonth or format"}, 400)
        members = {f"{r['id']}.json": orjson.dumps(release_package(metadata, [r])) for r in months[month]}
        disposition = f'attachment; filename="notice-export-{month}.ocds.zip"'
        return Reply(200, {"Content-Type": "application/zip", "Content-Disposition": disposition}, zip_bytes(members))

    route(server, NOTICES, export)
    count = sum(len(releases) for releases in months.values())
    return Expected(count, 0, count)


# Croatia: EOJN, an ASP.NET page, a postback per file

EOJN = "https://eojn.nn.hr/SPIN/application/ipn/Oglasnik/PreuzimanjeUgovoraOCD.aspx"
EOJN_TARGETS = {"ctl00$ContentPlaceHolder1$lnk2023": 2023, "ctl00$ContentPlaceHolder1$lnk2024": 2024}


def eojn_page() -> str:
    links = "".join(
        f'<tr><td><a id="{target.replace("$", "_")}" href="javascript:__doPostBack(&#39;{target}&#39;,&#39;&#39;)">'
        f"OCDS_{year}.zip</a></td></tr>"
        for target, year in EOJN_TARGETS.items()
    )
    return (
        "<!DOCTYPE html><html><head><title>Preuzimanje ugovora OCDS</title></head><body>"
        '<form method="post" action="./PreuzimanjeUgovoraOCD.aspx" id="form1">'
        '<div class="aspNetHidden"><input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />'
        '<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />'
        '<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="dDwtMTA4MDk2NDk7Oz4=" /></div>'
        '<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATEGENERATOR" value="A1B2C3D4" />'
        '<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="/wEdAAOq" /></div>'
        f'<table class="files">{links}</table>'
        '<input type="submit" name="ctl00$btnSearch" value="Traži" /></form></body></html>'
    )


def croatia_eojn(server: LocalServer) -> Expected:
    # The page's form names two files; each is a postback answered with a zip. The portal checks the form's state
    # (__VIEWSTATE, __EVENTVALIDATION) and refuses a postback that clicks the search button.
    metadata = package_metadata("Narodne novine d.d.", "https://eojn.nn.hr")
    zips = {
        year: zip_bytes(
            {
                f"OCDS_{year}.json": orjson.dumps(
                    release_package(
                        metadata,
                        [release(f"ocds-hr0001-{year}-{n}", n, f"{year}-05-0{n}", "award", "EUR") for n in (1, 2)],
                    )
                )
            }
        )
        for year in EOJN_TARGETS.values()
    }

    def page(request: Request) -> Reply:
        if request.method == "GET":
            return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, eojn_page().encode())
        form = {key: values[0] for key, values in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        valid = form.get("__VIEWSTATE") and form.get("__EVENTVALIDATION") and "ctl00$btnSearch" not in form
        year = EOJN_TARGETS.get(form.get("__EVENTTARGET", ""))
        if not valid or year is None:
            return Reply(500, {"Content-Type": "text/html"}, b"<html><body>Runtime Error</body></html>")
        disposition = f"attachment; filename=OCDS_{year}.zip"
        return Reply(
            200, {"Content-Type": "application/x-zip-compressed", "Content-Disposition": disposition}, zips[year]
        )

    route(server, EOJN, page)
    return Expected(4, 0, 4)


# Malta and Zambia: European Dynamics' e-PPS, as Ghana's and Liberia's


def malta_epps(server: LocalServer) -> Expected:
    portal = "http://demowww.etenders.gov.mt"
    months = [(2019, 10), (2019, 11)]
    metadata = package_metadata("Department of Contracts", f"{portal}{EGP_SERVICES}")
    served = {month: egp_month("ocds-tfvrgt-", *month, "EUR") for month in months}
    egp_portal(server, portal, months, {m: egp_zip(m, record_package(metadata, r)) for m, r in served.items()})
    # The portal is on plain HTTP: its list names the months on its own host, with that scheme.
    listed = [f"{portal}{EGP_SERVICES}/getrecordpackage/{y}/{m}" for y, m in months]
    list_url = f"{portal}{EGP_SERVICES}/getrecordpackagelist"
    route(server, list_url, lambda request: Reply.json({"packagesPerMonth": listed}))
    releases = [r for month in served.values() for r in month]
    ocids = {r["ocid"] for r in releases}
    return Expected(len(releases), len(ocids), len(ocids))


def zambia_zppa(server: LocalServer) -> Expected:
    # OCDS 1.0: the record packages have no version. Three months listed; the dates keep two.
    portal = "https://www.zppa.org.zm"
    months = [(2016, 7), (2016, 8), (2016, 9)]
    metadata = package_metadata("Zambia Public Procurement Authority", f"{portal}{EGP_SERVICES}", version="1.0")
    served = {month: egp_month("ocds-rxy5jq-", *month, "ZMW") for month in months}
    egp_portal(server, portal, months, {m: egp_zip(m, record_package(metadata, r)) for m, r in served.items()})
    kept = [r for month in [(2016, 8), (2016, 9)] for r in served[month]]
    ocids = {r["ocid"] for r in kept}
    return Expected(len(kept), len(ocids), len(ocids))


def _query(path: str, **conditions: Any) -> tuple[str, dict[str, str]]:
    return path, {key: str(value) for key, value in conditions.items()}


REPLAYS = {
    "albania_kpp": Replay(
        albania_kpp,
        {"from_date": "2022-01-01", "until_date": "2023-12-31"},
        hits={"/kpp.al/api/public/Decision/getBulkJsonByYear": 2},
    ),
    "bulgaria_ppa": Replay(
        bulgaria_ppa,
        hits={
            "/data.egov.bg/api/listDatasets": 1,
            "/data.egov.bg/dataset/resources/download/zip/json/token-0/false": 1,
            "/data.egov.bg/dataset/resources/download/zip/json/token-1/false": 1,
        },
    ),
    "germany_oeffentlichevergabe": Replay(
        germany_oeffentlichevergabe,
        {"from_date": "2023-01-01", "until_date": "2023-02-28"},
        requested=(
            _query("/www.oeffentlichevergabe.de/api/notice-exports", pubMonth="2023-01", format="ocds.zip"),
            _query("/www.oeffentlichevergabe.de/api/notice-exports", pubMonth="2023-02", format="ocds.zip"),
        ),
        hits={"/www.oeffentlichevergabe.de/api/notice-exports": 2},
    ),
    "croatia_eojn": Replay(
        croatia_eojn, hits={"/eojn.nn.hr/SPIN/application/ipn/Oglasnik/PreuzimanjeUgovoraOCD.aspx": 3}
    ),
    "malta_epps": Replay(malta_epps),
    "zambia_zppa": Replay(
        zambia_zppa,
        {"from_date": "2016-08-01"},
        hits={f"/www.zppa.org.zm{EGP_SERVICES}/getrecordpackage/2016/7": 0},
    ),
}
