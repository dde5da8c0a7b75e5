"""``PeriodicSpider``: one request per date window (a year, a month, a day or N days)."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from crawler.spiders.base import PublisherSpider

PERIODS = ("year", "month", "day")
Window = tuple[date, date]


class PeriodicSpider(PublisherSpider):
    """
    url_template
      The URL of one window, with any of ``{start}`` and ``{end}`` (the window's first and last days, both
      included, formatted by ``date_format``), ``{year}`` and ``{month}`` (numbers of the window's first day:
      ``{month:02d}`` pads). E.g. ``https://example.org/releases/{year}.json`` or
      ``https://example.org/releases?from={start}&to={end}``.
    period
      The window: ``year``, ``month`` or ``day`` (calendar periods), or a number of days (default ``month``).
    date_format
      How ``{start}`` and ``{end}`` are written (``strftime``; default ``%Y-%m-%d``).
    default_from_date
      The first day published (``YYYY-MM-DD``), where a crawl starts unless ``from_date`` is given; a crawl ends at
      ``until_date``, else today. The first and last windows are cut to these bounds. When the URL has no
      ``{start}`` or ``{end}`` (whole years or months are fetched), declare ``dates_at_load = True`` to apply the
      bounds to release dates as well.
    default_until_date
      The last day published (``YYYY-MM-DD``) by a publisher that stopped publishing: a crawl without
      ``until_date`` ends there rather than today.
    missing_period_statuses
      The HTTP statuses (e.g. ``(404,)``) with which the publisher says it has no file for a window: a window
      not over yet, or one it never published. Such a response is noted (``<period>_not_published``, e.g.
      ``month_not_published``; ``info`` for a window not over yet, else ``warning``), not failed. Override
      :meth:`period_missing` where the status means something else (e.g. the end of a numbered series).
    missing_period_hint
      What the note adds for a past window without a file (e.g. where else its data is).
    """

    abstract = True
    url_template: ClassVar[str]
    period: ClassVar[str | int] = "month"
    date_format: ClassVar[str] = "%Y-%m-%d"
    default_from_date: ClassVar[str]
    default_until_date: ClassVar[str | None] = None
    missing_period_statuses: ClassVar[tuple[int, ...]] = ()
    missing_period_hint: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_periodic(cls)

    def start_requests_urls(self) -> list[str]:
        return list(self.window_urls())

    def window_urls(self) -> dict[str, Window]:
        """Each window's URL, with its window."""
        first = self.from_date or date.fromisoformat(self.default_from_date)
        stopped = date.fromisoformat(self.default_until_date) if self.default_until_date else None
        last = self.until_date or stopped or date.today()
        windows = date_windows(first, last, self.period)
        return {window_url(self.url_template, window, self.date_format): window for window in windows}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The window goes with its request, for the note of a window without a file. A spider that builds its own
        # URLs (overriding start_requests_urls) sends them without one.
        windows = self.window_urls()
        for url in self.start_requests_urls():
            yield self.request(url, meta={"period_window": windows[url]} if url in windows else {})

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        if self.missing_period_statuses:
            statuses = list(self.missing_period_statuses)
            kwargs["meta"] = {"handle_httpstatus_list": statuses, **kwargs.get("meta", {})}
        return super().request(url, **kwargs)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status in self.missing_period_statuses:
            yield from self.period_missing(response)
            return
        yield from super().parse(response)

    def period_missing(self, response: Response) -> Iterator[Any]:
        """A window the publisher has no file for: noted, not failed. Not over yet, its file is still to come
        (``info``); past, the publisher has no data for it (``warning``)."""
        window: Window | None = response.meta.get("period_window")
        label = window_label(window, self.period) if window else response.url
        code = f"{self.period}_not_published" if isinstance(self.period, str) else "period_not_published"
        if window and _window_end(window[0], self.period) >= date.today():
            message = f"{label} has no file ({response.status}): the period is not over yet"
            yield self.note("info", code, message, url=response.url)
            return
        message = f"{label} has no file ({response.status})"
        if self.missing_period_hint:
            message += f": {self.missing_period_hint}"
        yield self.note("warning", code, message, url=response.url)


def window_url(template: str, window: Window, date_format: str = "%Y-%m-%d") -> str:
    """``template`` filled with a window's dates; other placeholders (``{sandbox}``) are left as they are."""
    start, end = window
    values = {
        "start": start.strftime(date_format),
        "end": end.strftime(date_format),
        "year": start.year,
        "month": start.month,
    }
    return template.format_map(_KeepUnknown(values))


def window_label(window: Window, period: str | int) -> str:
    """A window as people name it: ``2024``, ``2024-05``, ``2024-05-31``, else its first and last days."""
    start, end = window
    if period == "year":
        return str(start.year)
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()} to {end.isoformat()}"


class _KeepUnknown(dict[str, Any]):
    """Leaves the placeholders that are not the window's for :meth:`PublisherSpider.resolve`."""

    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def date_windows(first: date, last: date, period: str | int) -> list[Window]:
    """The windows from ``first`` to ``last`` (both included): calendar years, months or days, or runs of N days
    from ``first``; the first and last windows are cut to the bounds. None when ``first`` is after ``last``."""
    windows = []
    start = first
    while start <= last:
        end = min(_window_end(start, period), last)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def _window_end(start: date, period: str | int) -> date:
    if period == "year":
        return date(start.year, 12, 31)
    if period == "month":
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    if period == "day":
        return start
    if isinstance(period, int) and not isinstance(period, bool) and period >= 1:
        return start + timedelta(days=period - 1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)} or a number of days, not {period!r}")


def check_periodic(cls: type[PeriodicSpider]) -> None:
    """Refuse a periodic spider whose declarations are missing or wrong."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(getattr(cls, "url_template", None), str) or not cls.url_template:
        raise TypeError(f"{where} must declare url_template (a non-empty string)")
    try:
        date.fromisoformat(getattr(cls, "default_from_date", None) or "")
    except (TypeError, ValueError):
        raise TypeError(f"{where} must declare default_from_date as YYYY-MM-DD") from None
    try:
        if cls.default_until_date is not None:
            date.fromisoformat(cls.default_until_date)
    except (TypeError, ValueError):
        raise TypeError(f"{where}.default_until_date must be YYYY-MM-DD") from None
    try:
        _window_end(date(2000, 1, 1), cls.period)
    except ValueError as error:
        raise TypeError(f"{where}.{error}") from None
