"""A small HTTP server on 127.0.0.1 that serves the sandbox publishers in their publication shapes.

Endpoints (relative to ``SandboxServer.url``):

- ``GET /``: JSON index of the publishers (key, name, country, OCDS version, shape, entry URL).
- ``GET /xa/releases?page=N[&from=YYYY-MM-DD][&until=YYYY-MM-DD]`` and the same for ``/xb_city/releases``: release
  packages of at most 200 releases, in order of date, ocid and id, with ``links.next`` while there is a next page.
- ``GET /xb/bulk.zip``: a zip with one ``releases-YYYY.jsonl`` member per year (a bare release per line) and a
  ``README.txt`` describing the package metadata.
- ``GET /xc/records?page=N``: record packages of at most 100 records, with ``links.next``.

A bad parameter answers 400, anything else 404, always with a JSON ``{"error": ...}`` body. The transport faults
(``xa``'s truncated final page, ``xc``'s HTTP 500 once) are described in ``aggregator.sandbox.publishers``.
"""

import argparse
import contextlib
import functools
import io
import threading
import zipfile
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from aggregator.sandbox.generate import DEFAULT_SEED, cached_records, cached_releases
from aggregator.sandbox.publishers import (
    BULK_JSONL_ZIP,
    RECORD_PAGES,
    RELEASE_PAGES,
    SANDBOX_PUBLISHERS,
    Publisher,
)

RELEASES_PER_PAGE = 200
RECORDS_PER_PAGE = 100
ZIP_DATE_TIME = (2024, 2, 1, 9, 0, 0)
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


class BadRequest(Exception):
    """A request parameter that cannot be used: answered with 400."""


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status, JSON, orjson.dumps(value))


def error_reply(status: int, message: str) -> Reply:
    return json_reply({"error": message}, status)


def parse_params(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise BadRequest(f"repeated parameter(s): {', '.join(repeated)}")
    return {name: values[0] for name, values in params.items()}


def parse_page(params: dict[str, str]) -> int:
    value = params.get("page", "1")
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"page must be a positive integer, not {value!r}")
    return int(value)


def parse_day(params: dict[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None
    return value


def page_url(host: str, path: str, params: dict[str, str]) -> str:
    return f"http://{host}{path}?{urlencode(params)}"


# Data is generated once per process; while one thread generates, the others wait rather than generate too.
GENERATION_LOCK = threading.RLock()


def releases_of(key: str, seed: int) -> list[dict[str, Any]]:
    with GENERATION_LOCK:
        return cached_releases(key, seed)


def records_of(key: str, seed: int) -> list[dict[str, Any]]:
    with GENERATION_LOCK:
        return cached_records(key, seed)


@functools.lru_cache(maxsize=32)
def filtered_releases(key: str, seed: int, since: str | None, until: str | None) -> list[dict[str, Any]]:
    """The publisher's releases whose date falls within [since, until] (whole days); all of them unfiltered."""
    releases = releases_of(key, seed)
    if since is None and until is None:
        return releases
    low, high = since or "0000-00-00", until or "9999-99-99"
    return [release for release in releases if "date" in release and low <= release["date"][:10] <= high]


def index(host: str) -> Reply:
    return json_reply(
        {
            "publishers": [
                {
                    "key": p.key,
                    "name": p.name,
                    "country": p.country.code,
                    "countryName": p.country.name,
                    "ocdsVersion": p.ocds_version,
                    "shape": p.shape,
                    "url": f"http://{host}{p.entry_path}",
                }
                for p in SANDBOX_PUBLISHERS.values()
            ]
        }
    )


def release_page(publisher: Publisher, seed: int, host: str, path: str, query: str) -> Reply:
    params = parse_params(query, ("page", "from", "until"))
    page, since, until = parse_page(params), parse_day(params, "from"), parse_day(params, "until")
    if since and until and since > until:
        raise BadRequest("from must not be after until")
    releases = filtered_releases(publisher.key, seed, since, until)
    pages = max(1, -(-len(releases) // RELEASES_PER_PAGE))
    if page > pages:
        return error_reply(404, f"page {page} does not exist (there are {pages})")
    package: dict[str, Any] = {"uri": page_url(host, path, params), **publisher.package_metadata()}
    package["releases"] = releases[(page - 1) * RELEASES_PER_PAGE : page * RELEASES_PER_PAGE]
    if page < pages:
        package["links"] = {"next": page_url(host, path, {**params, "page": str(page + 1)})}
    body = orjson.dumps(package)
    if publisher.faults.truncated_final_page and since is None and until is None and page == pages > 1:
        body = body[: len(body) // 2]  # deliberate fault: the final page is cut short
    return Reply(200, JSON, body)


def record_page(server: "SandboxServer", publisher: Publisher, host: str, path: str, query: str) -> Reply:
    params = parse_params(query, ("page",))
    page = parse_page(params)
    records = records_of(publisher.key, server.seed)
    pages = max(1, -(-len(records) // RECORDS_PER_PAGE))
    if page > pages:
        return error_reply(404, f"page {page} does not exist (there are {pages})")
    if page == publisher.faults.http_500_once_page and server.count_request(publisher.key, page) == 1:
        return error_reply(500, "internal server error (deliberate: the first request for this page fails)")
    package: dict[str, Any] = {"uri": page_url(host, path, params), **publisher.package_metadata()}
    package["records"] = records[(page - 1) * RECORDS_PER_PAGE : page * RECORDS_PER_PAGE]
    if page < pages:
        package["links"] = {"next": page_url(host, path, {"page": str(page + 1)})}
    return json_reply(package)


def readme(publisher: Publisher) -> bytes:
    metadata = orjson.dumps(publisher.package_metadata(), option=orjson.OPT_INDENT_2).decode()
    return (
        f"{publisher.name}: bulk download of all releases, OCDS {publisher.ocds_version}.\n\n"
        "Each releases-YYYY.jsonl member holds the releases dated in year YYYY, one release per line (UTF-8).\n"
        "The lines are bare releases; the package metadata they share is:\n\n"
        f"{metadata}\n"
    ).encode()


def zip_member(name: str) -> zipfile.ZipInfo:
    """A member with fixed metadata, so that the archive's bytes never change."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


@functools.cache
def bulk_zip(key: str, seed: int) -> bytes:
    """The publisher's bulk file, built once per process (deterministic bytes)."""
    publisher = SANDBOX_PUBLISHERS[key]
    years: dict[str, list[bytes]] = {}
    for release in releases_of(key, seed):
        years.setdefault(release.get("date", "undated")[:4], []).append(orjson.dumps(release) + b"\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zip_member("README.txt"), readme(publisher))
        for year in sorted(years):
            archive.writestr(zip_member(f"releases-{year}.jsonl"), b"".join(years[year]))
    return buffer.getvalue()


def route(server: "SandboxServer", path: str, query: str, host: str) -> Reply:
    """The reply to ``GET path?query``."""
    if path == "/":
        return index(host)
    key, _, endpoint = path.strip("/").partition("/")
    publisher = SANDBOX_PUBLISHERS.get(key)
    try:
        if publisher and publisher.shape == RELEASE_PAGES and endpoint == "releases":
            return release_page(publisher, server.seed, host, path, query)
        if publisher and publisher.shape == RECORD_PAGES and endpoint == "records":
            return record_page(server, publisher, host, path, query)
    except BadRequest as error:
        return error_reply(400, str(error))
    if publisher and publisher.shape == BULK_JSONL_ZIP and endpoint == "bulk.zip":
        with GENERATION_LOCK:
            return Reply(200, "application/zip", bulk_zip(publisher.key, server.seed))
    return error_reply(404, f"not found: {path}")


class Handler(BaseHTTPRequestHandler):
    server: "HTTPServer"

    def do_GET(self) -> None:
        self.reply(send_body=True)

    def do_HEAD(self) -> None:
        self.reply(send_body=False)

    def reply(self, send_body: bool) -> None:
        split = urlsplit(self.path)
        host = self.headers.get("Host") or self.server.sandbox.netloc
        try:
            reply = route(self.server.sandbox, split.path, split.query, host)
        except Exception as error:  # a bug in the sandbox: tell the client, log nothing
            reply = error_reply(500, f"sandbox error: {error!r}")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the sandbox runs inside test suites and demos."""


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: "SandboxServer") -> None:
        self.sandbox = sandbox
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silence errors of the connection (a client that hangs up early), which are the client's business."""


class SandboxServer:
    """The sandbox publishers on ``http://127.0.0.1:PORT`` (port 0: any free port), in a daemon thread."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", seed: int = DEFAULT_SEED) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = {}

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self.netloc}"

    def count_request(self, key: str, page: int) -> int:
        """How many times this server has been asked for ``page`` of ``key``, this request included."""
        with self._lock:
            self._requests[key, page] = self._requests.get((key, page), 0) + 1
            return self._requests[key, page]

    def start(self) -> "SandboxServer":
        if self._httpd is not None:
            raise RuntimeError("the sandbox server is already started")
        self._httpd = HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m aggregator.sandbox [--port N]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m aggregator.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated data")
    args = parser.parse_args(argv)
    with SandboxServer(port=args.port, seed=args.seed) as server:
        print(f"Sandbox publishers at {server.url}/ (Ctrl-C to stop)", flush=True)
        for publisher in SANDBOX_PUBLISHERS.values():
            print(f"  {publisher.key:8} {server.url}{publisher.entry_path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
