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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.figures import Figures, percentile
from bot.models import Outcome, Question, Request
from bot.reports.weekly_chart import chart
from bot.services import stats
from bot.views import figures as words
from bot.views.time import plain_time

DEFAULT_ZONE = "Europe/London"


class ReportError(ValueError):
    """A report's period or zone given wrongly; the message is one line for the operator."""


def _day(value: str | None, flag: str, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{flag} must be a date like 2026-11-01, got {value!r}") from None
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def period_of(
    since: str | None, until: str | None, zone: str, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """--since (the first day covered, from its midnight in `zone`) and --until (the last day
    covered, to the midnight that ends it) as UTC times; None where not given."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(f"--tz must be a time zone like Europe/London, got {zone!r}") from None
    start = _day(since, "--since", tz)
    last = _day(until, "--until", tz)
    end = last + timedelta(days=1) if last else None
    if start and end and end <= start:
        raise ReportError("--until must be on or after --since")
    if start and start > now:
        raise ReportError("--since must not be in the future")
    return (
        start.astimezone(UTC) if start else None,
        end.astimezone(UTC) if end else None,
    )


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


def write_png(weeks: list[Week], path: Path, *, network_name: str, period: str) -> None:
    """The chart, saved as a PNG."""
    chart(weeks, network_name=network_name, period=period).savefig(path)


def write_document(
    *,
    session: Session,
    since: datetime | None,
    until: datetime,
    zone: str,
    network_name: str,
    tags: Mapping[str, Sequence[str]],
    min_count: int,
    html_path: str | None,
    pdf_path: str | None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> list[str]:
    """The printable impact report, as HTML and/or PDF; what was written, in words."""
    from bot.reports import document
    from bot.services import impact

    first = _first_activity(session, since) or until
    start = since or impact.midnight(first.astimezone(ZoneInfo(zone)).date(), zone)
    report = impact.build(
        session=session,
        since=start,
        until=until,
        zone=zone,
        network_name=network_name,
        tags=tags,
        min_count=min_count,
        now=now,
        settings=settings,
    )
    page = document.html(report)
    done = []
    if html_path:
        Path(html_path).write_text(page, encoding="utf-8")
        done.append(f"impact report (HTML) written to {html_path}")
    if pdf_path:
        Path(pdf_path).write_bytes(document.pdf(report, page=page))
        done.append(f"impact report (PDF) written to {pdf_path}")
    return done


def write_report(
    *,
    session: Session,
    since: datetime | None,
    csv_path: str | None,
    png_path: str | None,
    now: datetime | None = None,
    until: datetime | None = None,
    zone: str = DEFAULT_ZONE,
    network_name: str = "Stalking Champions",
    titles: Mapping[str, str] | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
    html_path: str | None = None,
    pdf_path: str | None = None,
    min_count: int = 5,
    settings: Settings | None = None,
) -> str:
    """The text summary for [since, until) (`until` default now); also writes the CSV, the
    chart and the printable report (HTML, PDF) when paths are given."""
    now = now or datetime.now(UTC)
    until = until or now
    found = stats.figures(session=session, since=since, until=until, settings=settings)
    # The report runs without Slack, so champions are named by a stable stand-in, never an ID.
    names = stats.pseudonyms(session=session, user_ids=list(found.requests.by_champion))
    text = summary(
        found,
        since=since,
        now=until,
        zone=zone,
        names=names,
        titles=titles,
        network_name=network_name,
    )
    if csv_path or png_path:
        weeks = weekly(session=session, since=since, now=until, zone=zone)
        if csv_path:
            write_csv(weeks, Path(csv_path))
            text += f"\nweekly figures written to {csv_path}"
        if png_path:
            period = period_words(since, until, zone)
            write_png(weeks, Path(png_path), network_name=network_name, period=period)
            text += f"\nchart written to {png_path}"
    if html_path or pdf_path:
        written = write_document(
            session=session,
            since=since,
            until=until,
            zone=zone,
            network_name=network_name,
            tags=tags or {},
            min_count=min_count,
            html_path=html_path,
            pdf_path=pdf_path,
            now=now,
            settings=settings,
        )
        text += "".join(f"\n{line}" for line in written)
    return text


__all__ = ["Week", "chart", "percentile", "summary", "weekly", "write_document", "write_report"]
