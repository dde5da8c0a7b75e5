"""What a replay is: a function that routes a ``LocalServer`` the way a publisher answers and returns what the crawl
must store (``Expected``), with the spider arguments and environment it runs with (``Replay``).

Replays of the publishers with data in ``../shared/data/publishers`` are in ``tests/crawl/test_publishers.py``; those of
publishers without it, each from a small fixture shaped as the publisher documents its responses, are in the modules
of ``tests/replays/`` (each defines ``REPLAYS``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import PUBLISHERS
from tests.httpserver import LocalServer, Reply, Request
from tests.replay import local_path


@dataclass
class Expected:
    releases: int
    records: int
    ocids: int
    #: note codes that must be among the crawl's notes (the publisher's known quirks)
    notes: set[str] = field(default_factory=set)
    #: SQL returning one row whose single value must be true (a quirk checked in the stored data)
    checks: tuple[str, ...] = ()


@dataclass
class Replay:
    serve: Callable[[LocalServer], Expected]
    arguments: dict[str, Any] = field(default_factory=dict)
    #: paths (as the local server sees them) that must have been requested, with their query parameters
    requested: tuple[tuple[str, dict[str, str]], ...] = ()
    #: the crawl's environment (credentials)
    env: dict[str, str] = field(default_factory=dict)
    #: how many times some paths must have been requested
    hits: dict[str, int] = field(default_factory=dict)


def read(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def files(directory: str) -> list[Path]:
    return sorted((PUBLISHERS / directory).glob("*.json"))


def as_package(release: dict[str, Any]) -> dict[str, Any]:
    """A sample-data release with ``packageInfo`` back as the package it came in (see MANIFEST "Provenance")."""
    release = dict(release)
    return {**release.pop("packageInfo"), "releases": [release]}


def merged_package(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """One package of many sample-data releases, with the first one's package metadata."""
    packages = [as_package(release) for release in releases]
    return {**packages[0], "releases": [package["releases"][0] for package in packages]}


def route(server: LocalServer, real_url: str, handler: Callable[[Request], Reply]) -> None:
    server.route(local_path(real_url), handler)


def latin1_json(value: Any) -> bytes:
    """JSON in ISO-8859-1, characters outside it escaped (as a publisher that encodes so would have to)."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(c if ord(c) < 256 else json.dumps(c)[1:-1] for c in text).encode("iso-8859-1")


def zip_reply(body: bytes) -> Reply:
    return Reply(200, {"Content-Type": "application/zip"}, body)
