"""`champbot report`: the impact figures as text, a CSV of weekly figures, and a chart."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Outcome, Question, Request
from bot.services import stats

COLUMNS = [
    "week_starting",
    "questions",
    "answered",
    "live_case",
    "not_covered",
    "off_topic",
    "requests",
    "claimed",
    "resolved",
    "sla_breaches",
    "median_minutes_to_claim",
]


@dataclass
class Week:
    """One week's figures."""

    start: date
    outcomes: dict[Outcome, int]
    requests: int = 0
    claimed: int = 0
    resolved: int = 0
    breaches: int = 0
    claim_minutes: list[float] | None = None

    def row(self) -> list[object]:
        median = stats.percentile(self.claim_minutes or [], 50)
        return [
            self.start.isoformat(),
            sum(self.outcomes.values()),
            *(
                self.outcomes.get(o, 0)
                for o in (
                    Outcome.ANSWERED,
                    Outcome.LIVE_CASE,
                    Outcome.NOT_COVERED,
                    Outcome.OFF_TOPIC,
                )
            ),
            self.requests,
            self.claimed,
            self.resolved,
            self.breaches,
            "" if median is None else f"{median:.1f}",
        ]


def weekly(*, session: Session, since: datetime | None) -> list[Week]:
    """Figures per week (weeks start on Monday), oldest first."""
    weeks: dict[date, Week] = defaultdict(lambda: Week(date.min, defaultdict(int)))

    def week_of(at: datetime) -> Week:
        start = at.date() - timedelta(days=at.weekday())
        week = weeks[start]
        week.start = start
        return week

    q_where = [Question.asked_at >= since] if since else []
    for asked_at, outcome in session.execute(
        select(Question.asked_at, Question.outcome).where(*q_where)
    ):
        week_of(asked_at).outcomes[Outcome(outcome)] += 1
    r_where = [Request.created_at >= since] if since else []
    for created, claimed, resolved, escalated in session.execute(
        select(
            Request.created_at, Request.first_claimed_at, Request.resolved_at, Request.escalated_at
        ).where(*r_where)
    ):
        week = week_of(created)
        week.requests += 1
        week.resolved += resolved is not None
        week.breaches += escalated is not None
        if claimed is not None:
            week.claimed += 1
            week.claim_minutes = [
                *(week.claim_minutes or []),
                (claimed - created).total_seconds() / 60,
            ]
    return [weeks[k] for k in sorted(weeks)]


def summary(*, session: Session, since: datetime | None) -> str:
    """The headline figures as plain text."""
    q = stats.question_figures(session=session, since=since)
    r = stats.request_figures(session=session, since=since)

    def minutes(value: float | None) -> str:
        return "–" if value is None else f"{value / 60:.1f} min"

    period = f"since {since:%d %b %Y}" if since else "all time"
    lines = [
        f"Impact, {period}",
        f"questions asked: {q.total}",
        f"  answered from the knowledge base: {q.by_outcome.get(Outcome.ANSWERED, 0)}"
        f" ({q.answered_share:.0%})",
        f"  live cases: {q.by_outcome.get(Outcome.LIVE_CASE, 0)}",
        f"  not covered yet: {q.by_outcome.get(Outcome.NOT_COVERED, 0)}",
        f"  off topic: {q.by_outcome.get(Outcome.OFF_TOPIC, 0)}",
        f"  feedback: {q.helpful} helpful, {q.not_helpful} not what was needed",
        f"requests routed to champions: {r.total}",
        f"  claimed {r.claimed}, resolved {r.resolved}, cancelled {r.cancelled}, open {r.open}",
        f"  time to claim: median {minutes(r.median_claim())}, p90 {minutes(r.p90_claim())}",
        f"  time to resolve: median {minutes(r.median_resolve())}, p90 {minutes(r.p90_resolve())}",
        f"  SLA breaches: {r.sla_breaches}",
        f"  officers said the advice helped: {r.helped}, did not: {r.not_helped}",
    ]
    if r.by_champion:
        lines.append(
            "resolved per champion: "
            + ", ".join(f"{c} {n}" for c, n in list(r.by_champion.items())[:20])
        )
    if q.top_entries:
        lines.append("most used entries: " + ", ".join(f"{e} ({n})" for e, n in q.top_entries))
    return "\n".join(lines)


def write_csv(weeks: list[Week], path: Path) -> None:
    """One row per week."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(w.row() for w in weeks)


def write_png(weeks: list[Week], path: Path) -> None:
    """Questions per week by outcome, and requests per week, as a bar chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [w.start.strftime("%d %b") for w in weeks] or ["no data"]
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.6), 4), dpi=120)
    bottom = [0] * len(labels)
    names = {
        Outcome.ANSWERED: "answered",
        Outcome.LIVE_CASE: "live case",
        Outcome.NOT_COVERED: "not covered",
        Outcome.OFF_TOPIC: "off topic",
    }
    for outcome, name in names.items():
        values = [w.outcomes.get(outcome, 0) for w in weeks] or [0]
        ax.bar(labels, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.plot(
        labels,
        [w.requests for w in weeks] or [0],
        color="black",
        marker="o",
        label="requests to champions",
    )
    ax.set_title("Questions and requests per week")
    ax.set_ylabel("count")
    ax.legend(fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(
    *, session: Session, since: datetime | None, csv_path: str | None, png_path: str | None
) -> str:
    """The text summary; also writes the CSV and chart when paths are given."""
    text = summary(session=session, since=since)
    if csv_path or png_path:
        weeks = weekly(session=session, since=since)
        if csv_path:
            write_csv(weeks, Path(csv_path))
            text += f"\nweekly figures written to {csv_path}"
        if png_path:
            write_png(weeks, Path(png_path))
            text += f"\nchart written to {png_path}"
    return text
