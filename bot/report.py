"""`champbot report`: the impact figures as text, a CSV of weekly figures, and a chart.

Every figure comes from `stats.figures`, the computation behind `/champbot stats` and App Home,
and is worded by `bot.views.figures`; times are shown in one named zone (Europe/London unless
`--tz` says otherwise).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.figures import Figures, percentile
from bot.models import Outcome, Question, Request
from bot.services import stats
from bot.views import figures as words
from bot.views.time import plain_time

if TYPE_CHECKING:  # matplotlib is imported only when a chart is drawn
    from matplotlib.figure import Figure

DEFAULT_ZONE = "Europe/London"

COLUMNS = [
    "week_starting",
    "questions",
    "answered",
    "live_case",
    "not_covered",
    "off_topic",
    "requests",
    "waiting",
    "with_champion",
    "resolved",
    "cancelled",
    "claimed",
    "sla_breaches",
    "median_minutes_to_claim",
    "officers_helped",
    "officers_not_helped",
]
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


@dataclass(frozen=True)
class Week:
    """One week's figures (the week starting on Monday in the report's zone)."""

    start: date
    figures: Figures

    def row(self) -> list[object]:
        q, r = self.figures.questions, self.figures.requests
        median = r.median_claim()
        return [
            self.start.isoformat(),
            q.total,
            *(q.by_outcome.get(o, 0) for o in OUTCOMES),
            r.total,
            r.waiting,
            r.with_champion,
            r.resolved,
            r.cancelled,
            r.reached_champion,
            r.sla_breaches,
            "" if median is None else f"{median / 60:.1f}",
            r.helped,
            r.not_helped,
        ]


def _first_activity(session: Session, since: datetime | None) -> datetime | None:
    firsts = [
        session.scalar(select(func.min(Question.asked_at))),
        session.scalar(select(func.min(Request.created_at))),
    ]
    found = [f if f.tzinfo else f.replace(tzinfo=UTC) for f in firsts if f is not None]
    if not found:
        return None
    return max(min(found), since) if since else min(found)


def weekly(
    *, session: Session, since: datetime | None, now: datetime, zone: str = DEFAULT_ZONE
) -> list[Week]:
    """Figures per week (weeks start on Monday at midnight in `zone`), oldest first."""
    first = _first_activity(session, since)
    if first is None:
        return []
    tz = ZoneInfo(zone)
    day = first.astimezone(tz).date()
    start = day - timedelta(days=day.weekday())
    weeks: list[Week] = []
    while True:
        begin = datetime.combine(start, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        if begin > now:
            return weeks
        end_day = start + timedelta(days=7)
        end = datetime.combine(end_day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        lower = max(begin, since) if since else begin
        weeks.append(Week(start, stats.figures(session=session, since=lower, until=end)))
        start = end_day


def period_words(since: datetime | None, now: datetime, zone: str) -> str:
    """The period the figures cover, in the report's zone: "2 Nov 2026 to 1 Dec 2026"."""
    to = now.astimezone(ZoneInfo(zone))
    if since is None:
        return f"all time to {to.day} {to:%b %Y}"
    start = since.astimezone(ZoneInfo(zone))
    return f"{start.day} {start:%b %Y} to {to.day} {to:%b %Y}"


def summary(
    figures: Figures,
    *,
    since: datetime | None,
    now: datetime,
    zone: str = DEFAULT_ZONE,
    names: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    network_name: str = "",
) -> str:
    """The headline figures as plain text."""
    q, r = figures.questions, figures.requests
    period = f"since {since.astimezone(ZoneInfo(zone)):%d %b %Y}" if since else "all time"
    lines = [
        f"{network_name + ': ' if network_name else ''}Impact, {period}",
        f"  figures as at {plain_time(now, zone)}",
        f"questions asked: {q.total}",
        *(f"  {line}" for line in words.outcome_lines(q)),
        f"  {words.feedback_line(q)}",
        f"requests routed to champions: {r.total}",
        f"  now: {words.states_line(r)}",
        f"  {words.claim_line(r)}",
        f"  {words.resolve_line(r)}",
        f"  SLA breaches: {r.sla_breaches}",
        f"  {words.helped_line(r)}",
    ]
    for line in (
        words.champions_line(r, names or {}),
        words.entries_line(q, titles or {}),
    ):
        if line:
            lines.append(line)
    return "\n".join(lines)


def write_csv(weeks: list[Week], path: Path) -> None:
    """One row per week."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(w.row() for w in weeks)


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


def write_png(weeks: list[Week], path: Path, *, network_name: str, period: str) -> None:
    """The chart, saved as a PNG."""
    chart(weeks, network_name=network_name, period=period).savefig(path)


def write_report(
    *,
    session: Session,
    since: datetime | None,
    csv_path: str | None,
    png_path: str | None,
    now: datetime | None = None,
    zone: str = DEFAULT_ZONE,
    network_name: str = "Stalking Champions",
    titles: Mapping[str, str] | None = None,
) -> str:
    """The text summary; also writes the CSV and chart when paths are given."""
    now = now or datetime.now(UTC)
    found = stats.figures(session=session, since=since, until=now)
    # The report runs without Slack, so champions are named by a stable stand-in, never an ID.
    names = stats.pseudonyms(session=session, user_ids=list(found.requests.by_champion))
    text = summary(
        found,
        since=since,
        now=now,
        zone=zone,
        names=names,
        titles=titles,
        network_name=network_name,
    )
    if csv_path or png_path:
        weeks = weekly(session=session, since=since, now=now, zone=zone)
        if csv_path:
            write_csv(weeks, Path(csv_path))
            text += f"\nweekly figures written to {csv_path}"
        if png_path:
            period = period_words(since, now, zone)
            write_png(weeks, Path(png_path), network_name=network_name, period=period)
            text += f"\nchart written to {png_path}"
    return text


__all__ = ["Week", "chart", "percentile", "summary", "weekly", "write_report"]
