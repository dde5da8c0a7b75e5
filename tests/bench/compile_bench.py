"""``make bench``, compile part: ocds-atlas `load` + `compile` against `ocdskit compile` on the same generated files.

Generates a publication (release packages of 1,000 releases, realistic shape from the sandbox generator, 1 to 8
releases per OCID) of at least ``--releases`` releases and ``--megabytes`` MB, then times, in the same run:
(a) ``ocdskit compile`` reading the packages on standard input, (b) ``ocds-atlas load`` then ``ocds-atlas compile``
into PostgreSQL (``DATABASE_URL``, else an embedded server in a temporary home). Prints releases/s, MB/s, peak RSS
of each (the largest process of each command, via getrusage; PostgreSQL's own memory is not counted) and the ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from aggregator.sandbox import SANDBOX_PUBLISHERS
from aggregator.sandbox.generate import generate_releases

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def generate(directory: Path, releases_wanted: int, megabytes: int, seed: int = 7) -> tuple[int, int]:
    """Write release packages to ``directory``; return (releases, bytes)."""
    rng = random.Random(seed)
    releases: list[dict[str, Any]] = []
    size = 0
    round_ = 0
    while len(releases) < releases_wanted or size < megabytes * 1_000_000:
        publisher = dataclasses.replace(
            SANDBOX_PUBLISHERS["xa"],
            processes=5000,
            ocid_prefix=f"ocds-bn{round_:04d}",
            faults=type(SANDBOX_PUBLISHERS["xa"].faults)(),
        )
        batch = vary_releases_per_ocid(generate_releases(publisher, seed=seed + round_), rng)
        releases.extend(batch)
        size += sum(len(orjson.dumps(r)) for r in batch)
        round_ += 1
    directory.mkdir(parents=True, exist_ok=True)
    total = 0
    for number, start in enumerate(range(0, len(releases), 1000)):
        package = {
            "uri": f"https://bench.example/{number}",
            "publishedDate": "2024-01-01T00:00:00Z",
            "version": "1.1",
            "releases": releases[start : start + 1000],
        }
        body = orjson.dumps(package)
        (directory / f"package-{number:05d}.json").write_bytes(body)
        total += len(body)
    return len(releases), total


def vary_releases_per_ocid(releases: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """From the sandbox's 2 to 6 releases per OCID to 1 to 8: some processes keep only their first release, some
    get more contract amendments."""
    by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        if "date" in release and "ocid" in release:
            by_ocid[release["ocid"]].append(release)
    out = []
    for items in by_ocid.values():
        roll = rng.random()
        if roll < 0.08:
            items = items[:1]
        elif roll > 0.9:
            last = items[-1]
            for n in range(rng.randint(1, 8 - len(items)) if len(items) < 8 else 0):
                extra = {**last, "id": f"{last['id']}-amendment-{n}", "date": last["date"][:4] + "-12-31T00:00:00Z"}
                items = [*items, extra]
        out.extend(items[:8])
    return out


def run(command: list[str], **kwargs: Any) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run a command in a fresh launcher, so that its peak RSS is its own: (seconds, peak RSS in bytes, result)."""
    launcher = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=sys.stdout);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", launcher, *command], stderr=subprocess.PIPE, text=True, **kwargs)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) * 1024, result


def ocdskit(directory: Path, schema: Path, out: Path) -> tuple[float, int]:
    files = sorted(directory.glob("*.json"))
    cat = subprocess.Popen(["cat", *map(str, files)], stdout=subprocess.PIPE)
    with out.open("wb") as sink:
        seconds, rss, _ = run([str(BIN / "ocdskit"), "compile", "--schema", str(schema)], stdin=cat.stdout, stdout=sink)
    cat.wait()
    return seconds, rss


def atlas(directory: Path, env: dict[str, str]) -> tuple[float, int, float, int]:
    command = [str(BIN / "ocds-atlas")]
    load_s, load_rss, _ = run(
        [*command, "load", str(directory), "--publisher", "bench", "--country", "XA"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    compile_s, compile_rss, _ = run([*command, "compile"], env=env, stdout=subprocess.DEVNULL)
    return load_s, load_rss, compile_s, compile_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=50_000)
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        report(work, args.releases, args.megabytes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(work: Path, releases_wanted: int, megabytes: int) -> None:
    data = work / "data"
    started = time.perf_counter()
    releases, size = generate(data, releases_wanted, megabytes)
    mb = size / 1_000_000
    print(f"generated {releases:,} releases, {mb:,.0f} MB in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "OCDS_ATLAS_HOME": str(work / "home"), "OCDS_ATLAS_OFFLINE": "1"}
    env.setdefault("OCDS_ATLAS_STANDARD_URL", str(ROOT.parent / "shared" / "data" / "ocds"))
    from aggregator.standard import schema_file

    schema = work / "release-schema.json"
    schema.write_bytes(orjson.dumps(schema_file("1__1__5", "release-schema.json", env["OCDS_ATLAS_STANDARD_URL"])))
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = fresh_database(os.environ["DATABASE_URL"])
    kit_s, kit_rss = ocdskit(data, schema, work / "ocdskit.jsonl")
    load_s, load_rss, compile_s, compile_rss = atlas(data, env)
    atlas_s = load_s + compile_s
    rows = [
        ("ocdskit compile", kit_s, kit_rss),
        ("ocds-atlas load", load_s, load_rss),
        ("ocds-atlas compile", compile_s, compile_rss),
        ("ocds-atlas load + compile", atlas_s, max(load_rss, compile_rss)),
    ]
    print(f"{'':28}{'seconds':>9}{'releases/s':>12}{'MB/s':>8}{'peak RSS MB':>13}")
    for name, seconds, rss in rows:
        print(f"{name:28}{seconds:9.1f}{releases / seconds:12,.0f}{mb / seconds:8.1f}{rss / 1e6:13.0f}")
    print(f"throughput ratio, ocds-atlas load + compile / ocdskit compile: {kit_s / atlas_s:.2f} (goal: at least 3)")
    print(f"peak RSS of ocds-atlas: {max(load_rss, compile_rss) / 1e6:.0f} MB (goal: under 300 MB)")


def fresh_database(url: str) -> str:
    import psycopg
    from psycopg import sql

    from tests.conftest import with_database

    name = f"atlas_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


if __name__ == "__main__":
    main()
