"""The normalized layer through the CLI, on real publishers' data: load, compile (which normalizes), normalize."""

import csv
import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator import db
from aggregator.cli.main import app
from aggregator.compile.rules import rules_for
from tests.conftest import ORGID, PUBLISHERS, RATES, STANDARD, _create, _drop

runner = CliRunner()
pytestmark = pytest.mark.skipif(not PUBLISHERS.is_dir(), reason="needs ../shared/data/publishers")


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def load(directory: str, publisher: str, country: str) -> None:
    invoke("load", str(PUBLISHERS / directory), "--publisher", publisher, "--country", country)


def rows(conn, sql: str, **params) -> list[dict]:
    return conn.execute(sql, params).fetchall()


def notes(conn, code: str, publisher: str) -> dict:
    """The values a normalize note of this code lists, summed over the note rows."""
    values: dict[str, int] = {}
    for row in rows(
        conn,
        "SELECT n.data FROM note n JOIN publisher p ON p.id = n.publisher_id "
        "WHERE n.stage = 'normalize' AND n.code = %(code)s AND p.name = %(publisher)s",
        code=code,
        publisher=publisher,
    ):
        for value, count in row["data"].get("values", {}).items():
            values[value] = values.get(value, 0) + count
    return values


def snapshot(conn) -> list:
    """Every normalized row, as text, and when each process was last written."""
    tables = ("process", "award", "contract", "process_party", "organization_identifier", "organization")
    return [[str(row) for row in rows(conn, f"SELECT * FROM {table} ORDER BY 1, 2")] for table in tables]


def ecb_usd(day: date) -> Decimal:
    """USD per EUR on ``day``, as the ECB published it (read from the shared copy: an independent reading)."""
    with (RATES / "daily" / "ecb_eurofxref-hist.csv").open() as file:
        return next(Decimal(row["USD"].strip()) for row in csv.DictReader(file) if row["Date"] == day.isoformat())


def hmrc_rates(month: date) -> dict[str, Decimal]:
    with (RATES / "monthly" / "hmrc_monthly_rates_per_gbp.csv").open() as file:
        wanted = month.strftime("%Y-%m")
        return {
            r["currency_hmrc_code"]: Decimal(r["units_per_gbp"]) for r in csv.DictReader(file) if r["month"] == wanted
        }


def environment(monkeypatch: pytest.MonkeyPatch, url: str, home: Path) -> None:
    """What atlas_env sets, for a database shared by this module's tests."""
    for name, value in {
        "DATABASE_URL": url,
        "OCDS_ATLAS_HOME": str(home),
        "OCDS_ATLAS_STANDARD_URL": str(STANDARD),
        "OCDS_ATLAS_ORGID_URL": str(ORGID),
        "OCDS_ATLAS_RATES_DIR": str(RATES),
        "OCDS_ATLAS_OFFLINE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    db.resolve_url.cache_clear()
    rules_for.cache_clear()


@pytest.fixture(scope="module")
def real_url(server_url, template_database, tmp_path_factory) -> Iterator[str]:
    """Paraguay, Portugal, Ukraine, Colombia and Nuevo León, loaded and compiled (so normalized), once."""
    name = f"atlas_normalize_{uuid.uuid4().hex[:12]}"
    url = _create(server_url, name, template_database)
    with pytest.MonkeyPatch.context() as monkeypatch:
        environment(monkeypatch, url, tmp_path_factory.mktemp("home"))
        for directory, country in (
            ("paraguay_dncp", "PY"),
            ("portugal_impic", "PT"),
            ("ukraine_prozorro", "UA"),
            ("colombia_cce", "CO"),
            ("mexico_nuevo_leon", "MX"),
        ):
            load(directory, directory, country)
        assert "normalized" in invoke("compile")
    db.resolve_url.cache_clear()
    yield url
    _drop(server_url, name)


@pytest.fixture
def real(real_url, monkeypatch, tmp_path) -> Iterator[psycopg.Connection]:
    environment(monkeypatch, real_url, tmp_path / "home")
    with db.connect(real_url, autocommit=True) as connection:
        yield connection
    db.resolve_url.cache_clear()


def org_keys(conn, publisher: str) -> set[str]:
    sql = (
        "SELECT pp.org_key FROM process_party pp JOIN process p ON p.id = pp.process_id "
        "JOIN publisher pub ON pub.id = p.publisher_id WHERE pub.name = %(publisher)s"
    )
    return {row["org_key"] for row in rows(conn, sql, publisher=publisher)}


def test_known_identifiers_give_the_expected_keys(real):
    assert "PT-NIPPC-500051070" in org_keys(real, "portugal_impic")  # Câmara Municipal de Lisboa
    ukraine = org_keys(real, "ukraine_prozorro")
    assert "UA-EDR-20201870" in ukraine
    assert "UA-EDR-00131564" in ukraine  # published under XM-EORI, mapped for Prozorro in data/schemes.csv
    paraguay = org_keys(real, "paraguay_dncp")
    assert "PY-RUC-80001870-2" in paraguay  # read from the party id: the party has no identifier
    assert "PY-RUC-80023118-0" in paraguay  # under a free-text scheme, mapped for DNCP
    colombia = org_keys(real, "colombia_cce")
    assert {"CO-NIT-800101684", "CO-NIT-891801911", "CO-RUE-890907106"} <= colombia
    identifier = rows(real, "SELECT * FROM organization_identifier WHERE key = 'CO-NIT-800101684'")[0]
    assert (identifier["scheme_raw"], identifier["id_raw"]) == ("Nit de Persona Jur\ufffddica", "800.101.684-3")
    methods = {row["method"] for row in rows(real, "SELECT method FROM organization")}
    assert methods <= {"identifier", "name_exact", "name_normalized"}
    assert rows(real, "SELECT count(*) AS n FROM organization WHERE method IS NULL OR score IS NULL")[0]["n"] == 0


def test_the_same_organization_is_found_across_processes(real):
    found = rows(real, "SELECT org_key, processes FROM organization WHERE org_key = 'PT-NIPPC-500051070'")
    assert found[0]["processes"] > 1
    count = rows(real, "SELECT count(DISTINCT process_id) AS n FROM process_party WHERE org_key = 'PY-RUC-80008004-1'")
    assert count[0]["n"] == 2
    buyer = rows(
        real, "SELECT buyer_org_key, buyer_country, country FROM process WHERE ocid LIKE 'ocds-px0z7d-%%' LIMIT 1"
    )
    assert buyer[0]["buyer_org_key"].startswith("PT-NIPPC-")
    assert (buyer[0]["buyer_country"], buyer[0]["country"]) == ("PT", "PT")


def test_references_are_resolved_through_parties_with_their_roles(real):
    award = rows(
        real,
        "SELECT a.supplier_org_keys, p.id AS process_id, p.buyer_org_key FROM award a "
        "JOIN process p ON p.id = a.process_id WHERE p.ocid = 'ocds-px0z7d-10094-10001-1'",
    )[0]
    parties = {
        row["org_key"]: row["roles"]
        for row in rows(
            real, "SELECT org_key, roles FROM process_party WHERE process_id = %(id)s", id=award["process_id"]
        )
    }
    assert "buyer" in parties[award["buyer_org_key"]]
    assert award["supplier_org_keys"] and all("supplier" in parties[key] for key in award["supplier_org_keys"])
    # Organizations carry the country their scheme implies.
    countries = rows(real, "SELECT DISTINCT country FROM organization WHERE scheme = 'UA-EDR'")
    assert [row["country"] for row in countries] == ["UA"]


def test_reference_dates_by_kind_of_amount(real):
    checks = {
        "contract": ("contract_date_signed", "date_signed"),
        "process": ("tender_period_start", "tender_start"),
        "award": ("award_date", "date"),
    }
    for table, (source, column) in checks.items():
        sql = f"SELECT reference_date, {column}::date AS day FROM {table} WHERE reference_date_source = %(source)s"
        found = rows(real, sql, source=source)
        assert found and all(row["reference_date"] == row["day"] for row in found), table


def test_amounts_are_converted_at_the_expected_rate_and_date(real):
    award = rows(
        real,
        "SELECT a.*, a.date::date AS award_day FROM award a WHERE a.currency = 'EUR' "
        "AND a.reference_date_source = 'award_date' ORDER BY a.id LIMIT 1",
    )[0]
    assert (award["reference_date"], award["rate_source"]) == (award["award_day"], "ecb_daily")
    usd_per_eur = ecb_usd(award["rate_date"])
    assert 0 <= (award["reference_date"] - award["rate_date"]).days <= 7  # the last business day up to the date
    assert award["amount_eur"] == award["amount"]
    assert award["amount_usd"] == (award["amount"] * usd_per_eur).quantize(Decimal("0.01"))
    # Hryvnia: not an ECB currency, so HMRC's monthly rate of the award's month.
    award = rows(real, "SELECT * FROM award WHERE award_id = 'bffc7d3d20ef42ce881f742f6be09609'")[0]
    assert (award["amount"], award["currency"], award["reference_date"]) == (2910, "UAH", date(2016, 6, 13))
    assert (award["rate_source"], award["rate_date"]) == ("hmrc_monthly", date(2016, 6, 1))
    hmrc = hmrc_rates(award["rate_date"])
    assert award["amount_usd"] == (2910 / hmrc["UAH"] * hmrc["USD"]).quantize(Decimal("0.01"))
    assert award["amount_ppp"] is not None and award["ppp_year"] == 2016
    # Without an award date, the release date.
    undated = rows(
        real,
        "SELECT a.reference_date, p.release_date::date AS released FROM award a JOIN process p ON p.id = a.process_id "
        "WHERE a.date IS NULL AND a.amount IS NOT NULL AND a.reference_date_source = 'release_date' LIMIT 1",
    )[0]
    assert undated["reference_date"] == undated["released"]


def test_every_converted_amount_has_its_rate_date_and_source(real):
    for table in ("process", "award", "contract"):
        sql = (
            f"SELECT count(*) FILTER (WHERE amount_usd IS NOT NULL) AS converted, "
            f"count(*) FILTER (WHERE amount_usd IS NOT NULL AND (amount_eur IS NULL OR rate_usd IS NULL "
            f"OR rate_eur IS NULL OR rate_date IS NULL OR rate_source IS NULL OR reference_date IS NULL)) AS bare, "
            f"count(*) FILTER (WHERE amount_usd = 0 AND amount <> 0) AS zeros FROM {table}"
        )
        counts = rows(real, sql)[0]
        assert counts["converted"] > 0 and counts["bare"] == 0 and counts["zeros"] == 0, table


def test_invalid_values_give_notes_and_nulls(real):
    assert notes(real, "amount_invalid", "paraguay_dncp") == {"_NO_APLICA_": 2}  # publisher compiledRelease
    assert notes(real, "date_invalid", "paraguay_dncp") == {"contracts.dateSigned: Pendiente de Emisión": 2}
    assert notes(real, "contract_singular", "paraguay_dncp") == {}
    assert rows(real, "SELECT count(*) AS n FROM note WHERE code = 'contract_singular'")[0]["n"] == 1
    invalid = rows(real, "SELECT amount, amount_raw, amount_usd FROM contract WHERE amount_raw = '_NO_APLICA_'")
    assert [(r["amount"], r["amount_usd"]) for r in invalid] == [(None, None), (None, None)]
    assert notes(real, "date_placeholder", "mexico_nuevo_leon") == {"awards.date: 0001-01-01T00:00:00-06:00": 1}
    award = rows(real, "SELECT * FROM award WHERE date_raw = '0001-01-01T00:00:00-06:00'")[0]
    assert award["date"] is None and award["reference_date_source"] in ("release_date", None)
    assert notes(real, "scheme_unknown", "colombia_cce") == {"COL-IDCARD": 2, "C\ufffddula de Ciudadan\ufffda": 7}
    assert notes(real, "procedure_unmapped", "paraguay_dncp") == {}
    portugal = rows(real, "SELECT release_date, release_date_raw FROM process WHERE ocid = 'ocds-px0z7d-10094-10001-1'")
    assert portugal[0]["release_date_raw"].count(".") == 1 and portugal[0]["release_date"] is not None


def test_status_shows_normalized_counts_per_country(real):
    output = runner.invoke(app, ["status"], terminal_width=200).output
    assert "normalized, per country" in output
    table = output[output.index("normalized, per country") :]
    rows = [line.split() for line in table.splitlines()]
    lines = {cells[0]: cells for cells in rows if cells and len(cells[0]) == 2 and cells[0].isupper()}
    assert set(lines) == {"CO", "MX", "PT", "PY", "UA"}
    cells = lines["PT"]
    assert cells[:4] == ["PT", "100", "100", "100"] and cells[8:10] == ["100.0", "%"]  # processes, awards, contracts


def test_a_rerun_changes_nothing(real):
    before = snapshot(real)
    note_count = rows(real, "SELECT count(*) AS n FROM note")[0]["n"]
    assert "normalized 0 compiled releases" in invoke("normalize")
    output = invoke("normalize", "--full")
    assert "0 written" in output and "unchanged" in output
    assert snapshot(real) == before
    assert rows(real, "SELECT count(*) AS n FROM note")[0]["n"] == note_count


def test_normalize_looks_up_what_to_normalize_once(real, monkeypatch):
    """The command's progress bar and the run share one look-up of the compiled releases to normalize (with
    ``--full``, it reads every compiled release)."""
    from aggregator.normalize import refresh

    calls = []
    look_up = refresh.pending

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return look_up(*args, **kwargs)

    monkeypatch.setattr(refresh, "pending", counted)
    compiled = rows(real, "SELECT count(*) AS n FROM compiled_release")[0]["n"]
    assert f"normalized {compiled} compiled releases" in invoke("normalize", "--full")
    assert calls == [(None, True)]


def test_a_changed_compiled_release_is_normalized_again(atlas_env, conn, tmp_path):
    load("portugal_impic", "portugal_impic", "PT")
    invoke("compile")
    package = json.loads((PUBLISHERS / "portugal_impic" / "api-page" / "collection_file.json").read_text())[0]
    release = package["releases"][0]
    release["id"] += "-changed"
    release["date"] = "2020-01-01T00:00:00Z"
    release["tender"]["procurementMethodDetails"] = "Concurso Público"
    package["releases"] = [release]
    (tmp_path / "changed.json").write_text(json.dumps(package))
    invoke("load", str(tmp_path / "changed.json"), "--publisher", "portugal_impic", "--country", "PT")
    output = invoke("compile")
    assert "normalized 1 compiled releases: 1 written" in output
    assert notes(conn, "procedure_unmapped", "portugal_impic") == {"Concurso Público": 1}


def test_one_process_published_by_two_routes(atlas_env, conn):
    """The same Paraguay OCIDs as release packages and as record packages (the publisher's compiledRelease)."""
    load("paraguay_dncp/api-v2-2017-06/release-package", "dncp_releases", "PY")
    load("paraguay_dncp/api-v2-2017-06/record-package", "dncp_records", "PY")
    load("mexico_inai/releases-2017-with-packageInfo", "inai_one", "MX")
    load("mexico_inai/releases-2017-with-packageInfo", "inai_two", "MX")
    invoke("compile")
    shared = rows(
        conn,
        "SELECT process_key, count(*) AS routes, count(*) FILTER (WHERE is_primary) AS primaries FROM process "
        "WHERE ocid_scope = 'global' GROUP BY process_key",
    )
    # 15 OCIDs released; 13 recorded, of which 2 without a compiledRelease (not compilable).
    assert sorted(row["routes"] for row in shared) == [1] * 4 + [2] * 11
    assert all(row["primaries"] == 1 for row in shared)
    disagree = rows(conn, "SELECT data FROM note WHERE code = 'ocid_routes_disagree'")
    assert disagree and {"dncp_releases", "dncp_records"} == set(disagree[0]["data"]["publishers"])
    local = rows(conn, "SELECT process_key FROM process WHERE ocid = 'PC-0001' ORDER BY 1")
    assert [row["process_key"] for row in local] == ["inai_one/PC-0001", "inai_two/PC-0001"]


GACM_FILES = (
    "390-RELEASE_390_2017-10-04T00_53_18_722Z",  # MNX
    "90-RELEASE_90_2017-10-04T00_53_20_135Z",  # MNX, and an award dated 2105
    "100-RELEASE_100_2017-10-04T00_53_15_412Z",
    "100-RELEASE_100_2017-03-06T21_30_25_327Z",
    "10-RELEASE_10_2017-03-06T21_30_25_373Z",
)


def test_mexico(atlas_env, conn):
    """GACM (no scheme: RFCs, mapped per publisher; the MNX typo), SHCP (no currency), APF (a hash as an RFC)."""
    gacm = PUBLISHERS / "mexico_gacm" / "releases-with-packageInfo"
    files = [str(gacm / f"{name}.json") for name in GACM_FILES]
    invoke("load", *files, "--publisher", "mexico_gacm", "--country", "MX")
    load("mexico_shcp/record-package", "mexico_shcp", "MX")
    load("mexico_shcp/release-package/shcp-record-package_2.json", "mexico_shcp", "MX")
    load("mexico_apf", "mexico_apf", "MX")
    invoke("compile")
    assert {"MX-RFC-EAM9803104KO", "MX-RFC-BEFE590915R81"} <= org_keys(conn, "mexico_gacm")
    assert notes(conn, "currency_invalid", "mexico_gacm") == {"MNX": 2}
    typo = rows(conn, "SELECT amount, currency, currency_raw, amount_usd FROM process WHERE currency_raw = 'MNX'")[0]
    assert typo["amount"] is not None and (typo["currency"], typo["amount_usd"]) == (None, None)
    assert "awards.date: 2105-10-09T05:00:00.000Z" in notes(conn, "date_placeholder", "mexico_gacm")
    assert notes(conn, "currency_missing", "mexico_shcp") == {}
    assert (
        rows(conn, "SELECT sum(count) AS n FROM note WHERE code = 'currency_missing'")[0]["n"] == 2
    )  # amount 0, no currency
    invalid = notes(conn, "identifier_invalid", "mexico_apf")
    assert invalid == {"MX-RFC 95F5D7F5DD77D73E3232026B4732232A (format)": 1}
    # A Compranet unit's identifier is its agency's RFC followed by the unit's number: the key is the agency's.
    assert "MX-RFC-SEP210905778" in org_keys(conn, "mexico_shcp")
    assert notes(conn, "scheme_unknown", "mexico_gacm") == {}  # MK-009KDH999 is declared local
