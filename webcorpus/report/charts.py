"""Inline SVG charts written by hand: horizontal bars, vertical columns and lines.

No script, no stylesheet, no font is fetched: each chart is one ``<svg>``
element with its text in the page's own font. Every mark carries a
``<title>`` (the browser shows it on hover) with the exact number.
"""
from __future__ import annotations

import math
from html import escape

FONT = 12
CHAR_WIDTH = 6.8  # average advance of a 12px sans-serif character, for laying out labels
COLORS = {"kept": "#3465a4", "dropped": "#e0823d", "before": "#9aa7b8", "after": "#3465a4",
          "train": "#3465a4", "val": "#d1495b", "neutral": "#4e8f69"}


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (f'<svg role="img" aria-label="{escape(label)}" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-size="{FONT}">' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, color: str, title: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(title)}</title></rect>")


def legend(series: list[tuple[str, str]]) -> str:
    """A legend as HTML (colour swatch and name), placed above a chart."""
    items = "".join(f'<span class="swatch" style="background:{c}"></span>{escape(n)}' for n, c in series)
    return f'<div class="legend">{items}</div>'


def hbars(rows: list[tuple[str, list[float], str]], series: list[tuple[str, str]], width: int = 760,
          fmt=lambda v: f"{v:,}") -> str:
    """Horizontal stacked bars: ``rows`` are (label, one value per series, text after the bar)."""
    if not rows:
        return ""
    label_w = min(280, max(_text_width(r[0]) for r in rows) + 12)
    note_w = min(300, max(_text_width(r[2]) for r in rows) + 12)
    bar_w = max(120, width - label_w - note_w)
    top = max((sum(r[1]) for r in rows), default=0) or 1
    row_h, bar_h = 24, 16
    body = []
    for i, (label, values, note) in enumerate(rows):
        y = i * row_h + 4
        body.append(_text(label_w - 8, y + bar_h - 4, label, "end"))
        x = label_w
        for value, (name, color) in zip(values, series):
            w = bar_w * value / top
            body.append(_rect(x, y, w, bar_h, color, f"{label}: {name} {fmt(value)}"))
            x += w
        body.append(_text(x + 6, y + bar_h - 4, note, fill="#333"))
    return _svg(width, len(rows) * row_h + 8, body, "bar chart")


def columns(categories: list[str], series: list[tuple[str, str, list[float]]], width: int = 760,
            height: int = 220, y_label: str = "", marker: tuple[float, str] | None = None) -> str:
    """Grouped vertical columns: one group per category, one column per series (name, colour, values).

    ``marker``: (position in categories, label) draws a dashed vertical line there (a filter's threshold;
    position 3.0 is the left edge of the fourth category)."""
    if not categories:
        return ""
    left, bottom, top_pad = 48, 34, 14
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    top = _nice_top(max((v for _, _, values in series for v in values), default=0))
    group_w = min(plot_w / len(categories), 90.0 * max(len(series), 1))
    width = int(min(width, left + group_w * len(categories) + 8))
    col_w = max(2.0, (group_w - 6) / max(len(series), 1))
    body = _y_axis(left, top_pad, plot_w, plot_h, 0, top, y_label, integer=True)
    for g, category in enumerate(categories):
        gx = left + g * group_w + 3
        for s, (name, color, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top
            body.append(_rect(gx + s * col_w, top_pad + plot_h - h, col_w - 1, h, color, f"{category}: {name} {value:,}"))
        body.append(_text(left + (g + 0.5) * group_w, height - bottom + 16, category, "middle"))
    if marker is not None:
        x = left + marker[0] * group_w
        body.append(f'<line class="threshold" x1="{x:.1f}" y1="{top_pad}" x2="{x:.1f}" y2="{top_pad + plot_h}" '
                    f'stroke="#a8322d" stroke-width="1.5" stroke-dasharray="4 3"/>')
        body.append(_text(x + 4, top_pad + 10, marker[1]))
    return _svg(width, height, body, "column chart")


def lines(series: list[tuple[str, str, list[tuple[float, float]]]], width: int = 760, height: int = 260,
          x_label: str = "", y_label: str = "", x_name: str = "step") -> str:
    """Line chart of (x, y) points per series (name, colour, points); single points show as dots.
    ``x_name`` names x in each point's hover text ("at step 100")."""
    points = [p for _, _, pts in series for p in pts]
    if not points:
        return ""
    left, bottom, top_pad = 56, 40, 14
    plot_w, plot_h = width - left - 12, height - bottom - top_pad
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    y0, y1 = _nice_range(y0, y1)
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(x):
        return left + plot_w * (x - x0) / (x1 - x0)

    def sy(y):
        return top_pad + plot_h * (1 - (y - y0) / (y1 - y0))

    body = _y_axis(left, top_pad, plot_w, plot_h, y0, y1, y_label, integer=False)
    for k in range(5):
        x = x0 + (x1 - x0) * k / 4
        body.append(_text(sx(x), top_pad + plot_h + 16, f"{x:,.0f}", "middle"))
    body.append(_text(left + plot_w / 2, height - 6, x_label, "middle", fill="#555"))
    for name, color, pts in series:
        path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(pts))
        if len(pts) > 1:
            body.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in pts if len(pts) <= 60 else pts[-1:]:
            body.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}">'
                        f"<title>{escape(name)} at {escape(x_name)} {x:,.0f}: {y:.4f}</title></circle>")
    return _svg(width, height, body, "line chart")


def _text_width(text: str) -> float:
    """Rough width of ``text`` at the chart font: capitals and digits are wider than lower case."""
    return sum(CHAR_WIDTH * (1.3 if c.isupper() or c.isdigit() else 1.0) for c in text)


def _nice_top(value: float) -> int:
    """The top of an integer axis with four equal, round, whole-number steps, at or above ``value``."""
    wanted = max(value, 1) / 4
    magnitude = 1
    while True:
        for mantissa in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            step = mantissa * magnitude
            if step >= wanted and step == int(step):
                return int(step) * 4
        magnitude *= 10


def _nice_range(low: float, high: float) -> tuple[float, float]:
    """An axis range around [low, high] whose four equal steps are round numbers (0.5, 1, 2, 2.5, ...)."""
    if high - low < 1e-9:
        return low - 0.5, high + 0.5
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / 4))
    for mantissa in (1, 2, 2.5, 5, 10, 20, 25, 50):
        step = mantissa * magnitude
        bottom = math.floor(low / step) * step
        if bottom + 4 * step >= high:
            return bottom, bottom + 4 * step
    return low, high


def _y_axis(left, top_pad, plot_w, plot_h, low, high, label, integer: bool) -> list[str]:
    body = []
    for k in range(5):
        value = low + (high - low) * k / 4
        y = top_pad + plot_h * (1 - k / 4)
        body.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        body.append(_text(left - 6, y + 4, f"{value:,.0f}" if integer else f"{value:.2f}", "end", fill="#555"))
    if label:
        body.append(_text(12, top_pad + plot_h / 2, label, "middle", fill="#555",
                          transform=f"rotate(-90 12 {top_pad + plot_h / 2:.1f})"))
    return body
