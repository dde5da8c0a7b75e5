"""Inline SVG bar charts, small enough to read at a glance and needing nothing from the network.

Every chart is an ``<svg role="img">`` with a ``<title>`` and an ``aria-label`` that says every value, so that a
screen reader reads the chart; the page's table beside it is the full accessible fallback. All text from the data
is escaped here, since the templates mark the SVG safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from aggregator.publish.report.values import Cell

RIGHT = 140  # room for the value and its sample after the longest bar
LABEL = 64  # the labels' column
AREA = 250  # the bars' longest length
ROW = 26
BAR = 16
COLOUR = "#2563a8"


@dataclass(frozen=True)
class Bar:
    label: str
    cell: Cell


def bar_chart(title: str, bars: Sequence[Bar], unit: str, label_width: int = LABEL, area: int = AREA) -> Markup:
    """Horizontal bars, one per label; a suppressed value is an empty dashed bar saying why."""
    values = [b.cell.value for b in bars if b.cell.value is not None]
    top = max([abs(v) for v in values] + ([1.0] if unit == "share" else []), default=1.0) or 1.0
    height = ROW * len(bars) + 8
    width = label_width + area + RIGHT
    alt = f"{title}: " + "; ".join(f"{b.label} {b.cell.label}" for b in bars)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(alt)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(alt)}</title>",
        f'<line x1="{label_width}" y1="0" x2="{label_width}" y2="{height - 4}" stroke="#94a3b8" stroke-width="1"/>',
    ]
    for index, bar in enumerate(bars):
        parts.append(_bar(index * ROW + 4, bar, top, label_width, area))
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(y: int, bar: Bar, top: float, left: int, area: int) -> str:
    middle = y + BAR / 2 + 4
    label = f'<text x="{left - 8}" y="{middle}" text-anchor="end" class="chart-label">{escape(bar.label)}</text>'
    if bar.cell.value is None and not bar.cell.suppressed:
        return label + f'<text x="{left + 8}" y="{middle}" class="chart-suppressed">{escape(bar.cell.text)}</text>'
    if bar.cell.value is None:
        box = (
            f'<rect x="{left + 1}" y="{y}" width="{area + RIGHT - 12}" height="{BAR}" fill="#f1f5f9" stroke="#94a3b8" '
            f'stroke-dasharray="4 3"/>'
        )
        text = f'<text x="{left + 8}" y="{middle}" class="chart-suppressed">{escape(bar.cell.label)}</text>'
        return label + box + text
    length = max(1.0, area * abs(bar.cell.value) / top)
    box = f'<rect x="{left + 1}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{COLOUR}" rx="2"/>'
    text = (
        f'<text x="{left + length + 7:.1f}" y="{middle}" class="chart-value">{escape(bar.cell.text)}'
        f'<tspan class="chart-n"> {escape(bar.cell.sample)}</tspan></text>'
    )
    return label + box + text
