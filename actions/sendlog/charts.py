"""Small charts drawn on the server: the geometry of an inline SVG, computed in Python.

No JavaScript library: `stacked_bars()` returns the positions and sizes of every shape, and
templates/_chart.html writes them out as SVG (the template escapes every text). Each series
has a pattern as well as a colour, and the legend names them, so the chart reads without
telling colours apart; its summary is the accessible name of the image.
"""

import math
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 280
LEFT = 52  # room for the y-axis labels
RIGHT = 12
TOP = 48  # room for the legend
BOTTOM = 40  # room for the two lines of x-axis labels
BAR_FILL = 0.64  # the share of its slot a bar takes


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    pattern: str  # "solid", "hatch" or "dots"
    color: str = "#555"


@dataclass(frozen=True)
class BarData:
    """One bar's input: its axis labels, its long name, and a value per series key."""

    label: str
    sublabel: str
    long_label: str
    values: dict[str, int]


@dataclass(frozen=True)
class Pattern:
    id: str
    series: Series


@dataclass(frozen=True)
class Segment:
    series: Series
    fill: str
    value: int
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    sublabel: str
    title: str
    total: int
    total_text: str
    center: float
    top: float  # where the bar's total is written, above it
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    value: int
    text: str
    y: float


@dataclass(frozen=True)
class LegendItem:
    series: Series
    fill: str
    x: float
    text_x: float


@dataclass(frozen=True)
class StackedBarChart:
    id: str
    title: str
    summary: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    axis_max: int
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[LegendItem]
    patterns: list[Pattern]
    label_y: float
    sublabel_y: float
    legend_y: float

    @property
    def is_empty(self) -> bool:
        return not any(bar.total for bar in self.bars)

    @property
    def swatch_y(self) -> float:
        return self.legend_y - 11

    @property
    def tick_text_x(self) -> float:
        return self.left - 8

    @property
    def middle_x(self) -> float:
        return round((self.left + self.right) / 2, 2)

    @property
    def middle_y(self) -> float:
        return round((self.top + self.bottom) / 2, 2)


def nice_ticks(highest: int, count: int = 4) -> list[int]:
    """Axis values from 0 past `highest` in round steps (1, 2 or 5 × a power of ten)."""
    rough = max(highest, 1) / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(1, int(step))
    top = step * max(1, math.ceil(highest / step))
    return list(range(0, top + 1, step))


def _r(value: float) -> float:
    return round(value, 2)


def stacked_bars(
    data: list[BarData],
    series: list[Series],
    title: str,
    chart_id: str = "chart",
    unit: str = "messages",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> StackedBarChart:
    """A stacked bar chart: one bar per item of `data`, the first series at the bottom.

    Heights are proportional to the values: a value v is v × (plot height / axis maximum).
    """
    left, right, top, bottom = LEFT, width - RIGHT, TOP, height - BOTTOM
    totals = [sum(item.values.get(s.key, 0) for s in series) for item in data]
    ticks = nice_ticks(max(totals, default=0))
    axis_max = ticks[-1]
    scale = (bottom - top) / axis_max
    slot = (right - left) / max(len(data), 1)
    patterns = [Pattern(f"{chart_id}-{s.key}", s) for s in series if s.pattern != "solid"]
    fills = {s.key: s.color for s in series} | {p.series.key: f"url(#{p.id})" for p in patterns}
    bar_width = slot * BAR_FILL

    bars = []
    for n, (item, total) in enumerate(zip(data, totals, strict=True)):
        x = left + n * slot + (slot - bar_width) / 2
        y = bottom
        segments = []
        for s in series:
            value = item.values.get(s.key, 0)
            if value <= 0:
                continue
            h = value * scale
            y -= h
            segments.append(
                Segment(
                    s,
                    fills[s.key],
                    value,
                    _r(x),
                    _r(y),
                    _r(bar_width),
                    _r(h),
                    f"{item.long_label}: {value:,} {s.label.lower()}",
                )
            )
        parts = ", ".join(f"{seg.value:,} {seg.series.label.lower()}" for seg in segments)
        bars.append(
            Bar(
                label=item.label,
                sublabel=item.sublabel,
                title=f"{item.long_label}: {total:,} {unit}" + (f" ({parts})" if parts else ""),
                total=total,
                total_text=f"{total:,}",
                center=_r(x + bar_width / 2),
                top=_r(y - 5),
                segments=segments,
            )
        )

    return StackedBarChart(
        id=chart_id,
        title=title,
        summary=_summary(title, data, series, totals, unit),
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        axis_max=axis_max,
        bars=bars,
        ticks=[Tick(v, f"{v:,}", _r(bottom - v * scale)) for v in ticks],
        legend=_legend(series, fills, left),
        patterns=patterns,
        label_y=bottom + 16,
        sublabel_y=bottom + 32,
        legend_y=18,
    )


def _legend(series: list[Series], fills: dict[str, str], left: float) -> list[LegendItem]:
    items, x = [], left
    for s in series:
        items.append(LegendItem(s, fills[s.key], _r(x), _r(x + 20)))
        # About 6.2 units a character at the legend's font size, then a gap.
        x += 20 + len(s.label) * 6.2 + 20
    return items


def _summary(title, data, series, totals, unit) -> str:
    if not any(totals):
        return f"{title}: no {unit}."
    sums = [sum(item.values.get(s.key, 0) for item in data) for s in series]
    parts = ", ".join(f"{n:,} {s.label.lower()}" for s, n in zip(series, sums, strict=True))
    busiest = max(range(len(data)), key=lambda n: totals[n])
    return (
        f"{title}: {parts}. Highest: {data[busiest].long_label}, with {totals[busiest]:,} {unit}."
    )
