"""Charts as inline SVG text: line charts (linear or log axes, marked x values) and grouped
bar charts, for the HTML report. Drawn here rather than by a charting library: the report
must open with no network and no script, and these two shapes are all it draws.

Values that cannot be drawn (NaN, infinite, or not positive on a log axis) are left out of
a series; a series with nothing left is not drawn, and a chart with nothing to draw says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 520, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 48
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2")


@dataclass(frozen=True)
class Series:
    name: str
    xs: list[float]
    ys: list[float]
    colour: str = PALETTE[0]
    dashed: bool = False


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``x`` with its label (a learning rate on the LR range curve)."""

    x: float
    label: str
    colour: str


@dataclass(frozen=True)
class BarGroup:
    """One bar per category: a series of the grouped bar chart."""

    name: str
    values: list[float]
    colour: str = PALETTE[0]


class _Axis:
    """Maps data values to pixels, linear or log10, over ``[low, high]``."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool) -> None:
        if log:
            low, high = math.log10(low), math.log10(high)
        if high - low < 1e-12:
            low, high = low - 0.5, high + 0.5
        self.low, self.high, self.start, self.end, self.log = low, high, start, end, log

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            first, last = math.floor(self.low), math.ceil(self.high)
            step = max(1, math.ceil((last - first) / 6))
            return [10.0**e for e in range(first, last + 1, step) if self.low <= e <= self.high]
        span = self.high - self.low
        raw = span / 5
        magnitude = 10 ** math.floor(math.log10(raw))
        step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
        first = math.ceil(self.low / step) * step
        count = int((self.high - first) / step + 1e-9) + 1
        return [first + i * step for i in range(count)]


def tick_text(value: float) -> str:
    """A tick label: 1e-3 for powers of ten below 0.01, 0.25, 40, 1.2k."""
    if value == 0:
        return "0"
    size = abs(value)
    if size < 0.01 or size >= 1e5:
        exponent = math.floor(math.log10(size))
        mantissa = value / 10**exponent
        return f"1e{exponent}" if abs(mantissa - 1) < 1e-9 else f"{mantissa:.3g}e{exponent}"
    if size >= 1000:
        return f"{value / 1000:.3g}k"
    return f"{value:.3g}"


def _drawable(value: float, log: bool) -> bool:
    return math.isfinite(value) and (value > 0 or not log)


def _frame(name: str, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'class="picture" data-picture="{escape(name)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<text x="{LEFT}" y="20" class="chart-title">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _empty(name: str, title: str, why: str) -> str:
    return _frame(
        name,
        title,
        [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(why)}</text>'],
    )


def _axes(x: _Axis | None, y: _Axis, x_label: str, y_label: str) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#334155"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#334155"/>',
    ]
    for tick in y.ticks():
        py = y(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}" '
            'stroke="#e2e8f0"/>'
            f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end" class="tick">'
            f"{tick_text(tick)}</text>"
        )
    if x is not None:
        for tick in x.ticks():
            px = x(tick)
            out.append(
                f'<text x="{px:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'class="tick">{tick_text(tick)}</text>'
            )
    out.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'class="axis-label">{escape(x_label)}</text>'
        f'<text transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
        f'text-anchor="middle" class="axis-label">{escape(y_label)}</text>'
    )
    return out


def _legend(names: list[tuple[str, str]]) -> list[str]:
    out, x = [], WIDTH - RIGHT
    for name, colour in reversed(names):
        x -= 14 + 7 * len(name)
        out.append(
            f'<rect x="{x}" y="26" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="35" class="legend">{escape(name)}</text>'
        )
    return out


def line_chart(
    name: str,
    title: str,
    series: list[Series],
    *,
    x_label: str,
    y_label: str,
    x_log: bool = False,
    y_log: bool = False,
    markers: tuple[Marker, ...] = (),
) -> str:
    """Lines through each series' points, with vertical markers inside the x range."""
    cleaned = []
    for s in series:
        points = [
            (x, y)
            for x, y in zip(s.xs, s.ys, strict=False)
            if _drawable(x, x_log) and _drawable(y, y_log)
        ]
        if points:
            cleaned.append((s, points))
    if not cleaned:
        return _empty(name, title, "nothing measured to draw")
    xs = [x for _, points in cleaned for x, _ in points]
    ys = [y for _, points in cleaned for _, y in points]
    shown = [m for m in markers if _drawable(m.x, x_log)]
    x_values = xs + [m.x for m in shown]
    x = _Axis(min(x_values), max(x_values), LEFT, WIDTH - RIGHT, x_log)
    y = _Axis(min(ys), max(ys), HEIGHT - BOTTOM, TOP + 6, y_log)
    body = _axes(x, y, x_label, y_label)
    for s, points in cleaned:
        path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in points)
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}>'
            f"<title>{escape(s.name)}</title></polyline>"
        )
        if len(points) == 1:
            px, py = points[0]
            body.append(f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="3" fill="{s.colour}"/>')
    for i, marker in enumerate(shown):
        px = x(marker.x)
        left_side = px < (LEFT + WIDTH) * 0.6  # the label reads away from the nearer edge
        body.append(
            f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="{marker.colour}" stroke-width="1.5" stroke-dasharray="3 3"/>'
            f'<text x="{px + 3 if left_side else px - 3:.1f}" y="{TOP + 12 + 12 * i}" '
            f'text-anchor="{"start" if left_side else "end"}" fill="{marker.colour}" '
            f'class="marker">{escape(marker.label)}</text>'
        )
    if len(cleaned) > 1:
        body.extend(_legend([(s.name, s.colour) for s, _ in cleaned]))
    return _frame(name, title, body)


def bar_chart(
    name: str,
    title: str,
    categories: list[str],
    groups: list[BarGroup],
    *,
    y_label: str,
    y_log: bool = False,
    y_range: tuple[float, float] | None = None,
    notes: list[str] | None = None,
) -> str:
    """Bars per category, one per group side by side; ``notes`` are written above each
    category (a suggested class weight, a value)."""
    values = [v for g in groups for v in g.values if _drawable(v, y_log)]
    if not categories or not values:
        return _empty(name, title, "nothing measured to draw")
    low, high = y_range or ((min(values) / 2, max(values) * 1.5) if y_log else (0, max(values)))
    high = max(high, low * 10 if y_log else low + 1e-9)
    y = _Axis(low, high * (1.0 if y_log else 1.12), HEIGHT - BOTTOM, TOP + 6, y_log)
    body = _axes(None, y, "", y_label)
    slot = (WIDTH - RIGHT - LEFT) / len(categories)
    bar = min(48.0, slot * 0.8 / len(groups))
    base = HEIGHT - BOTTOM
    zero = base if y_log or low >= 0 else y(0.0)  # bars grow from 0: a bias can be negative
    for c, category in enumerate(categories):
        start = LEFT + c * slot + (slot - bar * len(groups)) / 2
        for g, group in enumerate(groups):
            value = group.values[c] if c < len(group.values) else float("nan")
            if not _drawable(value, y_log):
                continue
            end = y(value)
            top, bottom = min(end, zero), max(end, zero)
            if bottom - top < 1:  # a zero still shows as a sliver
                top = bottom - 1
            body.append(
                f'<rect x="{start + g * bar:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" '
                f'height="{bottom - top:.1f}" fill="{group.colour}">'
                f"<title>{escape(f'{group.name} {category}: {tick_text(value)}')}</title></rect>"
            )
        centre = LEFT + (c + 0.5) * slot
        label = category if len(category) <= 14 else category[:13] + "…"
        body.append(
            f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle" class="tick">'
            f"{escape(label)}</text>"
        )
        if notes and c < len(notes) and notes[c]:
            body.append(
                f'<text x="{centre:.1f}" y="{TOP + 12}" text-anchor="middle" class="note">'
                f"{escape(notes[c])}</text>"
            )
    if len(groups) > 1:
        body.extend(_legend([(g.name, g.colour) for g in groups]))
    return _frame(name, title, body)
