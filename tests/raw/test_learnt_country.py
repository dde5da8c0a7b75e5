"""A publisher whose country its crawl learns (a registry's publication): opened in ``UNKNOWN_COUNTRY``, set when
learnt, kept by later crawls that do not know it, and still guarded against a contradicting declaration."""

import pytest

from aggregator.errors import AtlasError
from aggregator.raw.crawls import UNKNOWN_COUNTRY, PublisherInfo, learn_publisher, upsert_publisher


def country(conn, publisher_id: int) -> str:
    return conn.execute("SELECT country FROM publisher WHERE id = %s", (publisher_id,)).fetchone()["country"]


def test_a_learnt_country_is_kept_and_guarded(atlas_env, conn):
    unknown = PublisherInfo(name="data_registry.42", title="Publication 42", country=UNKNOWN_COUNTRY)
    publisher_id = upsert_publisher(conn, unknown)
    assert country(conn, publisher_id) == UNKNOWN_COUNTRY
    learn_publisher(conn, publisher_id, {"country": "PY", "registry_country": "Paraguay"})
    assert country(conn, publisher_id) == "PY"
    assert upsert_publisher(conn, unknown) == publisher_id  # a crawl that does not know it yet
    assert country(conn, publisher_id) == "PY"
    with pytest.raises(AtlasError, match="is in country PY, not MD"):
        upsert_publisher(conn, PublisherInfo(name="data_registry.42", title="Publication 42", country="MD"))


def test_a_declared_country_replaces_an_unknown_one(atlas_env, conn):
    publisher_id = upsert_publisher(conn, PublisherInfo(name="data_registry.7", title="T", country=UNKNOWN_COUNTRY))
    assert upsert_publisher(conn, PublisherInfo(name="data_registry.7", title="T", country="MD")) == publisher_id
    assert country(conn, publisher_id) == "MD"
