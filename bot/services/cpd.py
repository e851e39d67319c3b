"""Champions' CPD: activities they log, training sessions leads record for many at once,
*I attended* on a training broadcast, where each champion stands, and the reminder before
their CPD falls due.

Every activity is audited. A form's view id (or the broadcast) is each activity's key, so a
form sent twice, or *I attended* pressed twice, logs it once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import cpd as d
from bot.domain.broadcasts import DEFAULT_ZONE
from bot.domain.cpd import (
    ActivityForm,
    ActivityKind,
    ActivitySource,
    AttendResult,
    CpdRecord,
    CpdState,
    Logged,
    SessionRecorded,
    Standing,
)
from bot.domain.errors import InvalidActivity, NotATrainingSession, SessionNotYet
from bot.domain.figures import CpdFigures
from bot.models import BroadcastCategory, CpdActivity, CpdReminder, Member, Role, utcnow
from bot.notify import cpd as notify
from bot.services import policy, roster
from bot.services.audit import record as audit
from bot.services.broadcasts.access import get as get_broadcast
from bot.services.cpd_form import check_form


def today_of(now: datetime) -> date:
    """The day it is in the network's time zone (dates on a CPD record are local days)."""
    return now.astimezone(ZoneInfo(DEFAULT_ZONE)).date()


def _add_once(session: Session, row: CpdActivity) -> bool:
    """Add the activity unless one with its key is already there (a repeat): True if added."""
    if row.source_key is not None:
        existing = session.scalar(
            select(CpdActivity.id).where(
                CpdActivity.user_id == row.user_id, CpdActivity.source_key == row.source_key
            )
        )
        if existing is not None:
            return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same repeat, at the same moment, elsewhere
        return False
    audit(
        session=session,
        actor_id=row.recorded_by,
        action="cpd.log",
        subject_type="cpd_activity",
        subject_id=row.id,
        detail=f"for={row.user_id}; kind={row.kind.value}; source={row.source.value}; "
        f"on={row.held_on.isoformat()}; hours={row.hours:g}",
        at=row.created_at,
    )
    return True


def log(
    *,
    session: Session,
    user_id: str,
    caller: Member | None,
    form: ActivityForm,
    key: str | None,
    now: datetime | None = None,
) -> CpdActivity | None:
    """A champion logs one of their own activities; None when this form was already logged."""
    now = now or utcnow()
    policy.require_own(caller, policy.Act.KEEP_CPD, user_id=user_id)
    title, held_on, hours, provider, note = check_form(form, today=today_of(now))
    row = CpdActivity(
        user_id=user_id,
        kind=form.kind,
        title=title,
        held_on=held_on,
        hours=hours,
        provider=provider,
        note=note,
        source=ActivitySource.SELF,
        source_key=f"form:{key}" if key else None,
        recorded_by=user_id,
        created_at=now,
    )
    return row if _add_once(session, row) else None


def record_session(
    *,
    session: Session,
    settings: Settings,
    lead_id: str,
    caller: Member | None,
    form: ActivityForm,
    attendees: list[str],
    key: str | None,
    now: datetime | None = None,
) -> SessionRecorded:
    """A lead logs one training session for every champion picked; each is told by DM. A
    champion not on the roster refuses the whole form, and nothing is saved."""
    now = now or utcnow()
    policy.require_own(caller, policy.Act.RECORD_TRAINING, user_id=lead_id)
    errors: dict[str, str] = {}
    try:
        title, held_on, hours, provider, _ = check_form(form, today=today_of(now))
    except InvalidActivity as bad:
        errors.update(bad.errors)
    picked = list(dict.fromkeys(a for a in attendees if a))
    champions = set(roster.champions(session=session))
    strangers = [a for a in picked if a not in champions]
    if not picked:
        errors[d.ATTENDEES] = "Pick the champions who attended."
    elif strangers:
        errors[d.ATTENDEES] = (
            f"Only champions on the roster can be picked; not on it as a champion: "
            f"{', '.join(strangers[:5])}" + (" and others." if len(strangers) > 5 else ".")
        )
    elif len(picked) > d.MAX_ATTENDEES:
        errors[d.ATTENDEES] = f"Pick up to {d.MAX_ATTENDEES} champions at a time."
    if errors:
        raise InvalidActivity(errors)
    done = SessionRecorded(title=title, held_on=held_on, hours=hours)
    for champion in picked:
        row = CpdActivity(
            user_id=champion,
            kind=form.kind,
            title=title,
            held_on=held_on,
            hours=hours,
            provider=provider,
            source=ActivitySource.LEAD,
            source_key=f"session:{key}" if key else None,
            recorded_by=lead_id,
            created_at=now,
        )
        if _add_once(session, row):
            done.logged_for.append(champion)
            notify.session_logged(session=session, activity=row, by=lead_id)
        else:
            done.already.append(champion)
    return done


def attend(
    *,
    session: Session,
    broadcast_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime | None = None,
) -> AttendResult:
    """*I attended* on a training broadcast: the session is logged for the champion once it
    has started; before then, or pressed again, nothing more is logged."""
    now = now or utcnow()
    policy.require_own(caller, policy.Act.KEEP_CPD, user_id=user_id)
    b = get_broadcast(session=session, broadcast_id=broadcast_id)
    if b.category is not BroadcastCategory.TRAINING or b.session_at is None or not b.cpd_hours:
        raise NotATrainingSession()
    if now < b.session_at:
        raise SessionNotYet(b.title, b.session_at.isoformat())
    held_on = today_of(b.session_at)
    hours = float(b.cpd_hours)
    row = CpdActivity(
        user_id=user_id,
        kind=ActivityKind.CPD,
        title=b.title[:150],
        held_on=held_on,
        hours=hours,
        provider="",
        source=ActivitySource.BROADCAST,
        source_key=f"broadcast:{b.id}",
        broadcast_id=b.id,
        recorded_by=user_id,
        created_at=now,
    )
    added = _add_once(session, row)
    return AttendResult(
        logged=added, already=not added, title=b.title, held_on=held_on, hours=hours
    )


def _logged(session: Session, user_ids: list[str] | None = None) -> dict[str, list[Logged]]:
    query = select(
        CpdActivity.user_id,
        CpdActivity.held_on,
        CpdActivity.hours,
        CpdActivity.kind,
        CpdActivity.provider,
    )
    if user_ids is not None:
        query = query.where(CpdActivity.user_id.in_(user_ids))
    out: dict[str, list[Logged]] = defaultdict(list)
    for uid, held_on, hours, kind, provider in session.execute(query):
        out[uid].append(Logged(held_on, float(hours), ActivityKind(kind), provider or ""))
    return out


def standings(*, session: Session, settings: Settings, now: datetime) -> list[Standing]:
    """Where every champion on the roster stands today, those furthest behind first."""
    champions = roster.champions(session=session)
    logged = _logged(session, champions)
    today = today_of(now)
    order = {CpdState.NONE: 0, CpdState.BEHIND: 1, CpdState.DUE_SOON: 2, CpdState.MET: 3}
    found = [
        d.standing(
            uid,
            logged.get(uid, []),
            today=today,
            required=settings.cpd_hours_per_year,
            reminder_days=settings.cpd_reminder_days,
        )
        for uid in champions
    ]
    return sorted(found, key=lambda s: (order[s.state], s.hours_last_year, s.user_id))


def standings_for_lead(
    *, session: Session, settings: Settings, lead_id: str, caller: Member | None, now: datetime
) -> list[Standing]:
    """`standings`, for a lead to see (leads only); the viewing is audited."""
    policy.require_own(caller, policy.Act.RECORD_TRAINING, user_id=lead_id)
    found = standings(session=session, settings=settings, now=now)
    audit(
        session=session,
        actor_id=lead_id,
        action="cpd.view",
        subject_type="cpd_standings",
        subject_id=len(found),
        at=now,
    )
    return found


def figures(*, session: Session, settings: Settings, now: datetime) -> CpdFigures:
    """Champions' CPD compliance today."""
    found = standings(session=session, settings=settings, now=now)
    count = {state: sum(1 for s in found if s.state is state) for state in CpdState}
    return CpdFigures(
        required_hours=float(settings.cpd_hours_per_year),
        champions=len(found),
        met=count[CpdState.MET],
        due_soon=count[CpdState.DUE_SOON],
        behind=count[CpdState.BEHIND],
        none_recorded=count[CpdState.NONE],
    )


def record_of(
    *, session: Session, settings: Settings, user_id: str, caller: Member | None, now: datetime
) -> CpdRecord:
    """A champion's own CPD record: where they stand and every activity, newest first."""
    policy.require_own(caller, policy.Act.KEEP_CPD, user_id=user_id)
    rows = list(
        session.scalars(
            select(CpdActivity)
            .where(CpdActivity.user_id == user_id)
            .order_by(CpdActivity.held_on.desc(), CpdActivity.id.desc())
        )
    )
    logged = [Logged(r.held_on, float(r.hours), r.kind, r.provider or "") for r in rows]
    found = d.standing(
        user_id,
        logged,
        today=today_of(now),
        required=settings.cpd_hours_per_year,
        reminder_days=settings.cpd_reminder_days,
    )
    return CpdRecord(standing=found, activities=rows)


def due_reminders(*, session: Session, settings: Settings, now: datetime) -> list[str]:
    """Champions whose CPD falls due within the reminder period and who have not been reminded
    of that due date."""
    due = [
        s
        for s in standings(session=session, settings=settings, now=now)
        if s.state is CpdState.DUE_SOON and s.due_on
    ]
    if not due:
        return []
    sent = {
        (uid, on)
        for uid, on in session.execute(
            select(CpdReminder.user_id, CpdReminder.due_on).where(
                CpdReminder.user_id.in_([s.user_id for s in due])
            )
        )
    }
    return [s.user_id for s in due if (s.user_id, s.due_on) not in sent]


def remind(*, session: Session, settings: Settings, user_id: str, now: datetime) -> bool:
    """Remind one champion, by DM, that their CPD falls due soon: the reminder's row is the
    claim, so of two clocks one sends it. True if this call sent it."""
    member = roster.get(session=session, slack_user_id=user_id)
    if member is None or member.role is not Role.CHAMPION:
        return False
    found = record_of(
        session=session, settings=settings, user_id=user_id, caller=member, now=now
    ).standing
    if found.state is not CpdState.DUE_SOON or found.due_on is None:
        return False
    try:
        with session.begin_nested():
            session.add(CpdReminder(user_id=user_id, due_on=found.due_on, sent_at=now))
    except IntegrityError:
        return False
    audit(
        session=session,
        actor_id=roster.SYSTEM_ACTOR,
        action="cpd.remind",
        subject_type="member",
        subject_id=user_id,
        detail=f"due={found.due_on.isoformat()}",
        at=now,
    )
    notify.reminder(session=session, standing=found, settings=settings)
    return True


def purge_notes(session: Session, before: datetime) -> int:
    """Blank the free-text note of every activity logged before `before` (the retention
    registry's `purge(session, before)`); the activities themselves stay for the pilot's life."""
    done = session.execute(
        update(CpdActivity)
        .where(CpdActivity.note.is_not(None), CpdActivity.created_at < before)
        .values(note=None, note_purged_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def purge_expired_notes(*, session: Session, retention_days: int, now: datetime) -> int:
    """`purge_notes` for the notes logged more than `retention_days` before `now`."""
    return purge_notes(session, now - timedelta(days=retention_days))


def check_may_log(*, caller: Member | None) -> None:
    """Raise unless the caller keeps a CPD record (a champion)."""
    policy.require(caller, policy.Act.KEEP_CPD)


def check_may_record(*, caller: Member | None) -> None:
    """Raise unless the caller may record training sessions for champions (a lead)."""
    policy.require(caller, policy.Act.RECORD_TRAINING)


def overview(
    *, session: Session, settings: Settings, user_id: str, caller: Member | None, now: datetime
) -> CpdRecord | list[Standing]:
    """`/champion cpd`: a champion's own record; for a lead, where every champion stands."""
    if policy.may(caller, policy.Act.RECORD_TRAINING):
        return standings_for_lead(
            session=session, settings=settings, lead_id=user_id, caller=caller, now=now
        )
    return record_of(session=session, settings=settings, user_id=user_id, caller=caller, now=now)
