"""``PeriodicSpider``: one request per date window (a year, a month, a day, N days, or a span of time)."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import orjson
import scrapy
from scrapy.http import Response

from crawler.frontier import ESSENTIAL
from crawler.spiders.base import PublisherSpider

PERIODS = ("year", "month", "day", "fiscal_year")
#: A window: its first and last days (both included), or, for a ``timedelta`` period, its first instant and the
#: first instant after it (UTC).
Window = tuple[date, date] | tuple[datetime, datetime]


class PeriodicSpider(PublisherSpider):
    """
    url_template
      The URL of one window, with any of ``{start}`` and ``{end}`` (the window's first and last days, both
      included, formatted by ``date_format``), ``{year}`` and ``{month}`` (numbers of the window's first day:
      ``{month:02d}`` pads), ``{after}`` (the day after the window, for a filter whose upper bound is
      exclusive). E.g. ``https://example.org/releases/{year}.json`` or
      ``https://example.org/releases?from={start}&to={end}``.
    body_template
      For a publisher whose windows are POSTed: the JSON body of each window's request to ``url_template``, its
      strings filled as ``url_template`` is (e.g. ``{"filters": [["date", ">=", "{start}"]]}``). None (default):
      each window is a GET of its URL.
    period
      The window: ``year``, ``month`` or ``day`` (calendar periods), ``fiscal_year``, or a number of days (default
      ``month``). Or a
      ``timedelta`` (``timedelta(hours=6)``, ``timedelta(days=7)``) for a publisher whose filter takes an exclusive
      end: windows of that span from the first instant (UTC), each ``{end}`` the next one's ``{start}``, the last
      ending at midnight after ``until_date``, else now; an incremental crawl starts at its exact ``from_date``.
    fiscal_year_start, fiscal_year_offset
      For ``fiscal_year``: the Gregorian day a fiscal year starts (``MM-DD``, e.g. ``07-01``), and what to add to
      the Gregorian year it starts in to get its number in the publisher's calendar (e.g. 57 for Nepal's Bikram
      Sambat, whose fiscal year 2079-80 starts in July 2022; default 0). The URL may then hold ``{fiscal_year}``
      (its first year's number), ``{fiscal_year_end}`` (the next number) and ``{fiscal_year_end_yy}`` (that number's
      last two digits): ``fy={fiscal_year}-{fiscal_year_end}``, ``files/{fiscal_year}-{fiscal_year_end_yy}.json``.
    date_format
      How ``{start}`` and ``{end}`` are written (``strftime``; default ``%Y-%m-%d``; e.g. ``%Y-%m-%dT%H:%M:%SZ``).
    year_offset
      Added to ``{year}``: ``543`` for a publisher that numbers years in the Buddhist era (2024 is 2567).
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
    url_variants
      Other placeholders of ``url_template``, each with the values it takes (e.g. ``{"system": ("tenders",
      "direct")}``): each window is requested once per combination of values (a publisher that splits its lists
      by purchasing system, or needs a second search for what the first leaves out).
    """

    abstract = True
    url_template: ClassVar[str]
    period: ClassVar[str | int | timedelta] = "month"
    date_format: ClassVar[str] = "%Y-%m-%d"
    year_offset: ClassVar[int] = 0
    default_from_date: ClassVar[str]
    default_until_date: ClassVar[str | None] = None
    missing_period_statuses: ClassVar[tuple[int, ...]] = ()
    missing_period_hint: ClassVar[str] = ""
    url_variants: ClassVar[dict[str, tuple[str | int, ...]]] = {}
    body_template: ClassVar[Any] = None
    fiscal_year_start: ClassVar[str | None] = None
    fiscal_year_offset: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_periodic(cls)

    def start_requests_urls(self) -> list[str]:
        return list(self.window_urls())

    def window_urls(self) -> dict[str, Window]:
        """Each window's URL (one per combination of ``url_variants``), with its window."""
        fiscal = self.fiscal_year()
        extra = fiscal.values if fiscal else None
        return {
            window_url(self.url_template, window, self.date_format, self.year_offset, variant, extra): window
            for window in self.windows()
            for variant in variants(self.url_variants)
        }

    def windows(self) -> list[Window]:
        """The windows from ``from_date`` (else ``default_from_date``) to ``until_date`` (else now)."""
        default = date.fromisoformat(self.default_from_date)
        stopped = date.fromisoformat(self.default_until_date) if self.default_until_date else None
        until = self.until_date or stopped
        if isinstance(self.period, timedelta):
            first = self.from_datetime or datetime.combine(self.from_date or default, time(), UTC)
            if until:
                stop = datetime.combine(until + timedelta(days=1), time(), UTC)
            else:
                stop = datetime.now(UTC).replace(microsecond=0)
            return list(time_windows(first, stop, self.period))
        return date_windows(self.from_date or default, until or date.today(), self.period, self.fiscal_year())

    def window_post(self, window: Window) -> scrapy.Request:
        """A window's POST (see ``body_template``): its JSON body filled with the window's dates."""
        url = window_url(self.url_template, window, self.date_format, self.year_offset)
        body = orjson.dumps(fill_template(self.body_template, window, self.date_format))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        meta = {"period_window": window, ESSENTIAL: True}
        return self.request(url, method="POST", body=body, headers=headers, meta=meta)

    @classmethod
    def fiscal_year(cls) -> FiscalYear | None:
        """The declared fiscal year, when the windows are fiscal years."""
        if cls.period != "fiscal_year":
            return None
        month, day = (int(part) for part in (cls.fiscal_year_start or "").split("-"))
        return FiscalYear(month, day, cls.fiscal_year_offset)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The window goes with its request, for the note of a window without a file. A spider that builds its own
        # URLs (overriding start_requests_urls) sends them without one.
        if self.body_template is not None:
            for window in self.windows():
                yield self.window_post(window)
            return
        windows = self.window_urls()
        for url in self.start_requests_urls():
            # A window is essential: lost, its releases are unknown (crawler.frontier).
            yield self.request(
                url, meta={ESSENTIAL: True, **({"period_window": windows[url]} if url in windows else {})}
            )

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
        fiscal = self.fiscal_year()
        label = window_label(window, self.period, fiscal) if window else response.url
        code = f"{self.period}_not_published" if isinstance(self.period, str) else "period_not_published"
        if window and not _window_over(window, self.period, fiscal):
            message = f"{label} has no file ({response.status}): the period is not over yet"
            yield self.note("info", code, message, url=response.url)
            return
        message = f"{label} has no file ({response.status})"
        if self.missing_period_hint:
            message += f": {self.missing_period_hint}"
        yield self.note("warning", code, message, url=response.url)


@dataclass(frozen=True)
class FiscalYear:
    """When a fiscal year starts (a Gregorian month and day), and its calendar's offset in years."""

    month: int
    day: int
    offset: int = 0

    def start_of(self, day: date) -> date:
        """The first day of the fiscal year that holds ``day``."""
        start = date(day.year, self.month, self.day)
        return start if day >= start else date(day.year - 1, self.month, self.day)

    def end_of(self, day: date) -> date:
        start = self.start_of(day)
        return date(start.year + 1, self.month, self.day) - timedelta(days=1)

    def number(self, day: date) -> int:
        """The fiscal year's number in its calendar: that of the year it starts in."""
        return self.start_of(day).year + self.offset

    def values(self, window: Window) -> dict[str, Any]:
        """The URL placeholders of the fiscal year that holds the window."""
        number = self.number(window[0])
        return {"fiscal_year": number, "fiscal_year_end": number + 1, "fiscal_year_end_yy": f"{(number + 1) % 100:02d}"}


def window_url(
    template: str,
    window: Window,
    date_format: str = "%Y-%m-%d",
    year_offset: int = 0,
    variant: dict[str, Any] | None = None,
    extra: Callable[[Window], dict[str, Any]] | None = None,
) -> str:
    """``template`` filled with a window's dates (``{year}`` plus ``year_offset``), a variant's values (see
    ``url_variants``) and ``extra``'s values for it; other placeholders (``{sandbox}``) are left as they are."""
    start, end = window
    values = {
        "start": start.strftime(date_format),
        "end": end.strftime(date_format),
        "after": (end + timedelta(days=1)).strftime(date_format),
        "year": start.year + year_offset,
        "month": start.month,
        **(variant or {}),
        **(extra(window) if extra else {}),
    }
    return template.format_map(_KeepUnknown(values))


def variants(url_variants: dict[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every combination of the placeholders' values (one, empty, when there are none)."""
    names = sorted(url_variants)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(url_variants[n] for n in names))]


def fill_template(value: Any, window: Window, date_format: str = "%Y-%m-%d") -> Any:
    """A JSON value (``body_template``) whose strings, at any depth, are filled as :func:`window_url` fills URLs."""
    if isinstance(value, str):
        return window_url(value, window, date_format)
    if isinstance(value, dict):
        return {key: fill_template(item, window, date_format) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [fill_template(item, window, date_format) for item in value]
    return value


def window_label(window: Window, period: str | int | timedelta, fiscal: FiscalYear | None = None) -> str:
    """A window as people name it: ``2024``, ``2024-05``, ``2024-05-31``, ``fiscal year 2079-80``, else its
    bounds."""
    start, end = window
    if period == "fiscal_year" and fiscal:
        values = fiscal.values(window)
        return f"fiscal year {values['fiscal_year']}-{values['fiscal_year_end_yy']}"
    if isinstance(start, datetime):
        return f"{start:%Y-%m-%dT%H:%M:%SZ} to {end:%Y-%m-%dT%H:%M:%SZ}"
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


def date_windows(first: date, last: date, period: str | int, fiscal: FiscalYear | None = None) -> list[Window]:
    """The windows from ``first`` to ``last`` (both included): calendar years, months or days, fiscal years, or runs
    of N days from ``first``; the first and last windows are cut to the bounds. None when ``first`` is after
    ``last``."""
    windows = []
    start = first
    while start <= last:
        end = min(_window_end(start, period, fiscal), last)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


def time_windows(first: datetime, stop: datetime, span: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """Windows of ``span`` from ``first``, each ending where the next starts, the last cut at ``stop``."""
    start = first
    while start < stop:
        end = min(start + span, stop)
        yield start, end
        start = end


def _window_over(window: Window, period: str | int | timedelta, fiscal: FiscalYear | None = None) -> bool:
    start, end = window
    if isinstance(end, datetime):
        return end <= datetime.now(UTC)
    return _window_end(start, period, fiscal) < date.today()


def _window_end(start: date, period: str | int | timedelta, fiscal: FiscalYear | None = None) -> date:
    if period == "fiscal_year" and fiscal:
        return fiscal.end_of(start)
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
    if cls.period == "fiscal_year":
        check_fiscal_year(cls, where)
    elif isinstance(cls.period, timedelta):
        if cls.period <= timedelta(0):
            raise TypeError(f"{where}.period must be a positive timedelta")
    else:
        try:
            _window_end(date(2000, 1, 1), cls.period)
        except ValueError as error:
            raise TypeError(f"{where}.{error}") from None
    if not isinstance(cls.year_offset, int) or isinstance(cls.year_offset, bool):
        raise TypeError(f"{where}.year_offset must be a whole number of years")
    if not isinstance(cls.url_variants, dict):
        raise TypeError(f"{where}.url_variants must map placeholders to non-empty tuples of values")
    for placeholder, values in cls.url_variants.items():
        if f"{{{placeholder}}}" not in cls.url_template:
            raise TypeError(f"{where}.url_variants: url_template has no {{{placeholder}}}")
        if not isinstance(values, tuple) or not values or not all(isinstance(v, str | int) for v in values):
            raise TypeError(f"{where}.url_variants[{placeholder!r}] must be a non-empty tuple of strings or numbers")


def check_fiscal_year(cls: type[PeriodicSpider], where: str) -> None:
    try:
        date.fromisoformat(f"2001-{cls.fiscal_year_start}")  # not a leap year: a day every year has
    except (TypeError, ValueError):
        raise TypeError(f"{where} must declare fiscal_year_start as MM-DD for fiscal_year windows") from None
    if not isinstance(cls.fiscal_year_offset, int) or isinstance(cls.fiscal_year_offset, bool):
        raise TypeError(f"{where}.fiscal_year_offset must be a whole number of years")
