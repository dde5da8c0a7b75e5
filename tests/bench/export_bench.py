"""``ocds-atlas export`` CPU seconds, first export and re-export after a change of 1 % of the compiled releases.

Three steps, each its own command, on one embedded server kept in ``--work`` (so that two versions of the code can
be timed on the same database, ``--code`` naming the checkout whose ``ocds-atlas export`` runs):

    python -m tests.bench.export_bench prepare --work /tmp/eb --releases 30000   # generate, load, compile
    python -m tests.bench.export_bench export --work /tmp/eb --out /tmp/eb/out    # time an export
    python -m tests.bench.export_bench change --work /tmp/eb --share 0.01          # 1 % of OCIDs get a release
    python -m tests.bench.export_bench change --work /tmp/eb --seed 2 --year 2023  # 1 %, all first dated 2023
    python -m tests.bench.export_bench export --work /tmp/eb --out /tmp/eb/out    # time the re-export

Each ``export`` prints the command's CPU seconds and the server's (the embedded server is this run's own).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

import orjson

from tests.bench.compile_bench import ROOT, generate, run, server_cpu, start_embedded_server


def _env(work: Path) -> dict[str, str]:
    env = {**os.environ, "OCDS_ATLAS_HOME": str(work / "home"), "OCDS_ATLAS_OFFLINE": "1"}
    env.setdefault("OCDS_ATLAS_STANDARD_URL", str(ROOT.parent / "shared" / "data" / "ocds"))
    return env


def _server(work: Path) -> int:
    start_embedded_server(work / "home")
    return int((work / "home" / "pgdata" / "postmaster.pid").read_text().split()[0])


def _atlas(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from aggregator.cli.main import main; sys.argv[0] = 'ocds-atlas'; main()",
        *args,
    ]


def prepare(work: Path, releases: int) -> None:
    data = work / "data"
    count, size = generate(data, releases, 1)
    print(f"generated {count:,} releases, {size / 1e6:,.0f} MB")
    env, server = _env(work), _server(work)
    quiet = {"env": env, "server": server, "stdout": subprocess.DEVNULL, "cwd": ROOT}
    run(_atlas("load", str(data), "--publisher", "bench", "--country", "XA"), **quiet)
    run(_atlas("compile"), **quiet)


def change(work: Path, share: float, seed: int, year: str | None) -> None:
    """A new, later release for ``share`` of the OCIDs (its tender's title changed), loaded and compiled; with
    ``year``, OCIDs whose first release is dated that year only (as an incremental crawl brings recent ones)."""
    latest: dict[str, dict] = {}
    first: dict[str, str] = {}
    for path in sorted((work / "data").glob("package-*.json")):
        for release in orjson.loads(path.read_bytes())["releases"]:
            ocid, date = release.get("ocid"), release.get("date", "")
            if ocid and date >= latest.get(ocid, {}).get("date", ""):
                latest[ocid] = release
            if ocid and date and date < first.get(ocid, "9999"):
                first[ocid] = date
    rng = random.Random(seed)
    candidates = sorted(o for o in latest if year is None or first.get(o, "").startswith(year))
    chosen = rng.sample(candidates, max(1, round(share * len(latest))))
    releases = []
    for ocid in chosen:
        release = latest[ocid]
        releases.append(
            {
                "ocid": ocid,
                "id": f"{release['id']}-changed-{seed}",
                "date": release["date"][:4] + "-12-31T23:59:59Z",
                "tag": ["tenderUpdate"],
                "initiationType": "tender",
                "tender": {"id": release.get("tender", {}).get("id", "t"), "title": f"changed {seed}"},
            }
        )
    folder = work / f"change-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    package = {"uri": "https://bench.example/change", "publishedDate": "2024-06-01T00:00:00Z", "version": "1.1"}
    (folder / "package.json").write_bytes(orjson.dumps({**package, "releases": releases}))
    env, server = _env(work), _server(work)
    quiet = {"env": env, "server": server, "stdout": subprocess.DEVNULL, "cwd": ROOT}
    run(_atlas("load", str(folder), "--publisher", "bench", "--country", "XA"), **quiet)
    run(_atlas("compile"), **quiet)
    print(f"changed {len(chosen):,} of {len(latest):,} OCIDs")


def export(work: Path, out: Path, code: Path) -> None:
    env, server = _env(work), _server(work)
    env["PYTHONPATH"] = str(code)
    before = server_cpu(server)
    step = run(_atlas("export", str(out)), env=env, stdout=subprocess.DEVNULL, cwd=code)
    print(
        f"export ({code}): {step.seconds:.1f} s, CPU {step.cpu:.2f} s, server CPU {server_cpu(server) - before:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["prepare", "change", "export"])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--releases", type=int, default=30_000)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", help="change OCIDs whose first release is dated this year only")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose export is timed")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.work, args.releases)
    elif args.step == "change":
        change(args.work, args.share, args.seed, args.year)
    else:
        export(args.work, args.out or args.work / "out", args.code)


if __name__ == "__main__":
    main()
