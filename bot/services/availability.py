"""Champions' availability: on, off, away until a time, and their areas and skills."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Member
from bot.services import ServiceError, requests, roster
from bot.services.audit import record
from bot.services.policy import Act, require

MAX_AWAY = timedelta(days=366)
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class Availability:
    """A champion's availability and load, for `/champion status` and App Home."""

    member: Member
    available: bool
    load: int


def _champion(session: Session, user_id: str) -> Member:
    member = roster.get(session=session, slack_user_id=user_id)
    require(member, Act.SET_AVAILABILITY)
    assert member is not None  # the policy lets no one off the roster set availability
    return member


def status(*, session: Session, user_id: str, now: datetime) -> Availability:
    """Where a champion stands now."""
    member = _champion(session, user_id)
    return Availability(
        member, requests.is_available(member, now), requests.active_load(session, user_id)
    )


def set_on(*, session: Session, user_id: str, on: bool, now: datetime) -> Availability:
    """On duty (and back from away) or off duty."""
    member = _champion(session, user_id)
    member.on_duty, member.away_until = on, None
    record(
        session=session,
        actor_id=user_id,
        action="availability." + ("on" if on else "off"),
        subject_type="member",
        subject_id=user_id,
    )
    return status(session=session, user_id=user_id, now=now)


def set_duty(
    *, session: Session, settings: Settings, user_id: str, on: bool, now: datetime
) -> Availability:
    """On or off duty, from `/champion` or App Home; a champion coming on duty is offered the
    requests that were waiting for someone free."""
    availability = set_on(session=session, user_id=user_id, on=on, now=now)
    if on:
        requests.route_waiting(session=session, settings=settings, now=now)
    return availability


def set_away(*, session: Session, user_id: str, until: datetime, now: datetime) -> Availability:
    """Away until a time; it ends by itself."""
    if until <= now:
        raise ServiceError("That time has already passed; give a date or time in the future.")
    if until - now > MAX_AWAY:
        raise ServiceError("Away can be set for up to a year; use `/champion off` for longer.")
    member = _champion(session, user_id)
    member.away_until = until
    record(
        session=session,
        actor_id=user_id,
        action="availability.away",
        subject_type="member",
        subject_id=user_id,
        detail=until.isoformat(timespec="minutes"),
    )
    return status(session=session, user_id=user_id, now=now)


def set_profile(
    *, session: Session, user_id: str, area: str | None = None, skills: list[str] | None = None
) -> Member:
    """A champion's own area or skills, used to match requests."""
    member = _champion(session, user_id)
    if area is not None:
        if len(area) > 80:
            raise ServiceError("Keep the area under 80 characters.")
        member.area = area.strip() or None
    if skills is not None:
        joined = ",".join(s.strip().lower() for s in skills if s.strip())
        if len(joined) > 400:
            raise ServiceError("That is too many skills; list the main ones.")
        member.skills = joined
    record(
        session=session,
        actor_id=user_id,
        action="availability.profile",
        subject_type="member",
        subject_id=user_id,
    )
    return member


def parse_until(text: str, *, now: datetime, tz: str = "Europe/London") -> datetime:
    """A time from what a champion typed: `2026-12-01`, `2026-12-01 08:00`, `tomorrow`,
    `monday`, `17:00`, `3h`, `2d`. Dates mean the start of that day, in the champion's zone."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    raw = text.strip().lower().removeprefix("until").strip()
    if m := re.fullmatch(r"(\d{1,3})\s*(m|min|mins|h|hr|hrs|hours?|d|days?)", raw):
        n, unit = int(m.group(1)), m.group(2)[0]
        return (
            now + {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n)}[unit]
        )
    at: datetime | None = None
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{1,2}):(\d{2}))?", raw):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh, mm = int(m.group(4) or 0), int(m.group(5) or 0)
        try:
            at = datetime(y, mo, d, hh, mm, tzinfo=zone)
        except ValueError:
            raise ServiceError(f"{text!r} is not a real date.") from None
    elif m := re.fullmatch(r"(\d{1,2})[:.](\d{2})", raw):
        hh, mm = int(m.group(1)), int(m.group(2))
        if hh > 23 or mm > 59:
            raise ServiceError(f"{text!r} is not a time of day.")
        at = datetime.combine(local_now.date(), time(hh, mm), tzinfo=zone)
        if at <= local_now:
            at += timedelta(days=1)
    elif raw == "tomorrow":
        at = datetime.combine(local_now.date() + timedelta(days=1), time(0, 0), tzinfo=zone)
    elif raw in _DAYS:
        ahead = (_DAYS.index(raw) - local_now.weekday()) % 7 or 7
        at = datetime.combine(local_now.date() + timedelta(days=ahead), time(0, 0), tzinfo=zone)
    if at is None:
        raise ServiceError(
            "I didn't understand that time. Try `/champion away until 2026-12-01`, "
            "`until 17:00`, `until monday`, `until tomorrow` or `for 3h`."
        )
    return at.astimezone(UTC)
