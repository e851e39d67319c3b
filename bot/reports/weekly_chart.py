"""`champbot report --png`: the weekly chart of volumes (questions by outcome, requests to
champions) and outcomes (time to a champion, share of officers helped), for the operator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.models import Outcome

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.figure import Figure

    from bot.report import Week

OUTCOMES = (Outcome.ANSWERED, Outcome.LIVE_CASE, Outcome.NOT_COVERED, Outcome.OFF_TOPIC)
# Colours from the Okabe–Ito palette (told apart with colour-blindness), each with its own
# hatching so the chart still reads printed in black and white; gaps in the knowledge base are
# a pale neutral, not a "good" green, and off-topic questions a grey, not an alarming red.
STYLE = {
    Outcome.ANSWERED: ("answered from the knowledge base", "#0072B2", ""),
    Outcome.LIVE_CASE: ("live case (sent to a champion)", "#E69F00", "//"),
    Outcome.NOT_COVERED: ("not covered yet (a gap)", "#F0E6C8", ".."),
    Outcome.OFF_TOPIC: ("off topic", "#9A9A9A", "xx"),
}
REQUESTS_COLOUR = "#333333"


def _label_bars(
    ax: object,
    bars: object,
    values: Sequence[float | None],
    fmt: str = "{:g}",
    *,
    skip_zero: bool = True,
) -> None:
    """Each bar's value above it: none for a zero count, which would only clutter, and "n/a"
    where there is nothing to measure (no request claimed, no officer said)."""
    labels = [
        "n/a" if v is None else ("" if skip_zero and not v else fmt.format(v)) for v in values
    ]
    ax.bar_label(bars, labels=labels, padding=2, fontsize=7)  # type: ignore[attr-defined]


def chart(weeks: list[Week], *, network_name: str, period: str) -> Figure:
    """Two panels: the volumes (questions by outcome, requests to champions) and the outcomes
    (time to a champion, share of officers helped), per week."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [f"{w.start.day} {w.start:%b}" for w in weeks] or ["no data yet"]
    n = len(labels)
    fig = Figure(figsize=(max(10, n * 0.9 + 6), 5.5), dpi=120, layout="constrained")
    volumes, outcomes = fig.subplots(1, 2, width_ratios=[3, 2])
    fig.suptitle(f"{network_name}: questions and requests, {period}", fontsize=14)

    x = list(range(n))
    width = 0.38
    bottom = [0.0] * n
    for outcome in OUTCOMES:
        name, colour, hatch = STYLE[outcome]
        values = [w.figures.questions.by_outcome.get(outcome, 0) for w in weeks] or [0]
        volumes.bar(
            [i - width / 2 for i in x],
            values,
            width,
            bottom=bottom,
            label=name,
            color=colour,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    totals = volumes.bar(
        [i - width / 2 for i in x], [0] * n, width, bottom=bottom, color="none", linewidth=0
    )
    _label_bars(volumes, totals, bottom)
    requests = [w.figures.requests.total for w in weeks] or [0]
    req_bars = volumes.bar(
        [i + width / 2 for i in x],
        requests,
        width,
        label="requests to champions",
        color=REQUESTS_COLOUR,
        edgecolor="black",
        linewidth=0.5,
    )
    _label_bars(volumes, req_bars, requests)
    volumes.set_title("Volumes per week")
    volumes.set_ylabel("number")
    volumes.set_xticks(x, labels, rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center")
    volumes.set_ylim(0, max([*bottom, *requests, 1]) * 1.2)
    # The legend sits below the panel, clear of every bar.
    volumes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize="small")

    medians = [w.figures.requests.median_claim() for w in weeks]
    minutes = [m / 60 if m is not None else 0.0 for m in medians] or [0.0]
    claim_bars = outcomes.bar(
        [i - width / 2 for i in x],
        minutes,
        width,
        label="median minutes to a champion",
        color="#56B4E9",
        hatch="\\\\",
        edgecolor="black",
        linewidth=0.5,
    )
    _label_bars(
        outcomes,
        claim_bars,
        [m / 60 if m is not None else m for m in medians],
        "{:.1f}",
        skip_zero=False,
    )
    outcomes.set_ylabel("minutes to a champion (median)")
    outcomes.set_ylim(0, max([*minutes, 1]) * 1.25)
    share = outcomes.twinx()
    shares = [w.figures.requests.helped_share for w in weeks]
    helped = [100 * s if s is not None else 0.0 for s in shares] or [0.0]
    share_bars = share.bar(
        [i + width / 2 for i in x],
        helped,
        width,
        label="officers who said they were helped (%)",
        color="#CC79A7",
        edgecolor="black",
        linewidth=0.5,
    )
    _label_bars(
        share,
        share_bars,
        [100 * s if s is not None else s for s in shares],
        "{:.0f}%",
        skip_zero=False,
    )
    share.set_ylim(0, 125)
    share.set_ylabel("officers helped (% of those who said)")
    outcomes.set_title("Outcomes per week")
    outcomes.set_xticks(x, labels, rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center")
    handles = [claim_bars, share_bars]
    outcomes.legend(
        handles,
        [str(h.get_label()) for h in handles],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.15),
        ncol=1,
        fontsize="small",
    )
    return fig
