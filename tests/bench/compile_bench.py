"""``make bench``, compile part: ocds-atlas `load` + `compile` against `ocdskit compile` on the same generated files.

Generates a publication (release packages of 1,000 releases, realistic shape from the sandbox generator, 1 to 8
releases per OCID) of at least ``--releases`` releases and ``--megabytes`` MB, then times, in the same run:
(a) ``ocdskit compile`` reading the packages on standard input, (b) ``ocds-atlas load`` then ``ocds-atlas compile``
into PostgreSQL (``DATABASE_URL``, else an embedded server in a temporary home). Prints releases/s, MB/s, peak RSS
of each (the largest process of each command, via getrusage; PostgreSQL's own memory is not counted) and the ratio.
``ocds-atlas compile`` then normalizes what it compiled, which ocdskit does not do: that step is not timed. CPU
seconds are shown too (of the command and its workers, and of the server when it is the embedded one, which this
run starts for itself): on a busy machine they compare better than seconds. Then the database's size after load +
compile, per million releases. With ``--runs N``, the medians of the ratio and of the floor's multiple (see
:func:`show_floor`) close the output.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from aggregator import settings

if TYPE_CHECKING:
    from tests.bench import floor

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def generate(directory: Path, releases_wanted: int, megabytes: int, seed: int = 7) -> tuple[int, int]:
    """Write release packages to ``directory``; return (releases, bytes)."""
    # Imported here, as the floor is in measure_floor: the compile step (``--compile-only``) imports only what
    # ``ocds-atlas compile`` needs.
    from aggregator.sandbox import SANDBOX_PUBLISHERS
    from aggregator.sandbox.generate import generate_releases

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


@dataclasses.dataclass(frozen=True)
class Step:
    seconds: float
    #: Peak RSS of the command's largest process, in bytes.
    rss: int
    #: CPU seconds of the command and its worker processes.
    cpu: float
    #: CPU seconds of the PostgreSQL server meanwhile (known for the embedded server only, which is this run's own).
    server_cpu: float | None = None


def run(command: list[str], server: int | None = None, **kwargs: Any) -> Step:
    """Run a command in a fresh launcher, so that its peak RSS and CPU time are its own (with ``server``, the
    embedded PostgreSQL server's process id, the server's CPU time meanwhile too)."""
    launcher = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=sys.stdout);"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(r.returncode)"
    )
    server_before = server_cpu(server) if server else None
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", launcher, *command], stderr=subprocess.PIPE, text=True, **kwargs)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    rss, cpu = result.stderr.strip().splitlines()[-1].split()
    used = server_cpu(server) - server_before if server and server_before is not None else None
    return Step(seconds, int(rss) * 1024, float(cpu), used)


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by a PostgreSQL server: the postmaster, its running processes, and the ended
    connections it waited for (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, times = int(fields[1]), [int(v) for v in fields[11:15]]
        if stat.parent.name == str(pid):
            total += sum(times)  # its own time and that of the children it waited for
        elif ppid == pid:
            total += times[0] + times[1]
    return total / ticks


def ocdskit(directory: Path, schema: Path, out: Path) -> Step:
    files = sorted(directory.glob("*.json"))
    cat = subprocess.Popen(["cat", *map(str, files)], stdout=subprocess.PIPE)
    with out.open("wb") as sink:
        step = run([str(BIN / "ocdskit"), "compile", "--schema", str(schema)], stdin=cat.stdout, stdout=sink)
    cat.wait()
    return step


def atlas_commands(directory: Path) -> dict[str, list[str]]:
    """``ocds-atlas load``, then the compile step of ``ocds-atlas compile``.

    ``ocds-atlas compile`` normalizes what it compiled once it is done; ocdskit does nothing of the kind, so only
    the compile step is timed (``compile_only``)."""
    return {
        "load": [str(BIN / "ocds-atlas"), "load", str(directory), "--publisher", "bench", "--country", "XA"],
        "compile": [sys.executable, "-m", "tests.bench.compile_bench", "--compile-only"],
    }


def compile_only() -> None:
    """What ``ocds-atlas compile`` does before it normalizes."""
    from aggregator.cli.app import connect_migrated
    from aggregator.operate.pipeline import compile_with_progress

    with connect_migrated() as conn:
        compile_with_progress(conn, None, full=False, normalize_after=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=50_000)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--data", type=Path, help="Time these packages (written by an earlier run) instead.")
    parser.add_argument(
        "--runs", type=int, default=1, help="Time it this many times on the same data, and print the median ratio."
    )
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compile_only:
        compile_only()
        return
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        data = args.data
        if data is None:
            data = work / "data"
            started = time.perf_counter()
            releases, size = generate(data, args.releases, args.megabytes)
            print(f"generated {releases:,} releases, {size / 1e6:,.0f} MB in {time.perf_counter() - started:.1f} s")
        else:
            files = sorted(data.glob("*.json"))
            releases = sum(len(orjson.loads(f.read_bytes())["releases"]) for f in files)
            size = sum(f.stat().st_size for f in files)
            print(f"read {releases:,} releases, {size / 1e6:,.0f} MB from {data}")
        ratios, bounds, multiples = [], [], []
        for run_number in range(args.runs):
            if args.runs > 1:
                print(f"run {run_number + 1} of {args.runs}")
            ratio, floor_figures = report(work / f"run-{run_number}", data, releases, size)
            ratios.append(ratio)
            if floor_figures is not None:
                bounds.append(floor_figures.bound)
                if floor_figures.multiple is not None:
                    multiples.append(floor_figures.multiple)
            shutil.rmtree(work / f"run-{run_number}", ignore_errors=True)  # its server's data: as large as the input
        if args.runs > 1:
            print(f"median throughput ratio of {args.runs} runs: {statistics.median(ratios):.2f} (goal: at least 3)")
            if bounds:
                print(f"median of the highest ratios the floor allows: {statistics.median(bounds):.2f}")
            if multiples:
                runs = ", ".join(f"{m:.2f}" for m in multiples)
                print(
                    f"median CPU of ocds-atlas load + compile, times the floor's: {statistics.median(multiples):.2f}"
                    f" ({runs}; goal: at most 1.5)"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class FloorFigures:
    #: The highest throughput ratio the floor allows on this machine's cores.
    bound: float
    #: ocds-atlas load + compile's CPU seconds (with the server's) over the floor's; None without the server's.
    multiple: float | None


def report(work: Path, data: Path, releases: int, size: int) -> tuple[float, FloorFigures | None]:
    """Time ocdskit, the floor (:mod:`tests.bench.floor`) and ocds-atlas on the packages in ``data`` (``releases`` of
    them, ``size`` bytes), print what was measured, and return the ratio and what the floor tells of it (None when
    the floor could not be measured)."""
    work.mkdir(parents=True)
    mb = size / 1_000_000
    env = {**os.environ, "OCDS_ATLAS_HOME": str(work / "home"), "OCDS_ATLAS_OFFLINE": "1"}
    env.setdefault("OCDS_ATLAS_STANDARD_URL", str(ROOT.parent / "shared" / "data" / "ocds"))
    from aggregator.standard import schema_file

    schema = work / "release-schema.json"
    schema.write_bytes(orjson.dumps(schema_file("1__1__5", "release-schema.json", env["OCDS_ATLAS_STANDARD_URL"])))
    server = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = fresh_database(os.environ["DATABASE_URL"])
    else:
        server = start_embedded_server(work / "home")
    print(f"{'':30}{'seconds':>9}{'releases/s':>12}{'MB/s':>8}{'peak RSS MB':>13}{'CPU s':>8}{'server CPU s':>14}")

    def show(name: str, step: Step) -> None:
        server_text = "" if step.server_cpu is None else f"{step.server_cpu:.1f}"
        print(
            f"{name:30}{step.seconds:9.1f}{releases / step.seconds:12,.0f}{mb / step.seconds:8.1f}"
            f"{step.rss / 1e6:13.0f}{step.cpu:8.1f}{server_text:>14}",
            flush=True,
        )

    commands = atlas_commands(data)
    quiet = {"env": env, "server": server, "stdout": subprocess.DEVNULL, "cwd": ROOT}
    try:
        kit = ocdskit(data, schema, work / "ocdskit.jsonl")
        show("ocdskit compile", kit)
        least = measure_floor(data, server)
        load = run(commands["load"], **quiet)
        show("ocds-atlas load", load)
        compiled = run(commands["compile"], **quiet)
        show("ocds-atlas compile", compiled)
        both = Step(
            load.seconds + compiled.seconds,
            max(load.rss, compiled.rss),
            load.cpu + compiled.cpu,
            None if server is None else (load.server_cpu or 0) + (compiled.server_cpu or 0),
        )
        show("ocds-atlas load + compile", both)
        ratio = kit.seconds / both.seconds
        print(f"throughput ratio, ocds-atlas load + compile / ocdskit compile: {ratio:.2f} (goal: at least 3)")
        if both.server_cpu is not None:
            cpu = both.cpu + both.server_cpu
            print(f"CPU time ratio, ocdskit / ocds-atlas (with the server's): {kit.cpu / cpu:.2f}")
        print(f"peak RSS of ocds-atlas: {both.rss / 1e6:.0f} MB (goal: under 300 MB)", flush=True)
        stored = database_bytes(env.get("DATABASE_URL") if server is None else None)
        print(
            f"database after load + compile: {stored / 1e6:,.0f} MB, {stored / releases * 1e6 / 1e9:.2f} GB per million"
            f" releases, {stored / size:.2f} times the JSON loaded (goal: at most 3.5 GB per million releases)",
            flush=True,
        )
        return ratio, show_floor(least, kit, both, releases)
    finally:
        if server is not None:
            stop_embedded_server(server)


def measure_floor(data: Path, server: int | None) -> floor.Floor | None:
    """The floor's pieces on these packages, against the run's embedded server (None with ``DATABASE_URL``: that
    server's CPU time is not known here)."""
    if server is None:
        print("floor not measured: it needs the server's CPU time, known for the embedded server only")
        return None
    from aggregator import db
    from tests.bench import floor

    return floor.measure(sorted(data.glob("*.json")), db.embedded_server_url(), lambda: server_cpu(server))


def show_floor(least: floor.Floor | None, kit: Step, both: Step, releases: int) -> FloorFigures | None:
    """Print the floor's pieces, CPU seconds per release of the floor and of ocds-atlas (and their multiple), the
    least time the floor takes on this machine's cores, and the highest ratio that allows; return that ratio and the
    multiple.

    The bound uses CPU seconds on both sides, so that a busy machine does not move it: ``ocdskit compile`` runs on
    one core, so its CPU seconds are its least time; the floor's CPU seconds spread over every core are its."""
    if least is None:
        return None
    cores = settings.cores()
    pieces = ", ".join(f"{name} {seconds:.1f}" for name, seconds in least.pieces.items())
    print(f"floor, CPU s: {pieces}; {least.cpu:.1f} in all (tests/bench/floor.py)")
    per_release = 1e6 / releases
    print(
        f"CPU s per million releases: floor {least.cpu * per_release:.1f}, ocdskit compile {kit.cpu * per_release:.1f}"
    )
    multiple = None
    if both.server_cpu is not None:
        used = both.cpu + both.server_cpu
        multiple = used / least.cpu
        print(
            f"ocds-atlas load + compile used {used:.1f} CPU s ({used * per_release:.1f} per million releases),"
            f" {multiple:.2f} times the floor's (goal: at most 1.5)"
        )
    bound = kit.cpu / least.seconds(cores)
    on = f"{cores} cores" if cores > 1 else "1 core"
    print(
        f"the floor takes at least {least.seconds(cores):.1f} s on {on}: no load + compile that does this work as"
        f" ocds-atlas does it can reach a ratio above {bound:.2f} on this machine (ocdskit's CPU s / the floor's"
        " CPU s per core)"
    )
    return FloorFigures(bound, multiple)


def start_embedded_server(home: Path) -> int:
    """Start the embedded server the commands will use (as they would on first use); return its process id."""
    os.environ["OCDS_ATLAS_HOME"] = str(home)
    from aggregator import db

    db.embedded_server_url()
    pid = (home / "pgdata" / "postmaster.pid").read_text().split()[0]
    return int(pid)


def stop_embedded_server(pid: int) -> None:
    """Stop the server this run started (a fast shutdown), before its data directory is removed."""
    os.kill(pid, signal.SIGINT)
    for _ in range(300):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)


def database_bytes(url: str | None) -> int:
    """The size of the database at ``url`` (None: the embedded server's), as PostgreSQL counts it."""
    import psycopg

    from aggregator import db

    with psycopg.connect(url or db.embedded_server_url()) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def fresh_database(url: str) -> str:
    import psycopg
    from psycopg import sql

    from aggregator.db import create_database
    from tests.conftest import with_database

    name = f"atlas_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        create_database(conn, name)  # as the embedded server's is made
    return with_database(url, name)


if __name__ == "__main__":
    main()
