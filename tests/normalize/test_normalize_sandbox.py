"""The normalized layer on the sandbox publishers: every procedure mapped, messy identifiers keyed as clean ones."""

import re

import orjson
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import cached_releases
from aggregator.sandbox.organizations import supplier_pool

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def load_sandbox(key: str, directory) -> None:
    """The publisher's releases as one release package, loaded as its spider would name it."""
    publisher = SANDBOX_PUBLISHERS[key]
    releases = [release for release in cached_releases(key) if "ocid" in release]
    path = directory / f"{key}.json"
    path.write_bytes(orjson.dumps({"uri": f"https://sandbox.invalid/{key}", **publisher.package_metadata(),
                                   "releases": releases}))  # fmt: skip
    invoke("load", str(path), "--publisher", f"sandbox_{key}", "--country", publisher.country.code)


def test_sandbox_publishers(atlas_env, conn, tmp_path):
    load_sandbox("xa", tmp_path)
    load_sandbox("xb_city", tmp_path)
    assert "normalized" in invoke("compile")
    processes = conn.execute(
        "SELECT count(*) AS n, count(procedure_type) AS typed, count(procurement_method_details_raw) AS details "
        "FROM process"
    ).fetchone()
    assert processes["n"] == SANDBOX_PUBLISHERS["xa"].processes + SANDBOX_PUBLISHERS["xb_city"].processes
    # Every procurementMethodDetails is mapped; one process lacks it: its tender release is undated, so left out.
    assert processes["typed"] == processes["details"] == processes["n"] - 1
    codes = {row["code"] for row in conn.execute("SELECT code FROM note WHERE stage = 'normalize'")}
    assert not codes & {"procedure_unmapped", "scheme_unknown", "identifier_invalid", "currency_invalid"}

    # Suppliers published with a free-text scheme ("RFC") or a badly typed identifier get the clean key.
    pool = {org.party_id: org for org in supplier_pool(SANDBOX_PUBLISHERS["xa"].country, 20240201)}
    parties = conn.execute("SELECT party_id, org_key, method FROM process_party WHERE party_id LIKE 'XA-RFC-%%'")
    messy = 0
    for row in parties:
        assert (row["org_key"], row["method"]) == (row["party_id"], "identifier")
        organization = pool.get(row["party_id"])
        messy += bool(organization and organization.identifier != ("XA-RFC", row["party_id"][7:]))
    assert messy > 0
    # A supplier without identifier is keyed by its name within the country; the same supplier across processes.
    named = conn.execute(
        "SELECT org_key, method, processes FROM organization WHERE org_key LIKE 'name/XA/%%' ORDER BY processes DESC"
    ).fetchall()
    assert named and named[0]["processes"] > 1
    # Borealia's city: zero-stripped company numbers are padded again, so each supplier has one key.
    crn = "SELECT org_key FROM organization WHERE org_key LIKE 'XB-CRN-%%'"
    keys = [row["org_key"] for row in conn.execute(crn)]
    assert keys and all(re.fullmatch(r"XB-CRN-(\d{8}|SC\d{6})", key) for key in keys)

    # Amounts: pesos and pounds through the ECB, on the award's date.
    award = conn.execute(
        "SELECT * FROM award WHERE currency = 'MXN' AND amount IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()
    assert (award["rate_source"], award["reference_date_source"]) == ("ecb_daily", "award_date")
    assert award["amount_usd"] == round(award["amount"] / award["rate_usd"], 2)
    assert "normalized 0 compiled releases" in invoke("normalize")
