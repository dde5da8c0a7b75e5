"""The rules of the normalized layer, pure, on values taken from the real publishers' files and the register."""

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest

from aggregator import fetch
from aggregator.normalize import dates, identifiers, money, names, ocids, orgs, procedures, register
from aggregator.normalize.rates import load_rates
from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import cached_releases
from tests.conftest import ORGID, PUBLISHERS, RATES

pytestmark = pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="needs ../shared/data")
TODAY = date(2026, 11, 22)


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


@functools.cache
def published(publisher: str) -> tuple[tuple[str, Any], ...]:
    """Every (key, value) pair in a publisher's files, however deep."""
    pairs = []
    for path in sorted((PUBLISHERS / publisher).rglob("*.json")):
        data = path.read_bytes()
        try:
            value = json.loads(data)
        except UnicodeDecodeError:
            value = json.loads(data.decode("iso-8859-1"))
        pairs.extend(walk(value))
    return tuple(pairs)


def values(publisher: str, key: str) -> list[Any]:
    return [value for name, value in published(publisher) if name == key]


@functools.cache
def the_register() -> register.Register:
    return register.load_register(str(ORGID))


@functools.cache
def examples(code: str) -> list[str]:
    """The example identifiers the register's list gives for a scheme."""
    path = next((ORGID / "lists").rglob(f"{code.lower()}.json"))
    text = json.loads(path.read_text())["access"]["exampleIdentifiers"]
    return [value.strip() for value in text.split(",") if value.strip()]


# Identifiers


@pytest.mark.parametrize("code", ["PY-RUC", "UA-EDR", "PT-NIPPC", "GB-COH", "MX-RFC", "EC-RUC", "HN-RTN", "CO-NIT"])
def test_the_registers_examples_pass_their_schemes_rules(code):
    for example in examples(code):
        assert identifiers.clean(code, None, example)[0] is not None, example


def paraguay_rucs() -> set[str]:
    rucs = {
        value[7:] for value in values("paraguay_dncp", "id") if isinstance(value, str) and value.startswith("PY-RUC-")
    }
    return rucs | {v for v in values("paraguay_dncp", "id") if isinstance(v, str) and re.fullmatch(r"\d+-\d", v)}


def test_paraguay_ruc_with_and_without_its_check_digit_is_one_key():
    rucs = paraguay_rucs()
    assert len(rucs) > 50
    for ruc in rucs:
        assert identifiers.clean("PY-RUC", None, ruc) == (ruc, None)
        assert identifiers.clean("PY-RUC", None, ruc.split("-")[0]) == (ruc, None)
        wrong = f"{ruc[:-1]}{(int(ruc[-1]) + 1) % 10}"
        assert identifiers.clean("PY-RUC", None, wrong) == (None, "check_digit")


def test_ukraine_edr_portugal_nipc_and_their_check_digits():
    edr = {v for v in values("ukraine_prozorro", "id") if isinstance(v, str) and re.fullmatch(r"\d{8}", v)}
    assert "00131564" in edr
    for code in edr:
        assert identifiers.clean("UA-EDR", None, code) == (code, None)
        assert identifiers.clean("UA-EDR", None, code.lstrip("0")) == (code, None)
    assert identifiers.clean("UA-EDR", None, "20201871") == (None, "check_digit")
    nipc = {v for v in values("portugal_impic", "id") if isinstance(v, str) and re.fullmatch(r"\d{9}", v)}
    assert len(nipc) > 100
    for code in nipc:
        assert identifiers.clean("PT-NIPPC", None, f"PT {code}") == (code, None)
    assert identifiers.clean("PT-NIPPC", None, "500051071") == (None, "check_digit")


def test_mexico_rfc_ecuador_ruc_colombia_nit_and_companies_house():
    assert identifiers.clean("MX-RFC", None, "SEP210905778-011000993") == ("SEP210905778", None)  # SHCP unit
    assert identifiers.clean("MX-RFC", None, "abc-680524-p76") == ("ABC680524P76", None)
    assert identifiers.clean("MX-RFC", None, "35910F7B0EBB46BA0E669F56E2187D57") == (None, "format")
    assert identifiers.clean("MX-RFC", None, "SIN DATO-81F5DD8B-DC3E-4058-A10C-7373C7ACFD7A") == (None, "placeholder")
    assert identifiers.clean("MX-RFC", None, "XAXX010101000") == (None, "placeholder")
    assert identifiers.clean("EC-RUC", None, "EC-RUC-1768152560001-236009") == ("1768152560001", None)
    assert identifiers.clean("HN-RTN", None, "HN-RTN-05019003081452") == ("05019003081452", None)
    assert identifiers.clean("CO-NIT", None, "800.101.684-3") == ("800101684", None)
    assert identifiers.clean("CO-NIT", None, "8001865857") == ("800186585", None)
    assert identifiers.clean("CO-NIT", None, "891801911-4") == (None, "check_digit")
    assert identifiers.clean("GB-COH", None, "6232") == ("00006232", None)
    assert identifiers.clean("GB-COH", None, "sc 12345") == ("SC012345", None)
    assert identifiers.clean("AM-TIN", "digits8", "  02508339") == ("02508339", None)


# The register and schemes


def test_the_register_resolves_codes_renames_and_countries(tmp_path, monkeypatch):
    reg = the_register()
    assert reg.resolve("py-ruc")[0].country == "PY"
    scheme, former = reg.resolve("GB-GOVUK")
    assert (scheme.code, former) == ("GB-GOV", "GB-GOVUK")
    assert reg.resolve("AU-ACNC")[0].deprecated
    assert reg.resolve("XI-EORI")[0].country is None
    assert reg.resolve("AM-TIN")[0].registered is False
    assert reg.resolve("NIT") == (None, None)
    # The register's download, as a file and as a URL fetched once into the cache (offline: from the cache).
    lists = [json.loads(path.read_text()) for path in (ORGID / "lists" / "py").glob("*.json")]
    (tmp_path / "download.json").write_bytes(orjson.dumps({"lists": lists}))
    assert register.build_register(register.read_entries(str(tmp_path / "download.json")), []).resolve("PY-RUC")[0]
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path / "home"))
    url = "https://org-id.guide/download.json"
    cached = fetch.cache_path(url, "org-id-register.json")
    cached.parent.mkdir(parents=True)
    cached.write_bytes((tmp_path / "download.json").read_bytes())
    assert len(register.read_entries(url)) == len(lists)


def resolve(party: dict, publisher: str, country: str) -> orgs.Organization:
    return orgs.resolve(party, publisher, country, the_register(), orgs.load_scheme_map())


def test_parties_of_real_publishers_get_their_keys_and_methods():
    armenia = next(p for p in values("armenia_armeps", "parties")[0] if p.get("additionalIdentifiers"))
    found = resolve(armenia, "armenia_armeps", "AM")
    assert (found.org_key, found.method, found.score) == (f"AM-TIN-{armenia['identifier']['id']}", "identifier", 0.9)
    portugal = values("portugal_impic", "parties")[0][0]
    assert resolve(portugal, "portugal_impic", "PT").org_key == f"PT-NIPPC-{portugal['identifier']['id']}"
    paraguay = {"id": "PY-RUC-80001870-2", "name": "COMPAÑIA QUIMICA VICENTE SCAVONE SACI", "roles": ["supplier"]}
    found = resolve(paraguay, "paraguay_dncp", "PY")
    assert (found.org_key, found.identifiers[-1].source, found.score) == ("PY-RUC-80001870-2", "party_id", 0.9)
    free_text = next(s for s in values("paraguay_dncp", "scheme") if s.startswith("Registro Único"))
    found = resolve({"identifier": {"scheme": free_text, "id": "80023118-0"}, "name": "x"}, "paraguay_dncp", "PY")
    assert found.org_key == "PY-RUC-80023118-0"
    gacm = next(s for s in values("mexico_gacm", "suppliers") if s and "identifier" in s[0])[0]
    assert resolve(gacm, "mexico_gacm", "MX").org_key.startswith("MX-RFC-")
    uk = {"name": "Met Office", "identifier": {"id": "", "scheme": ""}}
    found = resolve(uk, "uk_contracts_finder", "GB")
    assert (found.org_key, found.method, found.score, found.problems) == ("name/GB/met office", "name_exact", 0.7, ())


def test_additional_identifiers_give_the_key_when_the_identifier_does_not():
    armenia = next(p for p in values("armenia_armeps", "parties")[0] if p.get("additionalIdentifiers"))
    swapped = {
        **armenia,
        "identifier": armenia["additionalIdentifiers"][0],
        "additionalIdentifiers": [armenia["identifier"]],
    }
    found = resolve(swapped, "armenia_armeps", "AM")
    assert found.org_key == f"AM-TIN-{armenia['identifier']['id']}"
    assert [row.source for row in found.identifiers] == ["identifier", "additionalIdentifiers"]
    assert found.identifiers[0].key is None and found.identifiers[1].key == found.org_key


def test_unknown_and_local_schemes():
    found = resolve(
        {"name": "ALCALDÍA", "identifier": {"scheme": "COL-IDCARD", "id": "1070977172"}}, "colombia_cce", "CO"
    )
    assert found.method == "name_normalized"
    assert [(p.code, p.value) for p in found.problems] == [("scheme_unknown", "COL-IDCARD")]
    found = resolve({"name": "SGG", "identifier": {"scheme": "DEP-GOB-JAL", "id": "02-1542"}}, "mexico_jalisco", "MX")
    assert found.problems == () and found.identifiers[0].scheme_raw == "DEP-GOB-JAL"
    found = resolve({"identifier": {"scheme": "CUA", "id": 340}}, "mexico_inai", "MX")
    assert found.org_key is None and found.problems[0].code == "organization_unidentifiable"


def test_names_are_normalized_within_the_country():
    assert names.name_key("MX", "Especialistas  Ambientales, S.A. de C.V.") == (
        "name/MX/especialistas ambientales",
        "name_normalized",
    )
    assert names.normalize("GRUAS FLETES Y MANIOBRAS SA DE CV") == "gruas fletes y maniobras"
    assert names.normalize('ЧП "ОКСИМЕД"') == names.normalize("ОКСИМЕД")
    assert names.normalize("SECRETARÍA DE FINANZAS") == "secretaria de finanzas"
    assert names.name_key("GB", "...") is None


# OCIDs


def test_registered_ocids_are_global_others_are_namespaced():
    assert ocids.process_key("ocds-03ad3f-287953", "paraguay_dncp")[:2] == ("ocds-03ad3f-287953", "global")
    key, scope, problem = ocids.process_key("OCDS-87SD3T-AD-SF-DRM-063-2015", "mexico_cdmx")
    assert (key, scope, problem.code) == ("ocds-87sd3t-AD-SF-DRM-063-2015", "global", "ocid_prefix_case")
    for ocid, publisher in (("10", "mexico_gacm"), ("PC-0001", "mexico_inai"), ("ocid-6as3t2-51179519", "taiwan_aac")):
        assert ocids.process_key(ocid, publisher)[:2] == (f"{publisher}/{ocid}", "publisher")
    montreal = "ocds-a1234567-mt-479ed54d04ef57f019dab7e6439d1f12871709a8"  # a placeholder 8-character prefix
    assert ocids.process_key(montreal, "canada_montreal")[1] == "publisher"


# Dates


def test_dates_as_published():
    portugal = next(v for v in values("portugal_impic", "date") if re.search(r"\.\d{7}Z$", v))
    parsed, problem = dates.parse(portugal, TODAY)
    assert problem is None and parsed.microsecond == int(portugal[20:26])
    assert dates.parse("2014-02-05", TODAY) == (datetime(2014, 2, 5, tzinfo=UTC), None)  # Taiwan
    assert dates.parse("2017-08-31T00:00:00-04:00", TODAY)[0] == datetime(2017, 8, 31, 4, tzinfo=UTC)
    assert dates.parse("2018-01-03T10:42:03", TODAY)[0] == datetime(2018, 1, 3, 10, 42, 3, tzinfo=UTC)
    two_digit = [v for v in values("mexico_shcp", "datePublished") if re.match(r"^\d\d-", v)]
    assert "18-07-25T03:35:26Z" in two_digit
    for value in two_digit:
        parsed, problem = dates.parse(value, TODAY)
        assert parsed.year == 2000 + int(value[:2]) and problem.code == "date_two_digit_year"


def test_placeholder_and_invalid_dates_give_null_and_a_problem():
    placeholders = {v for v in values("mexico_nuevo_leon", "maxExtentDate") if v.startswith("0001")}
    assert placeholders
    for value in placeholders | {"9999-12-31T00:00:00Z", "2105-10-09T05:00:00.000Z"}:
        assert dates.parse(value, TODAY)[0] is None and dates.parse(value, TODAY)[1].code == "date_placeholder"
    assert dates.parse("0001-01-01T00:00:00+02:00", TODAY)[1].code == "date_placeholder"
    assert "Pendiente de Emisión" in values("paraguay_dncp", "dateSigned")
    assert dates.parse("Pendiente de Emisión", TODAY)[1].code == "date_invalid"
    assert dates.parse("", TODAY) == (None, None)


# Money


def test_amounts_given_as_text():
    texts = [v for v in values("paraguay_dncp", "amount") if isinstance(v, str)]
    assert "_NO_APLICA_" in texts and "276500" in texts
    for text in texts:
        amount, problem = money.parse_amount(text)
        if text == "_NO_APLICA_":
            assert amount is None and problem.code == "amount_invalid"
        else:
            assert amount == Decimal(text) and problem.code == "amount_text"
    assert money.parse_amount("1,234")[1].code == "amount_ambiguous"
    assert money.parse_amount("1.234.567,89")[0] == Decimal("1234567.89")
    assert money.parse_amount("1,234,567.89")[0] == Decimal("1234567.89")
    assert money.parse_amount(True)[1].code == "amount_invalid"


def test_currencies_and_conversions():
    tables = load_rates(RATES)
    codes = frozenset({"MXN", "USD", "EUR", "PYG"})
    assert "MNX" in values("mexico_gacm", "currency")
    columns, problems = money.money({"amount": 10, "currency": "MNX"}, (date(2017, 1, 1), "x"), "MX", codes, tables)
    assert (columns["amount"], columns["currency"], columns["amount_usd"], problems[0].code) == (
        10,
        None,
        None,
        "currency_invalid",
    )
    columns, problems = money.money({"amount": 0}, (date(2017, 1, 1), "x"), "MX", codes, tables)
    assert columns["amount_usd"] is None and problems[0].code == "currency_missing"
    columns, problems = money.money({"amount": 5, "currency": "PYG"}, (date(1985, 1, 1), "x"), "PY", codes, tables)
    assert columns["amount_usd"] is None and (problems[0].code, problems[0].value) == ("rate_unavailable", "PYG 1985")
    columns, _ = money.money({"amount": 1000, "currency": "MXN"}, (date(2017, 6, 4), "x"), "MX", codes, tables)
    assert (columns["rate_source"], columns["rate_date"]) == ("ecb_daily", date(2017, 6, 2))  # the Friday before
    assert columns["rate_eur"] == Decimal("20.8982")  # ECB, 2 June 2017
    ppp = {line.split(",")[2]: line.split(",")[3] for line in ppp_lines("MX")}
    assert columns["ppp_factor"] == Decimal(ppp["2017"])
    assert columns["amount_ppp"] == (Decimal(1000) / Decimal(ppp["2017"])).quantize(Decimal("0.01"))


def ppp_lines(country: str) -> list[str]:
    path = RATES / "ppp_prices" / "datahub_ppp-gdp_PA.NUS.PPP.csv"
    return [line.strip() for line in path.read_text().splitlines() if f",{country}," in line]


# Procedures


def published_procedures(publisher: str) -> set[tuple[str, str]]:
    found = set()
    for key, tender in published(publisher):
        if key == "tender" and isinstance(tender, dict):
            details, method = tender.get("procurementMethodDetails"), tender.get("procurementMethod")
            if isinstance(details, str) and details.strip():
                found.add(("procurementMethodDetails", details.strip()))
            if isinstance(method, str) and method.strip() and method not in procedures.METHODS:
                found.add(("procurementMethod", method.strip()))
    return found


def test_every_procedure_in_the_real_data_and_the_sandbox_is_mapped():
    mapping = procedures.load_mapping()
    seen = defaultdict(set)
    for directory in sorted(path.name for path in PUBLISHERS.iterdir() if path.is_dir()):
        seen[directory] = published_procedures(directory)
    for key in SANDBOX_PUBLISHERS:
        details = {r["tender"].get("procurementMethodDetails") for r in cached_releases(key) if "tender" in r}
        seen[f"sandbox_{key}"] = {("procurementMethodDetails", value) for value in details if value}
    assert sum(map(len, seen.values())) > 40
    missing = {(publisher, *value) for publisher, found in seen.items() for value in found} - set(mapping)
    assert not missing


def test_an_unmapped_procedure_gives_a_problem_listing_it():
    mapping = procedures.load_mapping()
    found = procedures.classify("ecuador_sercop", "open", "Subasta Inversa Electrónica", mapping)
    assert (found.procedure_type, found.problems[0].code, found.problems[0].value) == (
        "open",
        "procedure_unmapped",
        "Subasta Inversa Electrónica",
    )
    found = procedures.classify("taiwan_aac", "公開招標", None, mapping)
    assert (found.procurement_method, found.procedure_type, found.problems) == (None, "open", ())
    found = procedures.classify("armenia_armeps", None, "NPC (Non-Procurement Contracts)", mapping)
    assert (found.procedure_type, found.problems) == (None, ())
    found = procedures.classify("x", "negotiated", None, mapping)
    assert found.problems[0].code == "procurement_method_invalid"
