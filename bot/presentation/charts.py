"""/stats charts drawn with matplotlib (Agg, no pyplot state: safe in a worker thread) as PNG images sized for a
phone: 1200 px wide, large type, labelled axes, texts from the catalogs. A chart with too little data to say
anything is not drawn at all (the caller says so in words instead)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from bot.presentation.texts import Texts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 8.0, 5.6, 150  # 1200 × 840 px: Telegram shows photos up to 1280 px
TITLE, LABEL, TICK, LEGEND = 20, 16, 14, 14
COLOURS = {  # Okabe–Ito: distinguishable with the common colour-vision deficiencies
    "active": "#0072B2", "paused": "#E69F00", "left": "#999999", "banned": "#D55E00",
    "matched": "#009E73", "left_out": "#E69F00", "met": "#0072B2", "rating": "#CC79A7",
}
MIN_MEMBERS = 3  # fewer people make no picture worth sending
MIN_TOPIC_MENTIONS = 3
LABEL_WIDTH = 26  # characters of a topic per line
LEGEND_ROW = 52  # characters of legend labels that fit one row at the legend's size


class RoundView(Protocol):
    @property
    def created_at(self) -> datetime: ...
    @property
    def matched(self) -> int: ...
    @property
    def left_out(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def met(self) -> int: ...
    @property
    def ratings(self) -> int: ...
    @property
    def rating_sum(self) -> int: ...
    @property
    def met_rate(self) -> float | None: ...
    @property
    def average_rating(self) -> float | None: ...


class StatsView(Protocol):
    """What the charts and the summary read (services.stats.CommunityStats has it)."""

    @property
    def statuses(self) -> Mapping[str, int]: ...
    @property
    def profiles(self) -> int: ...
    @property
    def interests(self) -> Sequence[tuple[str, int]]: ...

    @property
    def weeks(self) -> Sequence[date]: ...
    @property
    def joined_by_week(self) -> Mapping[str, Sequence[int]]: ...
    @property
    def rounds(self) -> Sequence[RoundView]: ...
    @property
    def offered(self) -> Sequence[tuple[str, int]]: ...
    @property
    def wanted(self) -> Sequence[tuple[str, int]]: ...
    @property
    def connections(self) -> Mapping[int, int]: ...


@dataclass(frozen=True)
class Chart:
    name: str  # file name without extension
    caption: str  # rendered catalog text (HTML)
    png: bytes


def _axes(rows: int = 1, height: float = HEIGHT) -> tuple[Figure, list[Axes]]:
    """A figure on the Agg backend. matplotlib is imported here, on first use: the bot starts without it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, 1, squeeze=False)
    return figure, [row[0] for row in axes]


def _style(axes: Axes, title: str, xlabel: str, ylabel: str, legend_rows: int = 0) -> None:
    axes.set_title(title, fontsize=TITLE, loc="left", pad=12 + 26 * legend_rows)
    axes.set_xlabel(xlabel, fontsize=LABEL)
    axes.set_ylabel(ylabel, fontsize=LABEL)
    axes.tick_params(labelsize=TICK)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)


def _legend(axes: Axes, labels: Sequence[str]) -> int:
    """The legend between the title and the plot, where it never hides a bar: one row when the labels are short,
    two columns otherwise. Its number of rows (the title makes room for them)."""
    columns = len(labels) if sum(len(label) + 6 for label in labels) <= LEGEND_ROW else 2
    axes.legend(fontsize=LEGEND, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=columns, frameon=False,
                borderaxespad=0.2, handlelength=1.2, columnspacing=1.2)
    return -(-len(labels) // columns)


def _headroom(axes: Axes, top: float) -> None:
    """Stacked bars stick the axis to their tops; leave air above the tallest."""
    axes.set_ylim(0, max(top, 1) * 1.08)


def _integers(axis: Axis, bins: int | None = None) -> None:
    """Ticks at whole numbers only (people are counted in whole numbers), at most `bins` of them."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=bins or "auto", integer=True))


def _bars(axes: Axes, heights: Sequence[float], *, colour: str, bottom: Sequence[float] | None = None,
          label: str | None = None) -> None:
    """Vertical bars 0.8 wide at 0, 1, 2 … as one collection: `Axes.bar` makes an artist per bar, which took
    most of a chart's time with 100 rounds. Looks the same; the y axis starts at 0 (as with bars)."""
    from matplotlib.collections import PolyCollection

    below = bottom or [0.0] * len(heights)
    boxes = [[(x - 0.4, low), (x - 0.4, low + high), (x + 0.4, low + high), (x + 0.4, low)]
             for x, (low, high) in enumerate(zip(below, heights, strict=True))]
    axes.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none", label=label))
    pad = 0.05 * (len(heights) - 0.2)  # Axes.bar's default margins
    axes.set_xlim(-0.4 - pad, len(heights) - 0.6 + pad)
    top = max((low + high for low, high in zip(below, heights, strict=True)), default=0)
    if axes.get_ylim()[1] < top or axes.get_ylim() == (0.0, 1.0):
        axes.set_ylim(0, max(top, 1) * 1.05)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _day_labels(days: Sequence[date]) -> list[str]:
    """Day and month; with the year too when the days span most of one."""
    long = len(days) > 1 and (days[-1] - days[0]).days > 300
    return [day.strftime("%d.%m.%y" if long else "%d.%m") for day in days]


def _round_labels(rounds: Sequence[RoundView]) -> list[str]:
    return _day_labels([round_.created_at.date() for round_ in rounds])


def _thin_ticks(axes: Axes, labels: list[str]) -> None:
    """Few enough labelled categories on the x axis that the dates never overlap (fewer when they carry a year)."""
    most = 10 if max(map(len, labels), default=0) <= 5 else 6
    step = max(1, -(-len(labels) // most))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[index] for index in positions])


def members_chart(texts: Texts, stats: StatsView) -> bytes | None:
    weeks, series = list(stats.weeks), stats.joined_by_week
    if sum(values[-1] for values in series.values() if values) < MIN_MEMBERS:
        return None
    figure, (axes,) = _axes()
    shown = [status for status in ("active", "paused", "left", "banned") if any(series[status])]
    labels = [texts.label("members.status_banned" if status == "banned" else f"status.{status}") for status in shown]
    colours = [COLOURS[status] for status in shown]
    if len(weeks) <= 16:  # a few weeks read best as bars
        bottom = [0] * len(weeks)
        for status, label, colour in zip(shown, labels, colours, strict=True):
            _bars(axes, series[status], bottom=bottom, label=label, colour=colour)
            bottom = [below + value for below, value in zip(bottom, series[status], strict=True)]
    else:
        axes.stackplot(range(len(weeks)), *(series[status] for status in shown), labels=labels, colors=colours,
                       alpha=0.9)
        axes.set_xlim(0, len(weeks) - 1)
    _thin_ticks(axes, _day_labels(weeks))
    _integers(axes.yaxis)
    _headroom(axes, sum(values[-1] for values in series.values()))
    rows = _legend(axes, labels)
    _style(axes, texts.label("stats.members_title"), texts.label("stats.axis_week"), texts.label("stats.axis_members"),
           rows)
    return _png(figure)


def participation_chart(texts: Texts, stats: StatsView) -> bytes | None:
    rounds = list(stats.rounds)
    if not rounds:
        return None
    figure, (axes,) = _axes()
    matched, left_out = [r.matched for r in rounds], [r.left_out for r in rounds]
    _bars(axes, matched, colour=COLOURS["matched"], label=texts.label("stats.matched"))
    _bars(axes, left_out, bottom=matched, colour=COLOURS["left_out"], label=texts.label("stats.left_out"))
    _thin_ticks(axes, _round_labels(rounds))
    _integers(axes.yaxis)
    _headroom(axes, max(a + b for a, b in zip(matched, left_out, strict=True)))
    rows = _legend(axes, [texts.label("stats.matched"), texts.label("stats.left_out")])
    _style(axes, texts.label("stats.participation_title"), texts.label("stats.axis_round"),
           texts.label("stats.axis_people"), rows)
    return _png(figure)


def checkins_chart(texts: Texts, stats: StatsView) -> bytes | None:
    rounds = [round_ for round_ in stats.rounds if round_.answered]
    if not rounds:
        return None
    figure, (rate, rating) = _axes(2, HEIGHT * 1.35)
    positions = list(range(len(rounds)))
    _bars(rate, [100 * (r.met_rate or 0) for r in rounds], colour=COLOURS["met"])
    rate.set_ylim(0, 100)
    from matplotlib.ticker import PercentFormatter

    rate.yaxis.set_major_formatter(PercentFormatter())
    rated = [(position, r.average_rating) for position, r in zip(positions, rounds, strict=True)
             if r.average_rating is not None]
    rating.plot([p for p, _ in rated], [value for _, value in rated], marker="o" if len(rated) <= 30 else "",
                markersize=8, linewidth=3, color=COLOURS["rating"])
    rating.set_ylim(0.8, 5.2)
    rating.set_xlim(-0.5, len(rounds) - 0.5)
    rating.set_yticks([1, 2, 3, 4, 5])
    for axes in (rate, rating):
        _thin_ticks(axes, _round_labels(rounds))
    _style(rate, texts.label("stats.met_title"), "", texts.label("stats.axis_met"))
    _style(rating, texts.label("stats.rating_title"), texts.label("stats.axis_round"), texts.label("stats.axis_rating"))
    return _png(figure)


def _topic_bars(axes: Axes, topics: Sequence[tuple[str, int]], colour: str) -> None:
    names = [textwrap.fill(name, LABEL_WIDTH) for name, _ in reversed(topics)]
    axes.barh(names, [count for _, count in reversed(topics)], color=colour)
    _integers(axes.xaxis)


def topics_chart(texts: Texts, stats: StatsView) -> bytes | None:
    if sum(count for _, count in [*stats.offered, *stats.wanted]) < MIN_TOPIC_MENTIONS:
        return None
    panels = [(topics, key, colour) for topics, key, colour in (
        (stats.offered, "stats.offered_title", COLOURS["matched"]),
        (stats.wanted, "stats.wanted_title", COLOURS["met"]),
    ) if topics]
    figure, axes_list = _axes(len(panels), HEIGHT * 0.85 * len(panels) + 0.6)
    for axes, (topics, key, colour) in zip(axes_list, panels, strict=True):
        _topic_bars(axes, topics, colour)
        _style(axes, texts.label(key), texts.label("stats.axis_people"), "")
        axes.grid(axis="x", alpha=0.3)
        axes.grid(axis="y", visible=False)
    return _png(figure)


def connections_chart(texts: Texts, stats: StatsView) -> bytes | None:
    histogram = dict(stats.connections)
    if not any(count for met, count in histogram.items() if met > 0):
        return None
    figure, (axes,) = _axes()
    top = max(histogram)
    _bars(axes, [histogram.get(met, 0) for met in range(top + 1)], colour=COLOURS["active"])
    _integers(axes.xaxis)
    _integers(axes.yaxis)
    _style(axes, texts.label("stats.connections_title"), texts.label("stats.axis_connections"),
           texts.label("stats.axis_members"))
    return _png(figure)


CHARTS = (
    ("members", members_chart), ("participation", participation_chart), ("checkins", checkins_chart),
    ("topics", topics_chart), ("connections", connections_chart),
)


def render_charts(texts: Texts, stats: StatsView) -> list[Chart]:
    """Every chart the data supports, in order (CPU-bound: call it in a worker thread)."""
    charts = []
    for name, draw in CHARTS:
        png = draw(texts, stats)
        if png is not None:
            charts.append(Chart(name, texts(f"stats.caption.{name}"), png))
    return charts
