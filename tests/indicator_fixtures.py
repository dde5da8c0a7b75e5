"""Hand-built OCDS processes for the indicator, red flag and quality tests, loaded through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aggregator.cli.main import app

runner = CliRunner()
PUBLISHER = "handbuilt"
COUNTRY = "XZ"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def day(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def org(identifier: str, name: str, roles: list[str]) -> dict[str, Any]:
    return {"id": identifier, "name": name, "roles": roles, "identifier": {"scheme": "GB-COH", "id": identifier[-8:]}}


def ref(party: dict[str, Any]) -> dict[str, str]:
    return {"id": party["id"], "name": party["name"]}


BUYER = org("GB-COH-00000001", "Buyer One", ["buyer"])
SUPPLIERS = [org(f"GB-COH-1000000{n}", f"Supplier {n}", ["tenderer", "supplier"]) for n in range(4)]


def process(
    ocid: str,
    method: str,
    start: datetime | None,
    tender_days: float | None = None,
    tenderers: int | None = None,
    award: tuple[int, float] | None = None,
    contract_value: float | None = None,
    bids: list[tuple[int, float, str]] | None = None,
) -> dict[str, Any]:
    """One release: its tender (method, period, tenderers), one award (supplier index, USD amount) after the
    tender's end, a contract for it, and bids (supplier index, amount, status)."""
    released = start or datetime(2023, 5, 1)
    tender: dict[str, Any] = {"id": f"{ocid}-tender", "procurementMethod": method, "status": "complete"}
    if start is not None and tender_days is not None:
        tender["tenderPeriod"] = {"startDate": day(start), "endDate": day(start + timedelta(days=tender_days))}
    if tenderers is not None:
        tender["numberOfTenderers"] = tenderers
    parties = [BUYER, *SUPPLIERS]
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": day(released),
        "tag": ["award"],
        "initiationType": "tender",
        "parties": parties,
        "buyer": ref(BUYER),
        "tender": tender,
    }
    if award is not None:
        awarded = released + timedelta(days=(tender_days or 0) + 5)
        release |= award_and_contract(ocid, awarded, award, contract_value)
    if bids:
        release["bids"] = {"details": [bid(f"{ocid}-b{n}", *details) for n, details in enumerate(bids, 1)]}
    return release


def award_and_contract(
    ocid: str, awarded: datetime, award: tuple[int, float], contract_value: float | None
) -> dict[str, Any]:
    supplier, amount = award
    value = {"amount": amount, "currency": "USD"}
    result: dict[str, Any] = {
        "awards": [
            {"id": f"{ocid}-a1", "status": "active", "date": day(awarded), "suppliers": [ref(SUPPLIERS[supplier])]}
            | {"value": value}
        ]
    }
    if contract_value is not None:
        signed = day(awarded + timedelta(days=3))
        contract = {"id": f"{ocid}-c1", "awardID": f"{ocid}-a1", "status": "active", "dateSigned": signed}
        result["contracts"] = [contract | {"value": {"amount": contract_value, "currency": "USD"}}]
    return result


def bid(identifier: str, supplier: int, amount: float, status: str) -> dict[str, Any]:
    return {
        "id": identifier,
        "status": status,
        "tenderers": [ref(SUPPLIERS[supplier])],
        "value": {"amount": amount, "currency": "USD"},
    }


def load(tmp_path: Path, releases: list[dict[str, Any]], publisher: str = PUBLISHER) -> None:
    path = tmp_path / f"{publisher}.json"
    package = {
        "uri": "https://example.org",
        "publishedDate": "2024-01-01T00:00:00Z",
        "version": "1.1",
        "releases": releases,
    }
    path.write_text(json.dumps(package), encoding="utf-8")
    invoke("load", str(path), "--publisher", publisher, "--country", COUNTRY, "--workers", "1")
    invoke("compile", "--publisher", publisher, "--workers", "1")
