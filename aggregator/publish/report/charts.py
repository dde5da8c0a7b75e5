"""Charts that need nothing from the network and stay readable at any width.

Bar charts are HTML (``bar_chart``): a label, a bar whose length is the value, and the value with its sample after
it; on a narrow screen the label goes above its bar, and long texts wrap instead of being cut. A partial year's
bar is hatched and its label says the months it covers. Line charts (``line_chart``) are small inline SVG with
their legend in HTML; every SVG is an ``<svg role="img">`` whose ``aria-label`` says every value. All text from
the data is escaped here, since the templates mark the charts safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from aggregator.publish.report.values import Cell, format_value

PALETTE = ("#2563a8", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d", "#475569")
BAR_SHARE = 50  # the longest bar's share of the row's width, in %: room for the value and n after it


@dataclass(frozen=True)
class Bar:
    label: str
    cell: Cell
    partial: str = ""  # the months of a partial year ("Jan to Feb"); "" when the year is complete


def bar_chart(title: str, bars: Sequence[Bar], unit: str) -> Markup:
    """One row per bar; a suppressed value is a dashed box saying why, a missing one says so."""
    values = [b.cell.value for b in bars if b.cell.value is not None]
    top = max([abs(v) for v in values] + ([1.0] if unit == "share" else []), default=1.0) or 1.0
    alt = f"{title}: " + "; ".join(f"{_label(b)} {b.cell.label}" for b in bars)
    rows = "".join(_bar(bar, top) for bar in bars)
    return Markup(f'<div class="bars" role="img" aria-label="{escape(alt)}">{rows}</div>')


def _label(bar: Bar) -> str:
    return f"{bar.label} ({bar.partial} only)" if bar.partial else bar.label


def _bar(bar: Bar, top: float) -> str:
    label = escape(bar.label)
    if bar.partial:
        label += Markup(f' <span class="partial-mark">({escape(bar.partial)} only)</span>')
    head = f'<div class="bar-row"><div class="bar-label">{label}</div><div class="bar-cell">'
    cell = bar.cell
    if cell.value is None:
        kind = "bar-supp" if cell.suppressed else "bar-none"
        return head + f'<span class="bar-text {kind}">{escape(cell.label)}</span></div></div>'
    width = max(0.5, BAR_SHARE * abs(cell.value) / top)
    hatch = " bar-partial" if bar.partial else ""
    return (
        head + f'<span class="bar{hatch}" style="width: {width:.1f}%"></span>'
        f'<span class="bar-text">{escape(cell.text)} <span class="n">({escape(cell.sample)})</span></span></div></div>'
    )


@dataclass(frozen=True)
class Point:
    year: int
    value: float | None
    partial: str = ""  # months of a partial year


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]


WIDTH, HEIGHT, TOP, BOTTOM, RIGHT = 340, 190, 12, 26, 18
CHAR = 6.6  # an upper bound of the width of one character of the axis labels, in the SVG's units


def line_chart(title: str, series: Sequence[Series], years: Sequence[int], unit: str) -> Markup:
    """Values by year, a line per series; a partial year's point is hollow. The legend follows in HTML."""
    values = [p.value for s in series for p in s.points if p.value is not None]
    low = min([0.0, *values])
    high = max([*values, 1.0 if unit == "share" else 0.0]) or 1.0
    ticks = [low, (low + high) / 2, high]
    labels = [format_value(t, unit) for t in ticks]
    left = max(len(label) for label in labels) * CHAR + 10
    span_x = WIDTH - left - RIGHT

    def x(year: int) -> float:
        return left + (span_x / 2 if len(years) == 1 else span_x * years.index(year) / (len(years) - 1))

    def y(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / ((high - low) or 1.0))

    alt = f"{title}: " + "; ".join(
        f"{s.label}: "
        + ", ".join(
            f"{p.year}{' (' + p.partial + ')' if p.partial else ''} {format_value(p.value, unit)}" for p in s.points
        )
        for s in series
    )
    parts = [
        f'<svg class="lines" role="img" aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">',
        f"<title>{escape(alt)}</title>",
    ]
    for tick, label in zip(ticks, labels, strict=True):
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="axis">{escape(label)}</text>'
        )
    step = 1 if len(years) <= 6 else 2
    for index, year in enumerate(years):
        if index % step == 0 or index == len(years) - 1:
            parts.append(f'<text x="{x(year):.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="axis">{year}</text>')
    for number, line in enumerate(series):
        parts.append(_series(line, PALETTE[number % len(PALETTE)], x, y))
    parts.append("</svg>")
    return Markup("".join(parts))


def _series(series: Series, colour: str, x: object, y: object) -> str:
    shown = [p for p in series.points if p.value is not None]
    coords = [(x(p.year), y(p.value), p) for p in shown]  # type: ignore[operator]
    path = " ".join(f"{'M' if i == 0 else 'L'}{cx:.1f},{cy:.1f}" for i, (cx, cy, _) in enumerate(coords))
    out = f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>' if len(coords) > 1 else ""
    for cx, cy, point in coords:
        fill = "#fff" if point.partial else colour
        out += f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
    return out


def legend(series: Sequence[Series]) -> Markup:
    items = "".join(
        f'<li><span class="swatch" style="background: {PALETTE[n % len(PALETTE)]}"></span>{escape(s.label)}</li>'
        for n, s in enumerate(series)
    )
    return Markup(f'<ul class="legend-list">{items}</ul>')
