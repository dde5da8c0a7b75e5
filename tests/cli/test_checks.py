"""Arguments checked before anything reaches the database: each mistake one line saying what was expected."""

from __future__ import annotations

import pytest

from aggregator.cli import checks
from aggregator.errors import AtlasError


def test_country_codes_are_data_with_names():
    codes = checks.countries()
    assert len(codes) == 249
    assert codes["MX"] == "Mexico"


@pytest.mark.parametrize("value", ["MX", "mx", "XA", "XK", "ZZ", " gb "])
def test_country_accepts_codes_and_user_assigned_ones(value):
    assert checks.check_country(value) == value.strip().upper()


@pytest.mark.parametrize(
    ("value", "suggested"), [("Mexico", "MX (Mexico)"), ("UK", "GB"), ("korea", "KR"), ("Parguay", "PY")]
)
def test_a_country_name_suggests_its_code(value, suggested):
    with pytest.raises(AtlasError, match="not an ISO 3166-1 alpha-2 code") as error:
        checks.check_country(value)
    assert suggested in str(error.value)
    assert "\n" not in str(error.value)


def test_an_unknown_code_is_refused():
    with pytest.raises(AtlasError, match="'AB' is not an ISO 3166-1"):
        checks.check_country("AB")


@pytest.mark.parametrize("value", ["Bad Name", "Mexico", "_x", "a/b", ""])
def test_publisher_key_pattern(value):
    with pytest.raises(AtlasError, match="is not a publisher key"):
        checks.check_publisher_name(value)


def test_publisher_key_accepted():
    assert checks.check_publisher_name("data_registry.42") == "data_registry.42"


def test_ocds_version():
    assert checks.check_ocds_version("1.1") == "1.1"
    assert checks.check_ocds_version(None) is None
    with pytest.raises(AtlasError, match=r"use 1\.0 or 1\.1"):
        checks.check_ocds_version("1.2")


@pytest.mark.parametrize(
    "url", ["nonsense", "postgres://u:secret@host:port/db", "host=localhost port=abc", "dbname='unterminated"]
)
def test_malformed_database_url(url):
    with pytest.raises(AtlasError, match="DATABASE_URL") as error:
        checks.check_database_url(url)
    assert "secret" not in str(error.value)


@pytest.mark.parametrize("url", [None, "postgresql://atlas@db/atlas", "host=/tmp dbname=x", "postgresql:///x?host=/s"])
def test_good_database_urls(url):
    checks.check_database_url(url)


def test_spider_names_are_read_from_the_files():
    names = checks.spider_names()
    assert {"sandbox_xa", "mexico_cdmx", "data_registry"} <= names
    assert not any(name.endswith("_base") for name in names)


def test_an_unknown_spider_suggests_close_names():
    with pytest.raises(AtlasError, match=r"unknown spider 'mexico_cdmxx'; did you mean mexico_cdmx"):
        checks.check_spider("mexico_cdmxx")
    assert checks.check_spider("sandbox_xa") == "sandbox_xa"
