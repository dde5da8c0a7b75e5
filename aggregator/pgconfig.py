"""The embedded PostgreSQL server's settings, sized for the machine it runs on.

PostgreSQL's defaults (128 MB of shared buffers, 4 MB of work memory, 1 GB of WAL between checkpoints) suit a
small shared host; the embedded server is the only database of the machine it runs on. Its settings are written to
``$OCDS_ATLAS_HOME/pgdata/ocds_atlas.conf``, which ``postgresql.conf`` includes, each time a command finds the
server; ``OCDS_ATLAS_PG_<SETTING>`` (``OCDS_ATLAS_PG_SHARED_BUFFERS=2GB``) sets any setting instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aggregator import settings

CONF_FILE = "ocds_atlas.conf"
INCLUDE = f"include_if_exists = '{CONF_FILE}'"
ENV_PREFIX = "OCDS_ATLAS_PG_"
_SETTING = re.compile(r"^[a-z_][a-z0-9_.]*$")
MB = 1 << 20


@dataclass(frozen=True)
class Machine:
    #: Bytes of memory this process may use (the machine's, or its control group's limit when lower).
    memory: int
    cores: int


def this_machine() -> Machine:
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    limit = _cgroup_memory_limit()
    return Machine(min(memory, limit) if limit else memory, settings.cores())


def _cgroup_memory_limit() -> int | None:
    for path in (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            value = path.read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < 1 << 50:
            return int(value)
    return None


def _clamp(value: int, least: int, most: int) -> int:
    return max(least, min(most, value))


def sized_settings(machine: Machine) -> dict[str, str]:
    """Settings for a server that shares ``machine`` with the crawler and the load and compile workers, which
    need memory of their own (so an eighth, not PostgreSQL's usual quarter, for shared buffers)."""
    memory_mb = machine.memory // MB
    return {
        "shared_buffers": f"{_clamp(memory_mb // 8, 128, 8192)}MB",
        "effective_cache_size": f"{_clamp(memory_mb // 2, 512, 65536)}MB",
        # Per sort or hash of each query: each worker's connection may run one at a time.
        "work_mem": f"{_clamp(memory_mb // (32 * machine.cores), 4, 256)}MB",
        "maintenance_work_mem": f"{_clamp(memory_mb // 16, 64, 2048)}MB",
        # Fewer checkpoints: each writes every page it dirtied again, whole, to the WAL.
        "max_wal_size": f"{_clamp(memory_mb // 8, 1024, 8192)}MB",
        "checkpoint_timeout": "15min",
        "max_parallel_workers_per_gather": str(_clamp(machine.cores // 2, 0, 4)),
        # WAL not compressed: CPU, not the disk, is what these machines run short of. A server made with data
        # checksums (PostgreSQL 18's default) writes a page whole to the WAL the first time it sets a hint bit on it
        # after a checkpoint, as a read of rows just written does. Compressing those pages with pglz (the embedded
        # server's only method) cost a 1 % change of the bench's 1M releases 11.4 to 11.7 CPU s of the server
        # against 6.7 to 7.0 s without (load to quality; an indicators refresh 2.3 s against 1.1, writing 96 MB of
        # WAL against 45). Full runs write few such pages: their server CPU kept its ratio to the client's.
        "wal_compression": "off",
    }


def overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings given as ``OCDS_ATLAS_PG_<SETTING>=value``."""
    found = {}
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and value:
            name = key[len(ENV_PREFIX) :].lower()
            if not _SETTING.match(name):
                from aggregator.errors import AtlasError

                raise AtlasError(f"{key} does not name a PostgreSQL setting")
            found[name] = value
    return found


def conf_text(values: Mapping[str, str]) -> str:
    lines = ["# Written by ocds-atlas (aggregator/pgconfig.py) each time it finds the server: edits are lost."]
    lines += [f"{name} = '{value.replace(chr(39), chr(39) * 2)}'" for name, value in sorted(values.items())]
    return "\n".join(lines) + "\n"


def write_conf(pgdata: Path, values: Mapping[str, str]) -> bool:
    """Write the settings file (and include it from ``postgresql.conf``); return whether anything changed."""
    main = pgdata / "postgresql.conf"
    changed = False
    text = main.read_text(encoding="utf-8")
    if INCLUDE not in text.splitlines():
        main.write_text(text.rstrip("\n") + "\n" + INCLUDE + "\n", encoding="utf-8")
        changed = True
    path = pgdata / CONF_FILE
    wanted = conf_text(values)
    if not path.is_file() or path.read_text(encoding="utf-8") != wanted:
        path.write_text(wanted, encoding="utf-8")
        changed = True
    return changed
