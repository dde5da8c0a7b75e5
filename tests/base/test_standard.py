import pytest

from aggregator import fetch, standard
from aggregator.errors import AtlasError
from tests.conftest import STANDARD


def test_release_schema_from_a_local_directory():
    schema = standard.schema_file("1__1__5", "release-schema.json", str(STANDARD))
    assert schema["properties"]["ocid"]["type"] == "string"
    old = standard.schema_file("1__0__3", "release-schema.json", str(STANDARD))
    assert "parties" not in old["properties"]


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(AtlasError, match="does not exist"):
        standard.schema_file("1__1__5", "release-schema.json", str(tmp_path))


@pytest.mark.parametrize(
    "url",
    [
        "http://standard.open-contracting.org/schema/",  # not https
        "https://127.0.0.1/schema.json",  # loopback
        "https://10.0.0.1/x",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local
        "https://[::1]/x",
        "file:///etc/passwd",
    ],
)
def test_guard_refuses_non_public_or_non_https(url):
    with pytest.raises(AtlasError, match="refusing"):
        fetch.check_url(url)


def test_offline_website_default_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path))

    def unresolvable(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", unresolvable)
    with pytest.raises(AtlasError, match="offline, set OCDS_ATLAS_STANDARD_URL"):
        standard.schema_file("1__1__5", "release-schema.json", "https://standard.open-contracting.org/schema/")
