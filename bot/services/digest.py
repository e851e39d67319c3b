"""The weekly digest: the week's broadcasts by category and the network's figures, posted to
the network channel once a week, however many clocks run: the week's row is the claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import DAYS, Settings, parse_digest
from bot.domain.figures import DigestFigures
from bot.models import Broadcast, BroadcastStatus, Digest
from bot.notify import digest as notify
from bot.services import stats
from bot.services.audit import record

# A clock that was down at digest time still sends the week's digest within this window.
GRACE = timedelta(hours=12)
SYSTEM = "system"


@dataclass(frozen=True)
class DigestWeek:
    """One digest: its unique week key and the period it covers (UTC)."""

    week: str
    start: datetime
    end: datetime
    zone: str


def digest_week(*, settings: Settings, now: datetime) -> DigestWeek | None:
    """The digest due at `now`, if the digest time of this week has come (and not long ago)."""
    spec = parse_digest(settings.digest_cron)
    if spec is None:
        return None
    zone = ZoneInfo(spec.zone)
    local = now.astimezone(zone)
    back = (local.weekday() - DAYS.index(spec.day)) % 7
    day = local.date() - timedelta(days=back)
    moment = datetime(day.year, day.month, day.day, spec.hour, spec.minute, tzinfo=zone)
    if moment > local:
        day -= timedelta(days=7)
        moment = datetime(day.year, day.month, day.day, spec.hour, spec.minute, tzinfo=zone)
    if local - moment > GRACE:
        return None
    year, week, _ = day.isocalendar()
    before = day - timedelta(days=7)
    start = datetime(before.year, before.month, before.day, spec.hour, spec.minute, tzinfo=zone)
    return DigestWeek(
        f"{year}-W{week:02d}", start.astimezone(UTC), moment.astimezone(UTC), spec.zone
    )


def week_figures(*, session: Session, start: datetime, end: datetime) -> DigestFigures:
    """Questions, requests and the median time to claim, for the period (the same computation
    as every other surface's figures)."""
    found = stats.figures(session=session, since=start, until=end)
    q, r = found.questions, found.requests
    return DigestFigures(
        questions=q.total,
        answered=q.answered,
        requests=r.total,
        claimed=r.reached_champion,
        median_claim_seconds=r.median_claim(),
    )


def send_digest(*, session: Session, settings: Settings, now: datetime) -> bool:
    """Post this week's digest once, however many clocks ask: the week's row is the claim."""
    due = digest_week(settings=settings, now=now)
    if due is None or not settings.network_channel:
        return False
    if session.scalar(select(Digest.id).where(Digest.week == due.week)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                Digest(week=due.week, period_start=due.start, period_end=due.end, created_at=now)
            )
    except IntegrityError:
        return False
    sent: Sequence[Broadcast] = list(
        session.scalars(
            select(Broadcast)
            .where(
                Broadcast.status == BroadcastStatus.SENT,
                Broadcast.edit_of.is_(None),
                Broadcast.sent_at >= due.start,
                Broadcast.sent_at < due.end,
            )
            .order_by(Broadcast.sent_at)
        )
    )
    notify.post_digest(
        session=session,
        channel=settings.network_channel,
        week=due.week,
        start=due.start,
        end=due.end,
        zone=due.zone,
        sent=sent,
        figures=week_figures(session=session, start=due.start, end=due.end),
        network_name=settings.network_name,
    )
    record(
        session=session,
        actor_id=SYSTEM,
        action="digest.send",
        subject_type="digest",
        subject_id=due.week,
        detail=f"{len(sent)} broadcasts",
        at=now,
    )
    return True
