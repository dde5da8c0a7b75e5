"""Whether a crawl is accepted, and the high-water mark that incremental crawls continue from. Pure functions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

#: Close reasons of a crawl that ended as it should.
SUCCESSFUL = ("finished", "sample")
#: Above this share of failed requests, a crawl is not accepted.
MAX_ERROR_RATE = 0.15
#: The stats key under which a crawler hands what its crawl lacks: ``{"requests": n, "essential": m, "listed": [...]}``
#: (see ``crawler/frontier.py``). An essential request (a next page, a date window) hides an unknown part of the
#: publication when it is missing.
MISSING_STAT = "ocds_atlas/missing"


@dataclass(frozen=True)
class CrawlCounts:
    """What a crawl stored: ``requests`` is every file row (stored responses and failed requests)."""

    requests: int
    failed: int
    releases: int
    records: int
    last_release_date: datetime | None = None
    #: Stored files not loaded (see :mod:`aggregator.raw.loaders`): what they hold is missing.
    unloaded: int = 0

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.requests if self.requests else None


@dataclass(frozen=True)
class Acceptance:
    accepted: bool
    error_rate: float | None
    reasons: list[str]
    counts: CrawlCounts
    #: Something is known to be missing: it did not finish, or an essential request is missing.
    incomplete: bool = False
    #: Requests missing (failed, or not made when it stopped), essential or not.
    missing: int = 0

    def as_json(self) -> dict[str, Any]:
        counts = {k: v for k, v in asdict(self.counts).items() if k != "last_release_date" and (k != "unloaded" or v)}
        return {"accepted": self.accepted, "reasons": self.reasons, **counts, "missing": self.missing}

    @property
    def status(self) -> str:
        """The crawl's status: ``finished`` (accepted), ``incomplete`` (resumable), or ``failed``."""
        return "finished" if self.accepted else "incomplete" if self.incomplete else "failed"


def assess(
    close_reason: str, counts: CrawlCounts, *, incremental: bool = False, missing: dict[str, Any] | None = None
) -> Acceptance:
    """A crawl is accepted when it finished (or stopped at its sample), no essential request is missing (``missing``,
    see :data:`MISSING_STAT`), at most ``MAX_ERROR_RATE`` of its requests failed, and it stored at least one release
    or record, and every file it stored was loaded. An incremental crawl may store nothing: nothing new. A crawl that
    did not finish, lacks an essential request or has stored files not loaded is incomplete: ``ocds-atlas crawl NAME
    --resume`` fetches and loads what it lacks."""
    reasons = []
    essential = int((missing or {}).get("essential", 0))
    if close_reason not in SUCCESSFUL:
        reasons.append(f"it did not finish: closed because of {close_reason!r}")
    if essential:
        reasons.append(
            f"{essential} essential request{'s' if essential > 1 else ''} (next pages, date windows) "
            "failed or were not made: what follows them is unknown; --resume fetches them"
        )
    if counts.unloaded:
        reasons.append(f"{counts.unloaded} of the files it stored not loaded: --resume loads them")
    rate = counts.error_rate
    if rate is not None and rate > MAX_ERROR_RATE:
        reasons.append(
            f"{counts.failed} of {counts.requests} requests failed ({rate:.0%}, more than {MAX_ERROR_RATE:.0%})"
        )
    if not incremental and counts.releases == 0 and counts.records == 0:
        reasons.append("it stored no release and no record")
    incomplete = close_reason not in SUCCESSFUL or essential > 0 or counts.unloaded > 0
    return Acceptance(not reasons, rate, reasons, counts, incomplete, int((missing or {}).get("requests", 0)))


def high_water_mark(acceptance: Acceptance, close_reason: str, arguments: dict[str, Any]) -> datetime | None:
    """The latest release date of a crawl that covers everything up to it: accepted, finished (not a sample), with
    no request failed or missing, and from the beginning (no ``from_date``) or from the previous mark
    (incremental). Else None: the next incremental crawl starts from an earlier mark, and loses nothing."""
    whole = not acceptance.incomplete and acceptance.missing == 0 and acceptance.counts.failed == 0
    complete = close_reason == "finished" and not arguments.get("sample") and whole
    from_start = not arguments.get("from_date") or bool(arguments.get("incremental"))
    if acceptance.accepted and complete and from_start:
        return acceptance.counts.last_release_date
    return None
