"""Champions' availability: on, off, away until a time, and their areas and skills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import (
    AreaTooLong,
    AwayInPast,
    AwayTimeNotUnderstood,
    AwayTooLong,
    TooManySkills,
)
from bot.domain.home import Workload
from bot.models import Member
from bot.services import requests
from bot.services.audit import record
from bot.services.policy import Act, may, require_own

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

MAX_AWAY = timedelta(days=366)
MAX_AREA = 80  # characters
DEFAULT_ZONE = "Europe/London"


@dataclass(frozen=True)
class Availability:
    """Where someone stands, for `/champion status` and App Home: a champion's availability
    and load; a lead (who may claim but is never offered requests) has only the load."""

    member: Member
    available: bool
    workload: Workload
    routed: bool = True

    @property
    def load(self) -> int:
        """Requests held plus offers awaiting an answer (the same count as App Home's)."""
        return self.workload.count


def _champion(caller: Member | None, user_id: str) -> Member:
    require_own(caller, Act.SET_AVAILABILITY, user_id=user_id)
    assert caller is not None  # the policy lets no one off the roster set availability
    return caller


def status(*, session: Session, user_id: str, caller: Member | None, now: datetime) -> Availability:
    """Where a champion stands now; for a lead or admin who may claim, only what they hold."""
    if may(caller, Act.TAKE_REQUESTS) and not may(caller, Act.SET_AVAILABILITY):
        require_own(caller, Act.TAKE_REQUESTS, user_id=user_id)
        assert caller is not None  # the policy lets no one off the roster take requests
        load = requests.workload(session=session, champion_id=user_id)
        return Availability(caller, False, load, routed=False)
    member = _champion(caller, user_id)
    return Availability(
        member,
        requests.is_available(member, now),
        requests.workload(session=session, champion_id=user_id),
    )


def set_on(
    *, session: Session, user_id: str, caller: Member | None, on: bool, now: datetime
) -> Availability:
    """On duty (and back from away) or off duty."""
    member = _champion(caller, user_id)
    member.on_duty, member.away_until = on, None
    record(
        session=session,
        actor_id=user_id,
        action="availability." + ("on" if on else "off"),
        subject_type="member",
        subject_id=user_id,
    )
    return status(session=session, user_id=user_id, caller=caller, now=now)


def set_duty(
    *,
    session: Session,
    settings: Settings,
    user_id: str,
    caller: Member | None,
    on: bool,
    now: datetime,
) -> Availability:
    """On or off duty, from `/champion` or App Home; a champion coming on duty is offered the
    requests that were waiting for someone free, and one going off duty has their offers moved
    on to the next champion at once."""
    set_on(session=session, user_id=user_id, caller=caller, on=on, now=now)
    if on:
        requests.route_waiting(session=session, settings=settings, now=now)
    else:
        requests.move_offers_on(session=session, settings=settings, champion_id=user_id, now=now)
    return status(session=session, user_id=user_id, caller=caller, now=now)


def set_away(
    *,
    session: Session,
    settings: Settings,
    user_id: str,
    caller: Member | None,
    until: datetime,
    now: datetime,
) -> Availability:
    """Away until a time; it ends by itself. Offers awaiting the champion move on at once."""
    if until <= now:
        raise AwayInPast()
    if until - now > MAX_AWAY:
        raise AwayTooLong()
    member = _champion(caller, user_id)
    member.away_until = until
    record(
        session=session,
        actor_id=user_id,
        action="availability.away",
        subject_type="member",
        subject_id=user_id,
        detail=until.isoformat(timespec="minutes"),
    )
    requests.move_offers_on(session=session, settings=settings, champion_id=user_id, now=now)
    return status(session=session, user_id=user_id, caller=caller, now=now)


def set_profile(
    *,
    session: Session,
    user_id: str,
    caller: Member | None,
    area: str | None = None,
    skills: list[str] | None = None,
) -> Member:
    """A champion's own area or skills, used to match requests."""
    member = _champion(caller, user_id)
    if area is not None:
        if len(area) > MAX_AREA:
            raise AreaTooLong(MAX_AREA)
        member.area = area.strip() or None
    if skills is not None:
        joined = ",".join(s.strip().lower() for s in skills if s.strip())
        if len(joined) > 400:
            raise TooManySkills()
        member.skills = joined
    record(
        session=session,
        actor_id=user_id,
        action="availability.profile",
        subject_type="member",
        subject_id=user_id,
    )
    return member


def _parser(zone: ZoneInfo, now: datetime) -> DateDataParser:
    # imported on the first natural time, not at start (0.06 s of CPU: its first parse takes
    # longer still, loading its English data)
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            # "until friday" on a Saturday is next Friday; "until 3pm" at 4pm is tomorrow
            "PREFER_DATES_FROM": "future",
            # relative phrases count from now in the champion's own zone
            "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
            "TIMEZONE": str(zone),
            "RETURN_AS_TIMEZONE_AWARE": True,
            # says whether a time of day was given ("time") or only a day, week or month
            "RETURN_TIME_AS_PERIOD": True,
            # the networks are British forces: 01/02 is the first of February
            "DATE_ORDER": "DMY",
        },
    )


def parse_until(text: str, *, now: datetime, tz: str = DEFAULT_ZONE) -> datetime:
    """When an away time ends, from what a champion typed after `/champion away`, read in
    their own time zone: `until friday 17:00`, `until 3pm`, `until tomorrow`, `until
    2026-12-24`, `for 2 days`, `for 3h`. A day without a time means the start of that day;
    `for …` counts from now. Raises ServiceError, with examples, for anything else."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_ZONE)
    words = text.strip().split(maxsplit=1)
    first = words[0].lower() if words else ""
    rest = words[1] if len(words) > 1 else ""
    duration = first == "for"
    phrase = rest if first in ("until", "till", "til", "for") else text.strip()
    if not phrase:
        raise AwayTimeNotUnderstood("")
    # a bare length of time ("2 days", "3h") is read as that long from now
    parsed = _parser(zone, now).get_date_data(phrase)
    at = parsed.date_obj
    if at is None:
        raise AwayTimeNotUnderstood(phrase)
    if parsed.period != "time" and not duration:
        at = datetime.combine(at.date(), time(0, 0), tzinfo=zone)
    elif at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(UTC)
