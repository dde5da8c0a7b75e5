"""The one way aggregator code reaches the internet: https only, public hosts only, capped, cached on disk.

Private, loopback, link-local, multicast and reserved addresses are refused, so that a URL found in published
data (an extension, say) can never make us talk to a machine inside the network we run in.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from aggregator import settings
from aggregator.errors import AtlasError

MAX_BYTES = 64 * 1024 * 1024
TIMEOUT = 30


def check_url(url: str) -> None:
    """Raise :class:`AtlasError` unless ``url`` is https and every address its host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise AtlasError(f"refusing to fetch {url}: only https URLs are fetched")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise AtlasError(f"cannot resolve {parts.hostname}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise AtlasError(f"refusing to fetch {url}: {parts.hostname} resolves to non-public {address}")


def fetch(url: str, *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT) -> bytes:
    if settings.offline():
        raise AtlasError(f"not fetching {url}: OCDS_ATLAS_OFFLINE is set and it is not cached")
    check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "ocds-atlas"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if urlsplit(response.geturl()).hostname != urlsplit(url).hostname:
                check_url(response.geturl())
            body = response.read(max_bytes + 1)
    except OSError as error:
        raise AtlasError(f"cannot fetch {url}: {error}") from error
    if len(body) > max_bytes:
        raise AtlasError(f"refusing {url}: larger than {max_bytes} bytes")
    return body


def cache_path(url: str, name: str | None = None) -> Path:
    """Where the download of ``url`` is cached: offline machines can be given files by putting them there."""
    return settings.cache_dir() / "downloads" / (name or hashlib.sha256(url.encode()).hexdigest())


def cached_fetch(url: str, name: str | None = None, **kwargs: float) -> Path:
    """Fetch ``url`` once into ``$OCDS_ATLAS_HOME/cache/downloads`` and return the cached file's path."""
    path = cache_path(url, name)
    if not path.exists():
        body = fetch(url, **kwargs)  # type: ignore[arg-type]
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(body)
        partial.replace(path)
    return path
