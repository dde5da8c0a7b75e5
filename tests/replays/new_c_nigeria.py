"""Replays of Nigerian publishers without data in ``../shared/data/publishers``, each from a small fixture built here
in the shape kingfisher-collect's spider for it reads: the federal NOCOPO portal's zip, and the Anambra and Osun
portals' tables of awarded contracts (Bon Maximus), one JSON file per OCID."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson

from tests.archive_bytes import zip_bytes
from tests.httpserver import LocalServer, Reply, Request
from tests.replay import local_path
from tests.replaying import Expected, Replay, route, zip_reply
from tests.replays.africa_asia import package_metadata, release, release_package

# NOCOPO: the federal portal

NOCOPO = "https://nocopo.bpp.gov.ng"
NOCOPO_ALL = f"{NOCOPO}/ocdsjson.ashx?ocid=all"
#: Where the meta refresh leads: kingfisher-collect says only that the page refreshes (the target is not written
#: down), so the replay puts the zip on the same host.
NOCOPO_ZIP = f"{NOCOPO}/Downloads/ocds-all.zip"


def nocopo_package(ocid: str, releases: list[dict[str, Any]]) -> bytes:
    metadata = package_metadata("Bureau of Public Procurement", f"{NOCOPO}/ocdsjson.ashx?ocid={ocid}")
    return orjson.dumps(release_package(metadata, releases))


def nigeria_portal(server: LocalServer) -> Expected:
    # The URL answers an HTML page whose meta refresh leads to the zip: three release packages (one per OCID, the
    # first with two releases) and one whose releases array is empty.
    ocids = [f"ocds-gfcoa8-{n}" for n in ("FMW-2021-0412", "FMH-2022-0077", "FME-2022-1130")]
    members = {
        f"{ocids[0]}.json": nocopo_package(
            ocids[0],
            [
                release(ocids[0], 1, "2021-04-12T09:00:00+01:00", "tender", "NGN"),
                release(ocids[0], 1, "2021-07-30T09:00:00+01:00", "award", "NGN"),
            ],
        ),
        f"{ocids[1]}.json": nocopo_package(
            ocids[1], [release(ocids[1], 2, "2022-02-01T09:00:00+01:00", "award", "NGN")]
        ),
        f"{ocids[2]}.json": nocopo_package(
            ocids[2], [release(ocids[2], 3, "2022-11-30T09:00:00+01:00", "tender", "NGN")]
        ),
        "ocds-gfcoa8-FMA-2023-0001.json": nocopo_package("ocds-gfcoa8-FMA-2023-0001", []),
    }
    archive = zip_bytes(members)
    refresh = (
        '<html><head><meta http-equiv="refresh" content="0;url=/Downloads/ocds-all.zip"></head>'
        "<body>Preparing the download…</body></html>"
    ).encode()
    route(server, NOCOPO_ALL, lambda request: Reply(200, {"Content-Type": "text/html; charset=utf-8"}, refresh))
    route(server, NOCOPO_ZIP, lambda request: zip_reply(archive))
    return Expected(4, 0, 3)


# Bon Maximus: Anambra and Osun


def contract_table(portal: str, ocids: list[str]) -> bytes:
    """The table of awarded contracts: a header row, then one row per contract whose second cell links it."""
    rows = "".join(
        f'<tr><td>{i}</td><td><a href="{portal}existing_award_details.php?id={ocid}">Contract {i}</a></td>'
        f"<td>Awarded</td></tr>"
        for i, ocid in enumerate(ocids, 1)
    )
    return (
        '<html><body><table id="contractTable" class="table"><thead><tr><th>S/N</th><th>Contract</th><th>Status</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></body></html>"
    ).encode()


def forbidden_first(handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """The portal answers 403 at times: the first request of this path is refused, the next one answered."""
    seen: Counter[str] = Counter()

    def guarded(request: Request) -> Reply:
        seen[request.path] += 1
        if seen[request.path] == 1:
            return Reply(403, {"Content-Type": "text/html"}, b"<html><body>403 Forbidden</body></html>")
        return handler(request)

    return guarded


def media(portal: str, ocid: str) -> str:
    """Where an OCID's file is: its slashes as underscores."""
    return f"{portal}media/{ocid.replace('/', '_')}.json"


def bon_maximus(server: LocalServer, portal: str, files: dict[str, bytes], flaky: str) -> None:
    """Route the table and each OCID's file (``files``: OCID to bytes as published); the path ``flaky`` answers 403
    once."""
    table = contract_table(portal, list(files))
    handlers: dict[str, Callable[[Request], Reply]] = {
        f"{portal}awarded_contracts.php": lambda request: Reply(200, {"Content-Type": "text/html"}, table)
    }
    for ocid, body in files.items():
        handlers[media(portal, ocid)] = lambda request, body=body: Reply(
            200, {"Content-Type": "application/json"}, body
        )
    for url, handler in handlers.items():
        route(server, url, forbidden_first(handler) if local_path(url) == flaky else handler)


def bon_maximus_package(portal: str, publisher: str, ocid: str, number: int, when: str) -> bytes:
    metadata = package_metadata(publisher, media(portal, ocid))
    return orjson.dumps(
        release_package(metadata, [release(ocid, number, when, "award", "NGN")]), option=orjson.OPT_INDENT_2
    )


ANAMBRA = "https://eprocure.bpp.an.gov.ng/"
ANAMBRA_OCIDS = ["ocds-xwwr9a-000211-AN/MOW/14", "ocds-xwwr9a-000212-AN/MOH/03", "ocds-xwwr9a-000215-AN/MOE/21"]
OSUN = "https://egp.osunstate.gov.ng/"
OSUN_OCIDS = ["ocds-xwwr9a-000103-OS/HLT/02", "ocds-xwwr9a-000117-OS/WKS/09"]


def nigeria_anambra_state(server: LocalServer) -> Expected:
    # Three awarded contracts; the second's file answers 403 once (retried); the third's is hand-made JSON with an
    # empty amount ("amount": ,), stored and noted but not loaded.
    publisher = "Anambra State Bureau of Public Procurement"
    files = {
        ocid: bon_maximus_package(ANAMBRA, publisher, ocid, n, f"2024-0{n}-20T10:00:00+01:00")
        for n, ocid in enumerate(ANAMBRA_OCIDS, 1)
    }
    files[ANAMBRA_OCIDS[2]] = files[ANAMBRA_OCIDS[2]].replace(b'"amount": 2700', b'"amount": ', 1)
    assert b'"amount": ,' in files[ANAMBRA_OCIDS[2]]
    bon_maximus(server, ANAMBRA, files, media_path(ANAMBRA, ANAMBRA_OCIDS[1]))
    return Expected(2, 0, 2, notes={"invalid_json"})


def nigeria_osun_state(server: LocalServer) -> Expected:
    # The table answers 403 once (retried); two awarded contracts, the second's file with "quantity": LOT (invalid
    # JSON, noted).
    publisher = "Osun State Bureau of Public Procurement"
    files = {
        ocid: bon_maximus_package(OSUN, publisher, ocid, n, f"2023-1{n}-05T10:00:00+01:00")
        for n, ocid in enumerate(OSUN_OCIDS, 1)
    }
    files[OSUN_OCIDS[1]] = files[OSUN_OCIDS[1]].replace(b'"tender": {', b'"tender": {\n    "quantity": LOT,', 1)
    bon_maximus(server, OSUN, files, local_path(f"{OSUN}awarded_contracts.php"))
    return Expected(1, 0, 1, notes={"invalid_json"})


def media_path(portal: str, ocid: str) -> str:
    return local_path(media(portal, ocid))


REPLAYS: dict[str, Replay] = {
    "nigeria_portal": Replay(nigeria_portal, hits={local_path(NOCOPO_ALL): 1, local_path(NOCOPO_ZIP): 1}),
    "nigeria_anambra_state": Replay(
        nigeria_anambra_state,
        hits={
            local_path(f"{ANAMBRA}awarded_contracts.php"): 1,
            media_path(ANAMBRA, ANAMBRA_OCIDS[0]): 1,
            media_path(ANAMBRA, ANAMBRA_OCIDS[1]): 2,
            media_path(ANAMBRA, ANAMBRA_OCIDS[2]): 1,
        },
    ),
    "nigeria_osun_state": Replay(
        nigeria_osun_state,
        hits={local_path(f"{OSUN}awarded_contracts.php"): 2, **{media_path(OSUN, ocid): 1 for ocid in OSUN_OCIDS}},
    ),
}
