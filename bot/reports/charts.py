"""The impact report's charts, month by month, drawn with matplotlib: titled, labelled, and told
apart by hatching, line style and marker rather than colour, so they read printed in black and
white. A figure the small-number rule hides is not drawn; "<5" marks where it would be."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.domain.figures import Figures
from bot.domain.impact import ImpactReport, Month
from bot.views.impact import month_label

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 150
SIZE = (7.2, 3.1)  # inches: the printed page's width, a third of its height
NAN = float("nan")
INK = "#000000"


def _figure(title: str) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    ax = fig.subplots()
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#BBBBBB", linewidth=0.5, linestyle=":")
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _months_axis(ax: Axes, months: Sequence[Month]) -> list[int]:
    x = list(range(len(months)))
    labels = [month_label(m.start) for m in months] or ["no data"]
    ax.set_xticks(x or [0], labels, rotation=45 if len(labels) > 6 else 0, ha="right")
    ax.tick_params(labelsize=7)
    return x


def _hidden_marks(ax: Axes, xs: Sequence[float], min_count: int) -> None:
    """A "<5" at the foot of each place where a hidden figure would be."""
    for x in xs:
        ax.annotate(
            f"<{min_count}",
            (x, 0),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6,
        )


def volumes(report: ImpactReport) -> bytes:
    """Questions asked, answered from the knowledge base, and cases routed, per month."""
    d, months = report.disclosure, report.months
    fig, ax = _figure("Questions and cases, month by month")
    x = _months_axis(ax, months)
    series: list[tuple[str, Callable[[Figures], int], str, str]] = [
        ("questions asked", lambda f: f.questions.total, "white", "////"),
        ("answered from the knowledge base", lambda f: f.questions.answered, "#BBBBBB", "...."),
        ("cases routed to a champion", lambda f: f.requests.total, "#444444", ""),
    ]
    width = 0.8 / len(series)
    hidden: list[float] = []
    tallest = 1
    for n, (label, value, fill, hatch) in enumerate(series):
        at = [i - 0.4 + width * (n + 0.5) for i in x]
        counts = [value(m.figures) for m in months]
        shown = [c if d.count(c) else 0 for c in counts]
        hidden += [a for a, c in zip(at, counts, strict=True) if not d.count(c)]
        tallest = max([tallest, *shown])
        bars = ax.bar(
            at, shown, width, label=label, color=fill, hatch=hatch, edgecolor=INK, linewidth=0.6
        )
        ax.bar_label(bars, labels=[str(s) if s else "" for s in shown], padding=1, fontsize=5)
    _hidden_marks(ax, hidden, d.min_count)
    ax.set_ylim(0, tallest * 1.18)
    ax.set_ylabel("number", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=3)
    return _png(fig)


def _lines(
    ax: Axes,
    x: Sequence[int],
    series: Sequence[tuple[str, list[float], str, str]],
) -> None:
    for label, values, style, marker in series:
        ax.plot(
            x,
            values,
            label=label,
            color=INK,
            linestyle=style,
            marker=marker,
            markersize=4,
            markerfacecolor="white" if marker in "sD^" else INK,
            linewidth=1,
        )


def claim_times(report: ImpactReport) -> bytes:
    """The median and 90th percentile of the time to a champion, per month, in minutes."""
    d, months = report.disclosure, report.months
    fig, ax = _figure("Time to a champion, month by month")
    x = _months_axis(ax, months)
    medians, p90s, hidden = [], [], []
    for i, month in enumerate(months):
        r = month.figures.requests
        if d.measure(len(r.claim_seconds)):
            medians.append((r.median_claim() or 0) / 60)
            p90s.append((r.p90_claim() or 0) / 60)
        else:
            medians.append(NAN)
            p90s.append(NAN)
            if r.claim_seconds:
                hidden.append(i)
    _lines(ax, x, [("median", medians, "-", "o"), ("90th percentile", p90s, "--", "s")])
    _hidden_marks(ax, hidden, d.min_count)
    top = max([v for v in medians + p90s if not math.isnan(v)] or [1.0])
    ax.set_ylim(0, top * 1.25)
    ax.set_ylabel("minutes", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=2)
    return _png(fig)


def advice(report: ImpactReport) -> bytes:
    """What the advice covered, as shares of the consults resolved each month."""
    d, months = report.disclosure, report.months
    fig, ax = _figure("What the advice covered, month by month")
    x = _months_axis(ax, months)
    picks: list[tuple[str, Callable[[Figures], int], str, str]] = [
        ("stalking offence", lambda f: f.outcomes.stalking_offence, "-", "^"),
        ("harassment only", lambda f: f.outcomes.harassment_only, ":", "v"),
        ("SPO applied for or recommended", lambda f: f.outcomes.spo_applied_or_recommended,
         "--", "s"),
        ("arrest advised", lambda f: f.outcomes.arrest_advised, "-.", "o"),
        ("MARAC referral", lambda f: f.outcomes.marac, (0, (1, 1)), "D"),  # type: ignore[list-item]
    ]  # fmt: skip
    series = []
    hidden: set[int] = set()
    for label, value, style, marker in picks:
        shares = []
        for i, month in enumerate(months):
            whole, part = month.figures.outcomes.resolved, value(month.figures)
            if d.part(part, whole):
                shares.append(100 * part / whole)
            else:
                shares.append(NAN)
                if whole:
                    hidden.add(i)
        series.append((label, shares, style, marker))
    _lines(ax, x, series)
    _hidden_marks(ax, sorted(hidden), d.min_count)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of consults resolved", fontsize=8)
    ax.legend(fontsize=6, frameon=False, loc="upper left", ncol=3)
    return _png(fig)


CHARTS: list[tuple[str, Callable[[ImpactReport], bytes]]] = [
    ("Questions asked, answered from the knowledge base and cases routed, per month", volumes),
    ("Median and 90th percentile time to a champion, per month", claim_times),
    ("Shares of consults resolved whose advice covered each outcome, per month", advice),
]
