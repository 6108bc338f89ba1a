"""Charts as inline SVG, drawn on the server: a line chart, a bar chart (stacked or side by
side) and a heatmap. Pure Python, no JavaScript, no network: the page shows them as soon as it
arrives, on any phone, and they print.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` it is labelled by,
and a ``<title>`` on every point, bar and cell (its exact value, shown on hover and read by
screen readers). It scales to its box through ``viewBox`` (width 100 %, height auto). Every
piece of text passes through ``html.escape``; numbers are formatted by the caller's functions
(money in the business currency, percentages in the active language), so this module knows no
locale. `None` is a missing value: a gap in a line, an empty bar, a grey cell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "PALETTE",
    "Series",
    "bar_chart",
    "heatmap",
    "line_chart",
    "nice_ticks",
]

Number = float | int
Format = Callable[[float], str]

PALETTE = ("#0b7a5a", "#9aa3b0", "#2f6fb0", "#c2571a", "#7a4fb3", "#b3261e")
INK = "#1d2430"
MUTED = "#5d6675"
GRID = "#dde2ea"
EMPTY_CELL = "#eef1f5"
FONT = "system-ui, 'DejaVu Sans', sans-serif"
FONT_SIZE = 13
CHAR_WIDTH = 0.6 * FONT_SIZE  # a generous average glyph, for laying out labels without a font
_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class Series:
    """One line, or one layer of bars: a label for the legend, a value per x label."""

    label: str
    values: Sequence[Number | None]
    color: str = ""


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _num(value: float) -> str:
    """A coordinate: one decimal is plenty at these sizes, and keeps the markup short."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


def _check_id(chart_id: str) -> str:
    if not _ID.match(chart_id):
        raise ValueError(f"chart id must be a short lowercase slug, not {chart_id!r}")
    return chart_id


def _color(series: Series, index: int) -> str:
    color = series.color or PALETTE[index % len(PALETTE)]
    if not re.fullmatch(r"#[0-9a-fA-F]{3,8}", color):
        raise ValueError(f"colour must be a hex code, not {color!r}")
    return color


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis values (steps of 1, 2, 2.5 or 5 times a power of ten) covering low..high,
    at most about `count` steps."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high < low:
        low, high = high, low
    if high == low:
        high = low + 1 if low == 0 else low + abs(low)
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / max(count, 1)))
    step = magnitude
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if span / step <= count:
            break
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    steps = round((end - start) / step)
    return [round(start + i * step, 10) for i in range(steps + 1)]


def _open(chart_id: str, width: float, height: float, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'class="chart" data-chart="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet" '
        f'font-family="{_esc(FONT)}" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(description or title)}</desc>',
    ]


def _message(chart_id: str, width: float, height: float, title: str, text: str) -> str:
    parts = _open(chart_id, width, height, title, text)
    parts.append(
        f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
        f'fill="{MUTED}" class="chart-empty">{_esc(text)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches and labels from (x, y), wrapping at `width`; returns the markup and the
    height used."""
    parts = ['<g class="legend">']
    left, row = x, 0
    for index, item in enumerate(series):
        item_width = 18 + len(item.label) * CHAR_WIDTH + 14
        if left > x and left + item_width > x + width:
            left, row = x, row + 1
        top = y + row * 18
        parts.append(
            f'<rect x="{_num(left)}" y="{_num(top)}" width="12" height="12" rx="2" '
            f'fill="{_color(item, index)}"/>'
            f'<text x="{_num(left + 17)}" y="{_num(top + 10.5)}" fill="{INK}">'
            f"{_esc(item.label)}</text>"
        )
        left += item_width
    parts.append("</g>")
    return "".join(parts), (row + 1) * 18 if series else 0


def _x_label_step(labels: Sequence[str], plot_width: float) -> int:
    """Show every n-th x label so that they don't overlap."""
    if not labels:
        return 1
    widest = max(len(label) for label in labels) * CHAR_WIDTH + 8
    fits = max(1, int(plot_width // widest))
    return max(1, math.ceil(len(labels) / fits))


def _y_axis(
    ticks: Sequence[float],
    y_of: Callable[[float], float],
    left: float,
    right: float,
    tick_format: Format,
) -> str:
    parts = ['<g class="axis y">']
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{_esc(tick_format(tick))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: float, width: float) -> str:
    step = _x_label_step(labels, width)
    parts = ['<g class="axis x">']
    for index, label in enumerate(labels):
        if index % step == 0:
            parts.append(
                f'<text x="{_num(x_of(index))}" y="{_num(y)}" text-anchor="middle" '
                f'fill="{MUTED}">{_esc(label)}</text>'
            )
    parts.append("</g>")
    return "".join(parts)


def _or_zero(value: Number | None) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else 0.0


def _finite(values: Sequence[Number | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def line_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    description: str = "",
    value_format: Format = _plain,
    tick_format: Format | None = None,
    y_min: float | None = 0,
    y_max: float | None = None,
    empty_text: str = "No data",
    width: float = 480,
    height: float = 240,
) -> str:
    """Lines over evenly spaced x labels, a dot per value (its `<title>` says the label, the
    series and the value). `None` values break the line. With no value at all the chart says
    `empty_text` instead."""
    chart_id = _check_id(chart_id)
    values = [v for s in series for v in _finite(s.values)]
    if not labels or not values:
        return _message(chart_id, width, height, title, empty_text)
    tick_format = tick_format or value_format
    left, right, bottom = 52.0, width - 12, height - 24
    legend, legend_height = _legend(series, left, 6, right - left)
    top = 6 + legend_height + 10
    low = min(values) if y_min is None else min(y_min, *values)
    high = max(values) if y_max is None else max(y_max, *values)
    ticks = nice_ticks(low, high)
    lo, hi = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return bottom - (value - lo) / (hi - lo) * (bottom - top)

    count = len(labels)

    def x_of(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        inner = 10.0
        return left + inner + index * (right - left - 2 * inner) / (count - 1)

    parts = _open(chart_id, width, height, title, description)
    parts.append(legend)
    parts.append(_y_axis(ticks, y_of, left, right, tick_format))
    for index, item in enumerate(series):
        color = _color(item, index)
        runs: list[list[str]] = [[]]
        dots = []
        for position, raw in enumerate(list(item.values)[:count]):
            if raw is None or not math.isfinite(float(raw)):
                runs.append([])
                continue
            x, y = x_of(position), y_of(float(raw))
            runs[-1].append(f"{_num(x)},{_num(y)}")
            dots.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{color}">'
                f"<title>{_esc(labels[position])} · {_esc(item.label)}: "
                f"{_esc(value_format(float(raw)))}</title></circle>"
            )
        parts.append(f'<g class="series" data-series="{index}">')
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
                )
        parts.extend(dots)
        parts.append("</g>")
    parts.append(_x_labels(labels, x_of, height - 6, right - left))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    description: str = "",
    stacked: bool = True,
    value_format: Format = _plain,
    tick_format: Format | None = None,
    empty_text: str = "No data",
    width: float = 480,
    height: float = 240,
    partial: Sequence[str] = (),
) -> str:
    """A bar per x label; several series stacked on each other (`stacked`) or side by side.
    Negative values (refunds larger than sales) hang below the zero line. `partial` names,
    per x label, why its bar covers only part of its period ("so far" for the week still
    running; "" for a whole one): such a bar is drawn lighter with a dashed outline and the
    words under its label, so it reads as unfinished rather than as a drop."""
    chart_id = _check_id(chart_id)
    count = len(labels)
    values = [v for s in series for v in _finite(list(s.values)[:count])]
    if not count or not values or all(v == 0 for v in values):
        return _message(chart_id, width, height, title, empty_text)
    tick_format = tick_format or value_format
    left, right, bottom = 52.0, width - 12, height - 24
    legend, legend_height = _legend(series, left, 6, right - left)
    top = 6 + legend_height + 10

    grid = [[_or_zero(v) for v in list(s.values)[:count]] for s in series]
    grid = [row + [0.0] * (count - len(row)) for row in grid]

    def column(position: int) -> list[float]:
        return [row[position] for row in grid]

    if stacked:
        highs = [sum(v for v in column(p) if v > 0) for p in range(count)]
        lows = [sum(v for v in column(p) if v < 0) for p in range(count)]
    else:
        highs = [max([0.0, *column(p)]) for p in range(count)]
        lows = [min([0.0, *column(p)]) for p in range(count)]
    ticks = nice_ticks(min(0.0, *lows), max(0.0, *highs))
    lo, hi = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return bottom - (value - lo) / (hi - lo) * (bottom - top)

    band = (right - left) / count
    gap = min(band * 0.25, 12)

    def x_of(position: int) -> float:
        return left + band * position + band / 2

    parts = _open(chart_id, width, height, title, description)
    parts.append(legend)
    parts.append(_y_axis(ticks, y_of, left, right, tick_format))
    bar_width = band - gap if stacked else (band - gap) / max(len(series), 1)
    notes = [str(note) for note in list(partial)[:count]] + [""] * count
    for position in range(count):
        up = down = 0.0
        note = notes[position]
        parts.append(
            f'<g class="bar partial" data-index="{position}" fill-opacity=".45" '
            f'stroke-dasharray="3 2" stroke-width="1">'
            if note
            else f'<g class="bar" data-index="{position}">'
        )
        for index, (item, value) in enumerate(zip(series, column(position), strict=True)):
            color = _color(item, index)
            if stacked:
                base = up if value >= 0 else down
                end = base + value
                if value >= 0:
                    up = end
                else:
                    down = end
                x = left + band * position + gap / 2
            else:
                base, end = 0.0, value
                x = left + band * position + gap / 2 + index * bar_width
            y1, y2 = sorted((y_of(base), y_of(end)))
            raw = item.values[position] if position < len(item.values) else None
            shown = "—" if raw is None else value_format(value)
            if note:
                shown = f"{shown} ({note})"
            outline = f' stroke="{color}"' if note else ""
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(y1)}" width="{_num(max(bar_width, 1))}" '
                f'height="{_num(max(y2 - y1, 0))}" fill="{color}"{outline}>'
                f"<title>{_esc(labels[position])} · {_esc(item.label)}: {_esc(shown)}</title>"
                "</rect>"
            )
        parts.append("</g>")
        if note:
            parts.append(
                f'<text class="partial-note" x="{_num(x_of(position))}" '
                f'y="{_num(max(top, y_of(highs[position])) - 3)}" text-anchor="middle" '
                f'font-size="{FONT_SIZE - 2}" font-style="italic" fill="{MUTED}">'
                f"{_esc(note)}</text>"
            )
    zero = y_of(0.0)
    parts.append(
        f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(zero)}" y2="{_num(zero)}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    parts.append(_x_labels(labels, x_of, height - 6, right - left))
    parts.append("</svg>")
    return "".join(parts)


def _mix(color: str, share: float) -> str:
    """`color` laid over white at `share` (0–1) opacity, as #rrggbb."""
    share = min(max(share, 0.0), 1.0)
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(255 + (channel - 255) * share) for channel in (red, green, blue))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def heatmap(
    *,
    chart_id: str,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[Number | None]],
    description: str = "",
    cell_text: Sequence[Sequence[str]] | None = None,
    cell_titles: Sequence[Sequence[str]] | None = None,
    value_format: Format = _plain,
    max_value: float | None = None,
    color: str = PALETTE[0],
    empty_text: str = "No data",
    width: float = 480,
    row_height: float = 24,
) -> str:
    """A grid of cells shaded by value (white at 0, `color` at `max_value`, default the
    largest value); a row may be shorter than the columns (cohorts too young for later
    months: no cell). `None` is a grey cell. `cell_text` is written in the cells when they are
    wide enough; `cell_titles` (else the label and the formatted value) on hover."""
    chart_id = _check_id(chart_id)
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        raise ValueError(f"colour must be #rrggbb, not {color!r}")
    found = [v for row in values for v in _finite(row)]
    if not row_labels or not column_labels or not found:
        return _message(chart_id, width, 120, title, empty_text)
    top = 24.0
    label_width = min(max(len(label) for label in row_labels) * CHAR_WIDTH + 10, width / 3)
    left, right = label_width, width - 4
    cell_width = (right - left) / len(column_labels)
    height = top + row_height * len(row_labels) + 6
    highest = max_value if max_value is not None else max(found)
    highest = highest if highest > 0 else 1.0
    parts = _open(chart_id, width, height, title, description)
    step = _x_label_step(column_labels, right - left)
    for index, label in enumerate(column_labels):
        if index % step == 0:
            parts.append(
                f'<text x="{_num(left + cell_width * (index + 0.5))}" y="{_num(top - 8)}" '
                f'text-anchor="middle" fill="{MUTED}">{_esc(label)}</text>'
            )
    for row_index, row_label in enumerate(row_labels):
        y = top + row_index * row_height
        parts.append(
            f'<text x="{_num(left - 6)}" y="{_num(y + row_height / 2 + 4)}" text-anchor="end" '
            f'fill="{INK}">{_esc(row_label)}</text>'
        )
        row = values[row_index] if row_index < len(values) else []
        for column_index, raw in enumerate(list(row)[: len(column_labels)]):
            x = left + column_index * cell_width
            missing = raw is None or not math.isfinite(float(raw))
            share = 0.0 if missing else float(raw) / highest  # type: ignore[arg-type]
            fill = EMPTY_CELL if missing else _mix(color, 0.08 + 0.92 * share)
            if cell_titles is not None:
                hover = cell_titles[row_index][column_index]
            else:
                shown = "—" if missing else value_format(float(raw))  # type: ignore[arg-type]
                hover = f"{row_label} · {column_labels[column_index]}: {shown}"
            parts.append(
                f'<g class="cell"><rect x="{_num(x + 1)}" y="{_num(y + 1)}" '
                f'width="{_num(cell_width - 2)}" height="{_num(row_height - 2)}" rx="2" '
                f'fill="{fill}"><title>{_esc(hover)}</title></rect>'
            )
            text = cell_text[row_index][column_index] if cell_text is not None else ""
            if text and len(text) * CHAR_WIDTH * 0.85 <= cell_width - 4:
                ink = "#ffffff" if share > 0.55 else INK
                parts.append(
                    f'<text x="{_num(x + cell_width / 2)}" y="{_num(y + row_height / 2 + 4)}" '
                    f'text-anchor="middle" font-size="{FONT_SIZE - 2}" fill="{ink}" '
                    f'pointer-events="none">{_esc(text)}</text>'
                )
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
