"""Scrapyd: the egg that carries the spiders to Scrapyd nodes, and a small client of its JSON API.

A Scrapyd node runs ocds-atlas installed from a checkout (``make install``): the aggregator, the crawler's base
classes, the pipeline that writes to PostgreSQL and the ``sql/`` files come from there. The egg carries only the
``spiders`` package (and names ``crawler.settings`` as the project's settings), so that new or changed spiders are
deployed without reinstalling. Scrapyd puts the egg on ``sys.path`` after the installed packages, but an editable
install is found by an import hook that comes after ``sys.path``: the egg's spiders win.

The egg ``scrapyd-deploy`` builds by itself does not work here: it writes a ``setup.py`` (and ``build/``) into the
checkout, ``pyproject.toml``'s ``[project]`` table overrides that file's settings entry point (so Scrapyd's runner
dies looking for it), and it packs the whole project, whose zipped aggregator would shadow the installed one and
could not read its ``sql/`` files. Hence this egg, deployed with ``scrapyd-deploy TARGET --egg FILE``.

    python -m aggregator.operate.scrapyd egg var/ocds_atlas.egg

The client speaks only to the URL it is given, with the standard library's ``urllib``.
"""

from __future__ import annotations

import base64
import json
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from aggregator.errors import AtlasError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The project's name on Scrapyd, as ``scrapy.cfg`` deploys it.
PROJECT = "ocds_atlas"
#: The settings module the egg names: Scrapyd's runner sets ``SCRAPY_SETTINGS_MODULE`` from it.
SETTINGS_MODULE = "crawler.settings"
TIMEOUT = 30
#: A fixed time for the egg's members: the same spiders give the same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_egg(destination: Path, spiders: Path = PROJECT_ROOT / "spiders", version: str = "0") -> Path:
    """Write an egg holding the ``spiders`` package (its ``.py`` files) and the metadata Scrapyd reads."""
    sources = sorted(path for path in spiders.rglob("*.py") if "__pycache__" not in path.parts)
    if not (spiders / "__init__.py").is_file():
        raise AtlasError(f"{spiders} is not a package of spiders (no __init__.py)")
    metadata = {
        "EGG-INFO/PKG-INFO": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n",
        "EGG-INFO/entry_points.txt": f"[scrapy]\nsettings = {SETTINGS_MODULE}\n",
        "EGG-INFO/top_level.txt": "spiders\n",
        # Nothing in the egg reads files beside its modules, so it can stay zipped.
        "EGG-INFO/zip-safe": "\n",
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as egg:
        for name, text in metadata.items():
            egg.writestr(zipfile.ZipInfo(name, _EPOCH), text)
        for path in sources:
            member = (Path("spiders") / path.relative_to(spiders)).as_posix()
            info = zipfile.ZipInfo(member, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            egg.writestr(info, path.read_bytes())
    return destination


def schedule(
    url: str,
    spider: str,
    arguments: dict[str, str],
    *,
    project: str = PROJECT,
    settings: dict[str, str] | None = None,
) -> str:
    """Schedule a crawl (``schedule.json``) with spider arguments and Scrapy settings; return Scrapyd's job id."""
    fields: list[tuple[str, str]] = [("project", project), ("spider", spider)]
    fields += [("setting", f"{name}={value}") for name, value in (settings or {}).items()]
    fields += list(arguments.items())
    reply = _call(url, "schedule.json", data=urlencode(fields).encode())
    return str(reply["jobid"])


def list_jobs(url: str, project: str = PROJECT) -> dict[str, list[dict[str, Any]]]:
    """The project's jobs on the node (``listjobs.json``): ``pending``, ``running`` and ``finished`` lists."""
    reply = _call(url, "listjobs.json?" + urlencode({"project": project}))
    return {state: list(reply.get(state, [])) for state in ("pending", "running", "finished")}


def active_jobs(url: str, project: str = PROJECT) -> list[str]:
    """The spider of each job pending or running on the node (a spider appears once per job)."""
    jobs = list_jobs(url, project)
    return [job["spider"] for job in jobs["pending"] + jobs["running"]]


def _call(url: str, endpoint: str, data: bytes | None = None) -> dict[str, Any]:
    """One request to Scrapyd; a reply whose status is not ``ok`` is an :class:`AtlasError` with its message.
    Credentials in the URL (``http://user:password@host:6800``) are sent as HTTP basic authentication."""
    base, headers = _split_credentials(url)
    target = urljoin(base.rstrip("/") + "/", endpoint)
    request = Request(target, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            body = response.read()
    except HTTPError as error:
        raise AtlasError(f"Scrapyd at {shown(base)} answered {error.code} to {endpoint.split('?')[0]}") from error
    except (URLError, OSError) as error:
        raise AtlasError(f"cannot reach Scrapyd at {shown(base)}: {getattr(error, 'reason', error)}") from error
    try:
        reply = json.loads(body)
    except ValueError:
        raise AtlasError(f"Scrapyd at {shown(base)} did not answer JSON to {endpoint.split('?')[0]}") from None
    if not isinstance(reply, dict) or reply.get("status") != "ok":
        message = reply.get("message", reply) if isinstance(reply, dict) else reply
        raise AtlasError(f"Scrapyd at {shown(base)} refused {endpoint.split('?')[0]}: {message}")
    return reply


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AtlasError(f"a Scrapyd URL is http(s)://host:port, not {url!r}")
    if parts.username is None:
        return url, {}
    token = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode()
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def shown(url: str) -> str:
    """The URL as messages show it: without credentials."""
    return _split_credentials(url)[0]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "egg":
        print("usage: python -m aggregator.operate.scrapyd egg PATH   (then: scrapyd-deploy TARGET --egg PATH)")
        return 2
    path = build_egg(Path(argv[1]))
    print(f"wrote {path}: the spiders package, settings {SETTINGS_MODULE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
