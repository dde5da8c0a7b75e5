"""The sandbox publishers: realistic, deterministic data, served on 127.0.0.1 with their deliberate faults."""

import io
import itertools
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from aggregator.sandbox import SANDBOX_PUBLISHERS, SandboxServer
from aggregator.sandbox.generate import cached_records, cached_releases, generate_releases
from aggregator.sandbox.publishers import BID_EXTENSION
from aggregator.sandbox.server import RECORDS_PER_PAGE, RELEASES_PER_PAGE, bulk_zip
from tests.conftest import STANDARD

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
NATIONAL = ("xa", "xb", "xc")
SHARED_STANDARD = STANDARD
STAGES = {
    "planning": 0,
    "tender": 1,
    "tenderCancellation": 2,
    "tenderUpdate": 2,
    "award": 2,
    "contract": 3,
    "contractAmendment": 4,
}


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def get(url: str) -> Response:
    try:
        with OPENER.open(url, timeout=30) as response:
            return Response(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers["Content-Type"], error.read())


def crawl(url: str) -> tuple[list[dict[str, Any]], list[str], Response | None]:
    """Follow ``links.next`` from ``url``: the packages read, the URLs fetched, and the unreadable last response."""
    packages, urls = [], []
    while url:
        urls.append(url)
        response = get(url)
        assert response.status == 200, url
        try:
            package = response.json()
        except orjson.JSONDecodeError:
            return packages, urls, response
        packages.append(package)
        url = package.get("links", {}).get("next")
    return packages, urls, None


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as started:
        yield started


def processes(key: str) -> dict[str, list[dict[str, Any]]]:
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for release in cached_releases(key):
        by_ocid.setdefault(release.get("ocid", ""), []).append(release)
    by_ocid.pop("", None)
    return by_ocid


def tagged(key: str, stage_tag: str) -> list[dict[str, Any]]:
    """The releases of ``key`` carrying ``stage_tag`` (but not the faulty copy without ``ocid``)."""
    return [release for release in cached_releases(key) if stage_tag in release["tag"] and "ocid" in release]


def standard_schema(tag: str) -> dict[str, Any]:
    """The release schema of the OCDS standard if a local copy is around (tests never touch the internet)."""
    for directory in (os.environ.get("OCDS_ATLAS_STANDARD_URL", ""), str(SHARED_STANDARD)):
        archive = Path(directory) / f"{tag}.zip"
        if directory and "://" not in directory and archive.is_file():
            with zipfile.ZipFile(archive) as opened:
                member = min((m for m in opened.namelist() if m.endswith("schema/release-schema.json")), key=len)
                return orjson.loads(opened.read(member))
    pytest.skip("no local copy of the OCDS standard")


# Generation


def test_generation_is_deterministic() -> None:
    for publisher in SANDBOX_PUBLISHERS.values():
        first = orjson.dumps(generate_releases(publisher))
        assert first == orjson.dumps(generate_releases(publisher)) == orjson.dumps(cached_releases(publisher.key))
    assert generate_releases(SANDBOX_PUBLISHERS["xb_city"], seed=1) != cached_releases("xb_city")


def test_bulk_zip_bytes_are_deterministic(server: SandboxServer) -> None:
    assert get(f"{server.url}/xb/bulk.zip").body == bulk_zip.__wrapped__("xb", server.seed)


@pytest.mark.parametrize("key", SANDBOX_PUBLISHERS)
def test_processes_span_three_years(key: str) -> None:
    publisher = SANDBOX_PUBLISHERS[key]
    by_ocid = processes(key)
    assert len(by_ocid) == publisher.processes >= (200 if publisher.level == "city" else 1000)
    assert all(ocid.startswith(f"{publisher.ocid_prefix}-") for ocid in by_ocid)
    years = Counter(release["date"][:4] for release in tagged(key, "tender") if "date" in release)
    for year in ("2021", "2022", "2023"):
        assert years[year] > len(by_ocid) / 5


@pytest.mark.parametrize("key", SANDBOX_PUBLISHERS)
def test_releases_follow_the_stages(key: str) -> None:
    for ocid, releases in processes(key).items():
        assert len({release["id"] for release in releases}) == len(releases), ocid
        dated = sorted((release["date"], STAGES[release["tag"][-1]]) for release in releases if "date" in release)
        assert [stage for _, stage in dated] == sorted(stage for _, stage in dated), ocid
        assert len({moment for moment, _ in dated}) == len(dated), ocid
        assert all(release["initiationType"] == "tender" for release in releases)
    tags = Counter(tag for release in cached_releases(key) for tag in release["tag"])
    assert set(tags) == {
        "planning",
        "tender",
        "tenderUpdate",
        "tenderCancellation",
        "award",
        "contract",
        "contractAmendment",
    }
    statuses = Counter(release["tender"]["status"] for release in tagged(key, "tenderUpdate"))
    assert statuses["unsuccessful"] > 0 and statuses["complete"] > 0


@pytest.mark.parametrize("key", SANDBOX_PUBLISHERS)
def test_amendments_raise_and_lower_contract_values(key: str) -> None:
    changes = Counter()
    for releases in processes(key).values():
        values = [c["value"]["amount"] for r in releases for c in r.get("contracts", []) if c["id"].endswith("-1")]
        changes.update("up" if after > before else "down" for before, after in itertools.pairwise(values))
    assert changes["up"] > changes["down"] > 0


@pytest.mark.parametrize("key", NATIONAL)
def test_buyers_and_suppliers_recur(key: str) -> None:
    buyers = Counter(release["buyer"]["id"] for release in tagged(key, "tender"))
    assert 30 <= len(buyers) <= 60
    assert buyers.most_common(1)[0][1] > 0.08 * len(processes(key))  # a few big buyers
    suppliers = Counter(s["id"] for r in tagged(key, "award") for award in r["awards"] for s in award["suppliers"])
    tenderers = {t["id"] for r in tagged(key, "award") for t in r["tender"].get("tenderers", [])}
    assert 150 <= len(tenderers) <= 400
    assert sum(count >= 2 for count in suppliers.values()) > 0.6 * len(suppliers)
    assert suppliers.most_common(1)[0][1] >= 30


def test_a_country_shares_its_suppliers() -> None:
    national = {s["name"] for r in tagged("xb", "award") for a in r["awards"] for s in a["suppliers"]}
    city = {s["name"] for r in tagged("xb_city", "award") for a in r["awards"] for s in a["suppliers"]}
    assert len(national & city) > 20 and city - national


@pytest.mark.parametrize("key", SANDBOX_PUBLISHERS)
def test_procedures_and_numbers_of_tenderers(key: str) -> None:
    methods = Counter(release["tender"]["procurementMethod"] for release in tagged(key, "tender"))
    expected = {"open", "selective", "limited"} | (set() if key == "xb_city" else {"direct"})
    assert set(methods) == expected
    tenders = {r["ocid"]: r["tender"] for r in tagged(key, "tender")}
    competitive = [
        r["tender"]["numberOfTenderers"]
        for r in tagged(key, "award")
        if tenders[r["ocid"]]["procurementMethod"] in ("open", "selective")
    ]
    single = competitive.count(1) / len(competitive)
    assert 0.05 < single < 0.4 and max(competitive) >= 5
    for release in tagged(key, "award"):
        tender = release["tender"]
        assert tender.get("numberOfTenderers", 1) == len(tender.get("tenderers", [None]))
    days = [days_between(t["tenderPeriod"]) for t in tenders.values() if t["procurementMethod"] == "open"]
    assert 0.05 < sum(day < 15 for day in days) / len(days) < 0.3


def days_between(period: dict[str, str]) -> int:
    return (datetime.fromisoformat(period["endDate"]) - datetime.fromisoformat(period["startDate"])).days


@pytest.mark.parametrize("key", SANDBOX_PUBLISHERS)
def test_languages_and_classifications(key: str) -> None:
    publisher = SANDBOX_PUBLISHERS[key]
    tenders = [release["tender"] for release in tagged(key, "tender")]
    assert {release["language"] for release in cached_releases(key)} == {publisher.country.language}
    assert {item["classification"]["scheme"] for t in tenders for item in t["items"]} == {publisher.classification}
    words = {"es": "Adquisición de ", "en": "Supply of ", "fr": "Fourniture de "}[publisher.country.language]
    assert any(t["title"].startswith(words) for t in tenders)


@pytest.mark.parametrize(
    ("key", "currencies"),
    [("xa", {"MXN", "USD"}), ("xb", {"GBP", "EUR", "USD"}), ("xc", {"EUR", "USD"}), ("xb_city", {"GBP"})],
)
def test_currencies(key: str, currencies: set[str]) -> None:
    used = Counter(a["value"]["currency"] for r in tagged(key, "award") for a in r["awards"] if "value" in a)
    assert set(used) == currencies
    assert used.most_common(1)[0][0] == SANDBOX_PUBLISHERS[key].currency


@pytest.mark.parametrize("key", NATIONAL)
def test_parties_match_references(key: str) -> None:
    identifiers = Counter()
    for release in cached_releases(key):
        parties = {party["id"]: party for party in release["parties"]}
        assert "buyer" in parties[release["buyer"]["id"]]["roles"]
        for award in release.get("awards", []):
            assert all("supplier" in parties[s["id"]]["roles"] for s in award["suppliers"])
        for tenderer in release.get("tender", {}).get("tenderers", []):
            assert "tenderer" in parties[tenderer["id"]]["roles"]
        for party in parties.values():
            scheme = party.get("identifier", {}).get("scheme", "none")
            identifiers[scheme if scheme == "none" or "-" in scheme else "free text"] += 1
    assert identifiers["none"] > 0 and identifiers["free text"] > 0
    assert sum(count for scheme, count in identifiers.items() if scheme.startswith("X")) > 0.9 * identifiers.total()


def test_xa_publishes_bids(server: SandboxServer) -> None:
    assert BID_EXTENSION in get(f"{server.url}/xa/releases?page=1").json()["extensions"]
    awards = tagged("xa", "award")
    assert all(("bids" in r) == ("numberOfTenderers" in r["tender"]) for r in awards)  # not for direct awards
    statuses = Counter(bid["status"] for r in awards if "bids" in r for bid in r["bids"]["details"])
    assert statuses["valid"] > statuses["disqualified"] > 0
    for release in (r for r in awards if "bids" in r):
        bids = release["bids"]
        statistics = {statistic["measure"]: statistic["value"] for statistic in bids["statistics"]}
        assert statistics["bids"] == len(bids["details"]) == release["tender"]["numberOfTenderers"]
    assert all("bids" not in release for key in ("xb", "xc") for release in cached_releases(key))


def test_xb_city_is_ocds_1_0(server: SandboxServer) -> None:
    package = get(f"{server.url}/xb_city/releases?page=1").json()
    assert "version" not in package and "extensions" not in package
    for release in cached_releases("xb_city"):
        assert "parties" not in release
        assert "id" not in release["buyer"] and {"identifier", "name"} <= set(release["buyer"])
        for award in release.get("awards", []):
            assert all("id" not in supplier and "name" in supplier for supplier in award["suppliers"])
        assert all("amendments" not in contract for contract in release.get("contracts", []))
    assert any("amendment" in c for r in tagged("xb_city", "contractAmendment") for c in r["contracts"])


@pytest.mark.parametrize(("key", "tag"), [("xa", "1__1__5"), ("xb_city", "1__0__3")])
def test_releases_are_valid_against_the_schema(key: str, tag: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft4Validator(standard_schema(tag))
    errors = [error.message for release in cached_releases(key)[::20] for error in validator.iter_errors(release)]
    assert errors in ([], ["'date' is a required property"])  # xa's undated release is on the first page


def test_compiled_releases_match_ocdsmerge() -> None:
    ocdsmerge = pytest.importorskip("ocdsmerge")
    merger = ocdsmerge.Merger(schema=standard_schema("1__1__5"))
    for record in cached_records("xc")[::10]:
        assert merger.create_compiled_release(record["releases"]) == record["compiledRelease"]


# Server


def test_index_lists_entry_urls(server: SandboxServer) -> None:
    response = get(f"{server.url}/")
    assert (response.status, response.content_type) == (200, "application/json")
    entries = {entry["key"]: entry for entry in response.json()["publishers"]}
    assert set(entries) == set(SANDBOX_PUBLISHERS)
    assert entries["xb_city"]["ocdsVersion"] == "1.0" and entries["xb"]["country"] == "XB"
    for entry in entries.values():
        assert entry["url"].startswith(f"{server.url}/{entry['key']}/")


def test_xa_pages_and_faults(server: SandboxServer) -> None:
    faults = SANDBOX_PUBLISHERS["xa"].faults
    packages, urls, unreadable = crawl(f"{server.url}/xa/releases?page=1")
    releases = cached_releases("xa")
    assert len(urls) == -(-len(releases) // RELEASES_PER_PAGE) == len(packages) + 1
    assert unreadable is not None and unreadable.status == 200 and unreadable.body.startswith(b'{"uri":')
    assert packages[-1]["links"]["next"] == urls[-1]
    read = [release for package in packages for release in package["releases"]]
    assert read == releases[: len(read)] and len(read) == (len(packages)) * RELEASES_PER_PAGE
    undated = [release for release in read if "date" not in release]
    assert [(r["ocid"], r["id"]) for r in undated] == [(faults.undated_ocid, faults.undated_release_id)]


def test_xb_city_pages_reach_every_release(server: SandboxServer) -> None:
    packages, urls, unreadable = crawl(f"{server.url}/xb_city/releases?page=1")
    assert unreadable is None and urls[-1] == f"{server.url}/xb_city/releases?page={len(packages)}"
    assert [release for package in packages for release in package["releases"]] == cached_releases("xb_city")
    assert all(len(package["releases"]) == RELEASES_PER_PAGE for package in packages[:-1])


@pytest.mark.parametrize(
    ("key", "since", "until"), [("xa", "2022-03-01", "2022-08-31"), ("xb_city", "2021-07-01", "2022-12-31")]
)
def test_date_filters(server: SandboxServer, key: str, since: str, until: str) -> None:
    packages, urls, unreadable = crawl(f"{server.url}/{key}/releases?from={since}&until={until}&page=1")
    assert unreadable is None and len(packages) > 1  # filtered listings are served whole, even xa's
    assert all(f"from={since}&until={until}" in url for url in urls)
    read = [release for package in packages for release in package["releases"]]
    expected = [r for r in cached_releases(key) if since <= r.get("date", "")[:10] <= until]
    assert read == expected and read[0]["date"] >= since and read[-1]["date"][:10] == until
    later = get(f"{server.url}/{key}/releases?from=2023-06-01").json()["releases"]
    assert later and all("date" in release and release["date"] >= "2023-06-01" for release in later)
    assert get(f"{server.url}/{key}/releases?from=2030-01-01").json()["releases"] == []


def test_xb_bulk_zip(server: SandboxServer) -> None:
    faults = SANDBOX_PUBLISHERS["xb"].faults
    response = get(f"{server.url}/xb/bulk.zip")
    assert (response.status, response.content_type) == (200, "application/zip")
    with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
        names = archive.namelist()
        assert names[0] == "README.txt" and b"Crown Purchasing Service" in archive.read("README.txt")
        lines = [orjson.loads(line) for name in names[1:] for line in archive.read(name).splitlines()]
        assert all(info.date_time == (2024, 2, 1, 9, 0, 0) for info in archive.infolist())
    assert names[1:] == ["releases-2021.jsonl", "releases-2022.jsonl", "releases-2023.jsonl", "releases-2024.jsonl"]
    assert lines == cached_releases("xb")
    without_ocid = [line for line in lines if "ocid" not in line]
    assert [line["id"] for line in without_ocid] == [faults.missing_ocid_release_id]
    original = next(
        line for line in lines if line.get("ocid") == faults.missing_ocid_source and "tender" in line["tag"]
    )
    assert without_ocid[0] == {key: value for key, value in original.items() if key != "ocid"}


def test_xc_records_fail_once_then_succeed() -> None:
    for _ in range(2):  # a fresh server behaves the same
        with SandboxServer() as fresh:
            assert get(f"{fresh.url}/xc/records?page=1").status == 200
            first = get(f"{fresh.url}/xc/records?page=2")
            assert (first.status, first.content_type) == (500, "application/json")
            assert get(f"{fresh.url}/xc/records?page=2").status == 200
            assert get(f"{fresh.url}/xc/records?page=2").status == 200


def test_xc_record_pages(server: SandboxServer) -> None:
    get(f"{server.url}/xc/records?page=2")  # the deliberate 500, so that the crawl below reads every page
    packages, urls, unreadable = crawl(f"{server.url}/xc/records?page=1")
    assert unreadable is None and len(urls) == -(-1050 // RECORDS_PER_PAGE)
    records = [record for package in packages for record in package["records"]]
    assert [record["ocid"] for record in records] == sorted(processes("xc"))
    assert all(package["version"] == "1.1" and package["publisher"]["uid"] for package in packages)
    for record in records[:50]:
        assert record["releases"] == processes("xc")[record["ocid"]]
        assert record["compiledRelease"]["tag"] == ["compiled"]


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/xa",
        "/xa/records?page=1",
        "/xb/releases?page=1",
        "/xc/bulk.zip",
        "/xb_city/bulk.zip",
        "/xa/releases?page=999",
        "/xc/records?page=999",
        "/xb/bulk.zip/extra",
    ],
)
def test_not_found(server: SandboxServer, path: str) -> None:
    response = get(f"{server.url}{path}")
    assert (response.status, response.content_type) == (404, "application/json")
    assert "error" in response.json()


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=abc",
        "page=-1",
        "page=1&page=2",
        "from=2022-13-01",
        "until=20220101",
        "from=2022-02-01&until=2022-01-01",
        "sample=10",
    ],
)
def test_bad_parameters(server: SandboxServer, query: str) -> None:
    response = get(f"{server.url}/xb_city/releases?{query}")
    assert response.status == 400 and "error" in response.json()
    assert get(f"{server.url}/xc/records?from=2022-01-01").status == 400


def test_server_lifecycle() -> None:
    server = SandboxServer()
    with pytest.raises(RuntimeError):
        server.url  # noqa: B018
    with server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        assert get(f"{server.url}/").status == 200
    server.stop()  # idempotent


def test_command_line_serves_until_interrupted() -> None:
    command = [sys.executable, "-m", "aggregator.sandbox", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            url = process.stdout.readline().split()[3].rstrip("/")
            assert get(f"{url}/").status == 200 and get(f"{url}/nope").status == 404
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
            assert process.stderr.read() == ""  # the server logs nothing
            assert "scrapy" not in process.stdout.read()
        finally:
            if process.poll() is None:  # a failure here (a SIGINT ignored) must not leave Popen's exit waiting forever
                process.kill()


def test_sandbox_never_imports_scrapy() -> None:
    code = "import sys, aggregator.sandbox.server; print(sorted(m for m in sys.modules if m.startswith('scrapy')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
