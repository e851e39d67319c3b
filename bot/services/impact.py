"""The impact report's figures: the period's (from `stats.figures`, the computation behind
`/champbot stats` and App Home), month by month, how many officers were helped, and the
knowledge base's gaps. `champbot report` and the monthly summary render what `build` returns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement

from bot.config import Settings
from bot.domain.impact import NO_CLOSE_ENTRY, Disclosure, Gap, ImpactReport, Month
from bot.models import Feedback, Outcome, Question, Request
from bot.services import stats

GAPS_SHOWN = 10  # the most asked topics the report lists


def month_start(day: date) -> date:
    """The first of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def midnight(day: date, zone: str) -> datetime:
    """Midnight at the start of `day` in `zone`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def months(since: datetime, until: datetime, zone: str) -> list[tuple[date, datetime, datetime]]:
    """The calendar months in `zone` that [since, until) touches, each clipped to it:
    (first day, from, to) in UTC, oldest first."""
    out: list[tuple[date, datetime, datetime]] = []
    day = month_start(since.astimezone(ZoneInfo(zone)).date())
    while True:
        begin = midnight(day, zone)
        if begin >= until:
            return out
        end = midnight(next_month(day), zone)
        out.append((day, max(begin, since), min(end, until)))
        day = next_month(day)


def _period(
    column: InstrumentedAttribute[datetime], since: datetime, until: datetime
) -> list[ColumnElement[bool]]:
    return [column >= since, column < until]


def officers(*, session: Session, since: datetime, until: datetime) -> tuple[int, int]:
    """(officers who asked, officers helped) in [since, until): helped means a question of
    theirs was answered from the knowledge base or a request of theirs reached a champion."""
    asked_q = select(Question.asker_id).where(*_period(Question.asked_at, since, until))
    asked_r = select(Request.asker_id).where(*_period(Request.created_at, since, until))
    helped_q = asked_q.where(Question.outcome == Outcome.ANSWERED)
    helped_r = asked_r.where(Request.first_claimed_at.is_not(None))
    asked = session.scalar(select(func.count(distinct(union(asked_q, asked_r).subquery().c[0]))))
    helped = session.scalar(select(func.count(distinct(union(helped_q, helped_r).subquery().c[0]))))
    return int(asked or 0), int(helped or 0)


def active_before(*, session: Session, moment: datetime) -> bool:
    """Whether the network had any question or request before `moment` (a month before the
    first has nothing to report)."""
    asked = session.scalar(select(Question.id).where(Question.asked_at < moment).limit(1))
    if asked is not None:
        return True
    return (
        session.scalar(select(Request.id).where(Request.created_at < moment).limit(1)) is not None
    )


def _topic(entry_ids: Sequence[str], tags: Mapping[str, Sequence[str]]) -> str:
    """A question's topic: the first tag of the first entry named that the knowledge base
    still has (the closest, for a question it could not answer)."""
    for entry_id in entry_ids:
        found = tags.get(entry_id)
        if found:
            return str(found[0])
    return NO_CLOSE_ENTRY


def gaps(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    tags: Mapping[str, Sequence[str]],
    limit: int = GAPS_SHOWN,
) -> list[Gap]:
    """The topics most asked in [since, until) that the knowledge base did not cover: questions
    it had no confident answer for (by the topic of the closest entry) and answers officers said
    were not what they needed (by the topic of the entry given). Only entries' tags are used,
    never the questions' text."""
    rows = session.execute(
        select(Question.outcome, Question.closest, Question.entry_id, Question.feedback).where(
            *_period(Question.asked_at, since, until),
            or_(Question.outcome == Outcome.NOT_COVERED, Question.feedback == Feedback.NOT_HELPFUL),
        )
    )
    not_covered: Counter[str] = Counter()
    not_helpful: Counter[str] = Counter()
    for outcome, closest, entry_id, feedback in rows:
        if outcome is Outcome.NOT_COVERED:
            not_covered[_topic([e for e in (closest or "").split(",") if e], tags)] += 1
        elif feedback is Feedback.NOT_HELPFUL and entry_id:
            not_helpful[_topic([entry_id], tags)] += 1
    found = [
        Gap(topic, not_covered[topic], not_helpful[topic])
        for topic in set(not_covered) | set(not_helpful)
    ]
    found.sort(key=lambda g: (-g.total, -g.not_covered, g.topic))
    return found[:limit]


def build(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    zone: str,
    network_name: str,
    tags: Mapping[str, Sequence[str]],
    min_count: int = 5,
    trend_since: datetime | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> ImpactReport:
    """The report for [since, until); its months run from `trend_since` (default `since`).
    Champions' CPD is as at `until`, against the requirement in `settings`."""
    asked, helped = officers(session=session, since=since, until=until)
    trend = []
    for first, begin, end in months(trend_since or since, until, zone):
        month_asked, month_helped = officers(session=session, since=begin, until=end)
        figures = stats.figures(session=session, since=begin, until=end, settings=settings)
        trend.append(Month(first, figures, month_asked, month_helped))
    return ImpactReport(
        network_name=network_name,
        since=since,
        until=until,
        zone=zone,
        generated_at=now or datetime.now(UTC),
        figures=stats.figures(session=session, since=since, until=until, settings=settings),
        officers_asked=asked,
        officers_helped=helped,
        months=trend,
        gaps=gaps(session=session, since=since, until=until, tags=tags),
        disclosure=Disclosure(min_count),
    )
