"""The monthly impact summary: when `CHAMPBOT_REPORT_CRON` comes round, the last calendar
month's figures go to every lead, with the impact report as a PDF, once however many clocks
run: the month's `report_runs` row is the claim."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings, parse_report_cron
from bot.models import ReportRun
from bot.notify import impact as notify
from bot.services import impact, roster
from bot.services.audit import record

# A clock that was down when the summary fell due still sends it within this window.
GRACE = timedelta(days=3)
TREND_MONTHS = 12
SYSTEM = "system"


@dataclass(frozen=True)
class DueSummary:
    """The summary due now: the month it covers ("2026-11") and that month in UTC."""

    month: str
    start: datetime
    end: datetime
    zone: str


def _last_fire(expression: str, zone: str, now: datetime) -> datetime | None:
    """The cron's latest firing at or before `now`, if within GRACE (APScheduler reads it)."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(expression, timezone=ZoneInfo(zone))
    # Look back a little first, then further, so a cron that fires every minute is not walked
    # through three days of minutes on each run.
    for back in (timedelta(minutes=2), timedelta(hours=2), timedelta(days=1), GRACE):
        fire = trigger.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            later = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if later is None or later > now:
                return fire
            fire = later
    return None


def due(*, settings: Settings, now: datetime) -> DueSummary | None:
    """The summary due at `now`: the calendar month (in the cron's zone) before the month in
    which the cron last fired, if it fired within GRACE."""
    spec = parse_report_cron(settings.report_cron)
    if spec is None:
        return None
    fire = _last_fire(spec.expression, spec.zone, now)
    if fire is None:
        return None
    this_month = fire.astimezone(ZoneInfo(spec.zone)).date().replace(day=1)
    first = (this_month - timedelta(days=1)).replace(day=1)
    return DueSummary(
        f"{first:%Y-%m}",
        impact.midnight(first, spec.zone),
        impact.midnight(this_month, spec.zone),
        spec.zone,
    )


def _months_before(first: date, n: int) -> date:
    """The first of the month `n` months before `first`'s."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def send_summary(
    *,
    session: Session,
    settings: Settings,
    tags: Mapping[str, Sequence[str]],
    now: datetime,
) -> bool:
    """Queue the month's summary to every lead once, however many clocks ask."""
    summary = due(settings=settings, now=now)
    if summary is None:
        return False
    if session.scalar(select(ReportRun.id).where(ReportRun.month == summary.month)) is not None:
        return False
    if not impact.active_before(session=session, moment=summary.end):
        return False  # the network had not begun: nothing to report for that month
    leads = roster.leads(session=session)
    if not leads:
        return False  # nobody to tell yet; a lead added within the grace still hears
    try:
        with session.begin_nested():
            session.add(
                ReportRun(
                    month=summary.month,
                    period_start=summary.start,
                    period_end=summary.end,
                    leads=len(leads),
                    created_at=now,
                )
            )
    except IntegrityError:
        return False  # another clock has it
    first = summary.start.astimezone(ZoneInfo(summary.zone)).date()
    report = impact.build(
        session=session,
        since=summary.start,
        until=summary.end,
        zone=summary.zone,
        network_name=settings.network_name,
        tags=tags,
        min_count=settings.report_min_count,
        trend_since=impact.midnight(_months_before(first, TREND_MONTHS - 1), summary.zone),
        now=now,
        settings=settings,
    )
    sent = notify.post_summary(session=session, leads=leads, report=report, month=summary.month)
    record(
        session=session,
        actor_id=SYSTEM,
        action="report.send",
        subject_type="report",
        subject_id=summary.month,
        detail=f"{sent} leads",
        at=now,
    )
    return True
