"""Error reporting to Sentry and structured logs, for the CLI and for crawls.

Sentry is used only when ``SENTRY_DSN`` is set. What it receives is limited on purpose: no personal data (no local
variables, which can hold releases with contact points; ``send_default_pii`` off), and every string is scrubbed of
database URLs, passwords, tokens and the values of the environment's secret variables before it leaves. Events are
failures that someone must look at: a command that failed, a crawl that is not accepted, an error in a spider or
pipeline. Handled problems are notes in the database, never events, so log records only become breadcrumbs.

``OCDS_ATLAS_LOG_FORMAT=json`` makes every log line one JSON object (``time``, ``level``, ``logger``, ``message``,
and the fields a line carries, such as a crawl's stats when it closes).
"""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aggregator.errors import AtlasError

#: Environment variables whose values never leave the machine (and a URL's password, whatever its variable).
SECRET_NAME = re.compile(r"DATABASE_URL|DSN|PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|COOKIE", re.IGNORECASE)
#: Keys whose values are replaced wherever they appear in an event.
SECRET_KEY = re.compile(r"password|passwd|secret|token|api_?key|credential|authorization|cookie|dsn", re.IGNORECASE)
#: A database URL (any PostgreSQL one), or any URL's ``user:password@``, or a libpq ``password=...``.
DATABASE_URL = re.compile(r"\bpostgres(?:ql)?(?:\+\w+)?://[^\s'\"<>]*[^\s'\"<>.,;:)]", re.IGNORECASE)
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*):[^\s/@'\"]+@", re.IGNORECASE)
#: A value is a word, or quoted as libpq quotes (``password='a b'``, with \' and \\ escaped).
KEYWORD_PASSWORD = re.compile(r"\b(password|passwd|token|secret)\s*=\s*(?:'(?:[^'\\]|\\.)*'?|[^\s'\"]+)", re.IGNORECASE)
FILTERED = "[Filtered]"
#: Shorter values are too common to be told apart from ordinary text.
MIN_SECRET_LENGTH = 4
LOG_FORMATS = ("text", "json")


class AlreadyReported(AtlasError):
    """A failure that was already sent to Sentry where it happened (a crawl that is not accepted is reported by
    the crawl's own process): the CLI prints it but does not report it again."""


# Scrubbing: pure functions of the event and the environment.


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values that must never appear in an event: those of variables named like secrets, and the password of
    any URL in the environment. Longest first, so that a value containing another is replaced whole."""
    values: set[str] = set()
    for name, value in environ.items():
        if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH:
            values.add(value)
        if "://" in value:
            password = _url_password(value)
            if password and len(password) >= MIN_SECRET_LENGTH:
                values.add(password)
    return sorted(values, key=len, reverse=True)


def _url_password(value: str) -> str | None:
    try:
        return urlsplit(value).password
    except ValueError:
        return None


def scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, FILTERED)
    text = DATABASE_URL.sub("[database URL]", text)
    text = URL_PASSWORD.sub(rf"\1:{FILTERED}@", text)
    return KEYWORD_PASSWORD.sub(rf"\1={FILTERED}", text)


def scrub(value: Any, secrets: list[str]) -> Any:
    """A copy of ``value`` (an event, or any part of one) with secrets replaced, at any depth."""
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            key: FILTERED if isinstance(key, str) and SECRET_KEY.search(key) else scrub(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item, secrets) for item in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry's last look at an event: scrub the whole of it (messages, exception values, extra, breadcrumbs,
    request data, tags, contexts)."""
    return scrub(event, secret_values(os.environ))


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub(crumb, secret_values(os.environ))


# Sentry: IO at the edge.


def init_sentry(component: str, **tags: Any) -> bool:
    """Start reporting to Sentry if ``SENTRY_DSN`` is set (``SENTRY_ENVIRONMENT``, default ``production``); tag
    every event of this process with ``component`` and ``tags``. Returns whether Sentry is on."""
    dsn = os.environ.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(dsn)  # checked first: init would fail with a traceback from deep in the SDK
    except BadDsn as error:
        raise AtlasError(f"SENTRY_DSN is not a Sentry DSN: {error}") from None
    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("SENTRY_ENVIRONMENT") or "production",
        release=f"ocds-atlas@{_version()}",
        send_default_pii=False,
        include_local_variables=False,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        auto_enabling_integrations=False,
        # Log records are breadcrumbs only: a logged error is a handled one (Scrapy logs each failed download,
        # which is a note); failures are reported explicitly, once.
        integrations=[LoggingIntegration(level=logging.INFO, event_level=None)],
    )
    set_tags(component=component, **tags)
    return True


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ocds-atlas")
    except PackageNotFoundError:
        return "unknown"


def set_tags(**tags: Any) -> None:
    """Tags on every later event of this process (``None`` values are left out)."""
    if not os.environ.get("SENTRY_DSN"):
        return
    import sentry_sdk

    scope = sentry_sdk.get_global_scope()
    for name, value in tags.items():
        if value is not None:
            scope.set_tag(name, str(value))


def report_failure(error: BaseException) -> None:
    """A command that failed: one event with its traceback, unless it was reported where it happened."""
    if isinstance(error, AlreadyReported) or not os.environ.get("SENTRY_DSN"):
        return
    import sentry_sdk

    sentry_sdk.capture_exception(error)


def report_crawl_failure(
    crawl_id: int, publisher: str, spider: str | None, reasons: list[str], close_reason: str | None
) -> None:
    """A crawl that is not accepted: one event, grouped by publisher (every failed crawl of a publisher is one
    issue in Sentry, each crawl one event)."""
    if not os.environ.get("SENTRY_DSN"):
        return
    import sentry_sdk

    sentry_sdk.capture_message(
        f"crawl {crawl_id} of {publisher} is not accepted: {'; '.join(reasons)}",
        level="error",
        tags=_tags({"spider": spider, "publisher": publisher, "crawl_id": crawl_id, "close_reason": close_reason}),
        fingerprint=["crawl-not-accepted", publisher],
        extras={"reasons": reasons},
    )


def report_crawl_error(error: BaseException, crawl_id: int | None, publisher: str | None, spider: str) -> None:
    """An error in a spider callback or a pipeline, which Scrapy catches and logs: one event with its traceback."""
    if not os.environ.get("SENTRY_DSN"):
        return
    import sentry_sdk

    sentry_sdk.capture_exception(
        error, tags=_tags({"spider": spider, "publisher": publisher, "crawl_id": crawl_id, "command": "crawl"})
    )


def _tags(tags: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in tags.items() if value is not None}


# Logs.


class JsonLogRecord(logging.LogRecord):
    """A log record whose message is a whole JSON line: with it, any handler whose format is ``%(message)s``
    (Scrapy's, with ``LOG_FORMAT = "%(message)s"``) writes JSON lines, even records logged before a formatter of
    ours could be put on that handler. The fields given as ``extra={"fields": {...}}`` are added to the object."""

    def getMessage(self) -> str:
        line = {
            "time": datetime.fromtimestamp(self.created, UTC).isoformat(timespec="milliseconds"),
            "level": self.levelname,
            "logger": self.name,
            "message": super().getMessage(),
            **getattr(self, "fields", {}),
        }
        if self.exc_info:
            line["exception"] = "".join(traceback.format_exception(*self.exc_info)).rstrip()
        if self._stack:
            line["stack"] = self._stack
        return json.dumps(line, default=str, ensure_ascii=False)

    # Formatters append a traceback and a stack on lines of their own, after the message; here they are inside it.
    @property
    def exc_text(self) -> None:
        return None

    @exc_text.setter
    def exc_text(self, value: str | None) -> None:
        pass

    @property
    def stack_info(self) -> None:
        return None

    @stack_info.setter
    def stack_info(self, value: str | None) -> None:
        self._stack = value


def use_json_log_records() -> None:
    """Make every later log record of this process a :class:`JsonLogRecord`."""
    logging.setLogRecordFactory(JsonLogRecord)
