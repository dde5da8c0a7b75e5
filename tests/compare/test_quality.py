"""Field coverage and consistency checks per publisher: passing and failing, with failing OCIDs as examples."""

from __future__ import annotations

import json
from datetime import datetime

from tests.indicator_fixtures import PUBLISHER, invoke, load, process

START = datetime(2023, 3, 1)


def broken() -> list[dict]:
    good = process("q-good", "open", START, 20, 4, (0, 100.0), 100.0)
    reversed_period = process("q-reversed", "open", START, 20, 4, (0, 100.0), 100.0)
    period = reversed_period["tender"]["tenderPeriod"]
    period["startDate"], period["endDate"] = period["endDate"], period["startDate"]
    unresolved = process("q-unresolved", "open", START, 20, 4, (0, 100.0), 100.0)
    unresolved["contracts"][0]["awardID"] = "nowhere"
    negative = process("q-negative", "open", START, 20, 4, (0, -5.0), 300.0)
    del negative["awards"][0]["value"]["currency"]
    orphan = process("q-orphan", "open", START, 20, 9, (0, 100.0), 100.0)
    orphan["buyer"] = {"id": "missing-buyer", "name": "Nobody"}
    bare = process("q-bare", "open", None)
    return [good, reversed_period, unresolved, negative, orphan, bare]


def test_checks_pass_and_fail_with_examples(atlas_env, conn, tmp_path):
    load(tmp_path, broken())
    checks = {row["check_id"]: row for row in conn.execute("SELECT * FROM quality_check")}
    assert len(checks) >= 20
    assert all(row["publisher"] == PUBLISHER for row in checks.values())

    def failed(check: str) -> set[str]:
        return set(checks[check]["examples"])

    assert failed("tender_period_order") == {"q-reversed"}
    assert failed("contract_award_resolves") == {"q-unresolved"}
    assert failed("award_currency_with_amount") == {"q-negative"}
    assert failed("buyer_party_exists") == {"q-orphan"}
    assert failed("tenderer_count_consistent") == {"q-orphan"}  # 9 tenderers said, 4 tenderer parties
    assert checks["supplier_parties_exist"]["n_failed"] == 0
    assert checks["ocid_has_publisher_prefix"]["n_checked"] == 0  # the publisher declares no prefix
    assert checks["tender_period_order"]["n_passed"] == 4
    assert checks["tender_period_order"]["n_checked"] == 5


def test_field_coverage_and_cli(atlas_env, conn, tmp_path):
    load(tmp_path, broken())
    coverage = {row["field"]: row for row in conn.execute("SELECT * FROM field_coverage")}
    assert (coverage["tender_period"]["n_applicable"], coverage["tender_period"]["n_present"]) == (6, 5)
    assert coverage["procedure_type"]["share"] == 1
    assert coverage["award_amount"]["n_applicable"] == 5
    output = invoke("quality", "--publisher", PUBLISHER, "--format", "json")
    assert "tender_period_order" in output and "q-reversed" in output
    document = json.loads(output)  # one document: coverage and checks
    assert document["field_coverage"][0]["publisher"] == document["consistency_checks"][0]["publisher"] == PUBLISHER
