"""Which settings file a publisher's red flags are computed with: ``<publisher>.ini`` in the operator's directory
(``OCDS_ATLAS_RED_FLAG_SETTINGS``), else in ``data/`` beside this module; else the file of the longest name that
the publisher's extends after an underscore (``ukraine_prozorro.ini`` for ``ukraine_prozorro_api_records``); else
``data/default.ini`` (every indicator, Cardinal's defaults). Each is a complete Cardinal settings file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aggregator.compare.redflags.settings import Settings, SettingsError, parse_settings

DATA = Path(__file__).parent / "data"
DEFAULT = DATA / "default.ini"


@dataclass(frozen=True)
class PublisherSettings:
    """A publisher's settings, the file they come from, and the hash of its text (a changed file means the red
    flags are computed again)."""

    settings: Settings
    path: Path
    digest: str


def settings_path(publisher: str, directories: list[Path]) -> Path:
    for directory in directories:
        if (directory / f"{publisher}.ini").is_file():
            return directory / f"{publisher}.ini"
    for directory in directories:
        extended = [path for path in directory.glob("*.ini") if publisher.startswith(f"{path.stem}_")]
        if extended:
            return max(extended, key=lambda path: len(path.stem))
    return DEFAULT


def publisher_settings(publisher: str, operator_dir: Path | None = None) -> PublisherSettings:
    """The settings of a publisher's red flags; a file Cardinal would refuse is an error naming the file."""
    path = settings_path(publisher, [operator_dir, DATA] if operator_dir else [DATA])
    text = path.read_text(encoding="utf-8")
    try:
        settings = parse_settings(text)
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from None
    return PublisherSettings(settings, path, hashlib.sha256(text.encode()).hexdigest())
