"""SVG charts for the HTML reports, written by hand: no dependency, and the
same data always gives the same bytes (golden files).

`bar_chart` draws labelled horizontal bars (incidents by category or
severity); `day_chart` draws one column per day (incidents by day). Labels
are escaped; numbers are formatted with fixed precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..templating import Markup, html_escape

WIDTH = 640
FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\""
BAR_COLOUR = "#3b6ea8"
DAY_COLOUR = "#c0504d"
AXIS_COLOUR = "#555"


def _n(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def bar_chart(rows: Sequence[tuple[str, int]], title: str, *, colour: str = BAR_COLOUR) -> Markup:
    """Horizontal bars, one row per (label, count), in the given order."""
    label_width, row_height, top = 210, 24, 28
    bar_space = WIDTH - label_width - 50
    peak = max((count for _, count in rows), default=0)
    height = top + row_height * max(1, len(rows)) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{html_escape(title)}">',
        f'<text x="0" y="16" {FONT} font-weight="bold">{html_escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 16}" {FONT} fill="{AXIS_COLOUR}">—</text>')
    for index, (label, count) in enumerate(rows):
        y = top + index * row_height
        length = bar_space * count / peak if peak else 0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" {FONT} text-anchor="end">'
            f"{html_escape(_cut(label, 32))}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{_n(max(length, 1))}" '
            f'height="{row_height - 8}" fill="{colour}"><title>{html_escape(label)}: {count}'
            "</title></rect>"
        )
        parts.append(
            f'<text x="{_n(label_width + max(length, 1) + 6)}" y="{y + 16}" {FONT}>{count}</text>'
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def day_chart(days: Sequence[tuple[date, int]], title: str, *,
              colour: str = DAY_COLOUR) -> Markup:
    """One column per day; the y axis from 0 to the busiest day."""
    left, top, plot_height, bottom = 36, 28, 130, 34
    plot_width = WIDTH - left - 8
    height = top + plot_height + bottom
    peak = max((count for _, count in days), default=0)
    scale = max(peak, 1)
    step = plot_width / max(1, len(days))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{html_escape(title)}">',
        f'<text x="0" y="16" {FONT} font-weight="bold">{html_escape(title)}</text>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_height}" '
        f'stroke="{AXIS_COLOUR}"/>',
        f'<line x1="{left}" y1="{top + plot_height}" x2="{WIDTH - 8}" y2="{top + plot_height}" '
        f'stroke="{AXIS_COLOUR}"/>',
        f'<text x="{left - 6}" y="{top + 10}" {FONT} text-anchor="end">{scale}</text>',
        f'<text x="{left - 6}" y="{top + plot_height}" {FONT} text-anchor="end">0</text>',
    ]
    for index, (day, count) in enumerate(days):
        x = left + index * step
        if count:
            bar = plot_height * count / scale
            parts.append(
                f'<rect x="{_n(x + step * 0.1)}" y="{_n(top + plot_height - bar)}" '
                f'width="{_n(max(step * 0.8, 0.6))}" height="{_n(bar)}" fill="{colour}">'
                f"<title>{day.isoformat()}: {count}</title></rect>"
            )
        if _tick(day, index, len(days)):
            parts.append(
                f'<line x1="{_n(x)}" y1="{top + plot_height}" x2="{_n(x)}" '
                f'y2="{top + plot_height + 4}" stroke="{AXIS_COLOUR}"/>'
            )
            parts.append(
                f'<text x="{_n(x)}" y="{top + plot_height + 18}" {FONT}>'
                f"{day:%d/%m}</text>"
            )
    parts.append("</svg>")
    return Markup("\n".join(parts))


def _tick(day: date, index: int, total: int) -> bool:
    """Label every day of a short span, each Monday of up to 100 days (and the first day
    when no Monday follows within 3 days), else the 1st of each month."""
    if total <= 10:
        return True
    if total <= 100:
        return day.weekday() == 0 or (index == 0 and day.weekday() <= 3)
    return day.day == 1


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
