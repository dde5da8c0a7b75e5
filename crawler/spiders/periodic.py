"""``PeriodicSpider``: one request per date window (a year, a month, a day or N days)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any, ClassVar

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
    """

    abstract = True
    url_template: ClassVar[str]
    period: ClassVar[str | int] = "month"
    date_format: ClassVar[str] = "%Y-%m-%d"
    default_from_date: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_periodic(cls)

    def start_requests_urls(self) -> list[str]:
        first = self.from_date or date.fromisoformat(self.default_from_date)
        last = self.until_date or date.today()
        windows = date_windows(first, last, self.period)
        return [window_url(self.url_template, window, self.date_format) for window in windows]


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
        _window_end(date(2000, 1, 1), cls.period)
    except ValueError as error:
        raise TypeError(f"{where}.{error}") from None
