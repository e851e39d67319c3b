"""Acknowledgements and reminders, and the clock's sweep of broadcasts.

A champion's *Acknowledge*, who has not, a lead's reminder and the bot's own reminder, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.broadcasts import AckResult, Pending
from bot.domain.errors import (
    DidNotAskForAcks,
    NotAskingForAcks,
    NotWaitingForAcks,
    OnlyChampionsAcknowledge,
)
from bot.models import Acknowledgement, Broadcast, BroadcastReminder, BroadcastStatus, Member
from bot.notify import broadcasts as notify
from bot.notify.broadcasts import AUTO_REMINDER, LEAD_REMINDER
from bot.services import audit, policy, rows_changed
from bot.services.audit import record
from bot.services.broadcasts.access import (
    ack_times,
    champions,
    check_may_broadcast,
    counts,
    get,
    is_out,
    links_of,
    mark_due,
)
from bot.services.broadcasts.sending import refresh

KEEP_DRAFTS = timedelta(days=1)
# The bot's own reminder skips anyone a lead reminded this recently: one nudge is enough.
QUIET_AFTER_LEAD_REMINDER = timedelta(hours=24)
SYSTEM = "system"


def acknowledge(
    *,
    session: Session,
    settings: Settings,
    broadcast_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime,
) -> AckResult:
    """A champion's *Acknowledge*: recorded once, and the count on the post updated."""
    # The lock makes acknowledgements of one broadcast take turns (PostgreSQL; SQLite has one
    # writer anyway), so each count written to the post includes every one before it.
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if not b.ask_ack or not is_out(b, now):
        raise NotAskingForAcks()
    policy.require(caller, policy.Act.ACKNOWLEDGE, refusal=OnlyChampionsAcknowledge())
    existing = session.scalar(
        select(Acknowledgement.at).where(
            Acknowledgement.broadcast_id == b.id, Acknowledgement.user_id == user_id
        )
    )
    if existing is None:
        try:
            with session.begin_nested():  # two clicks at once: the unique constraint decides
                session.add(Acknowledgement(broadcast_id=b.id, user_id=user_id, at=now))
        except IntegrityError:
            existing = session.scalar(
                select(Acknowledgement.at).where(
                    Acknowledgement.broadcast_id == b.id, Acknowledgement.user_id == user_id
                )
            )
    acked, total = counts(session, b.id)
    if existing is not None:
        return AckResult(False, existing, acked, total)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.acknowledge",
        subject_type="broadcast",
        subject_id=b.id,
        at=now,
    )
    refresh(session, b, only=user_id)
    return AckResult(True, now, acked, total)


def _reminded_by_lead(session: Session, broadcast_id: int) -> dict[str, datetime]:
    return {
        uid: at
        for uid, at in session.execute(
            select(BroadcastReminder.user_id, BroadcastReminder.at).where(
                BroadcastReminder.broadcast_id == broadcast_id,
                BroadcastReminder.kind == LEAD_REMINDER,
            )
        )
    }


def _missing(session: Session, b: Broadcast) -> list[str]:
    acks = ack_times(session, b.id)
    return [uid for uid in champions(session) if uid not in acks]


def not_acknowledged(
    *, session: Session, settings: Settings, broadcast_id: int, caller: Member | None
) -> Pending:
    """For a lead: the champions who have not acknowledged, and who a lead has reminded."""
    check_may_broadcast(session=session, settings=settings, caller=caller)
    b = get(session=session, broadcast_id=broadcast_id)
    if not b.ask_ack:
        raise DidNotAskForAcks(b.title)
    reminded = _reminded_by_lead(session, b.id)
    acked, total = counts(session, b.id)
    missing = [(uid, reminded.get(uid)) for uid in _missing(session, b)]
    return Pending(b, missing, acked, total)


def _remind(session: Session, b: Broadcast, *, kind: str, by: str | None, now: datetime) -> int:
    links = links_of(b)
    lead_reminded = _reminded_by_lead(session, b.id)
    sent = 0
    for uid in _missing(session, b):
        if kind == LEAD_REMINDER and uid in lead_reminded:
            continue
        last = lead_reminded.get(uid)
        if kind == AUTO_REMINDER and last is not None and last > now - QUIET_AFTER_LEAD_REMINDER:
            continue
        try:
            with session.begin_nested():  # one reminder of each kind per champion, ever
                session.add(
                    BroadcastReminder(
                        broadcast_id=b.id, user_id=uid, kind=kind, by=by or SYSTEM, at=now
                    )
                )
        except IntegrityError:
            continue
        notify.reminder(session=session, b=b, links=links, user_id=uid, kind=kind, by=by)
        sent += 1
    return sent


def remind(
    *,
    session: Session,
    settings: Settings,
    broadcast_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime,
) -> int:
    """A lead reminds each champion who has not acknowledged: one DM each, once."""
    check_may_broadcast(session=session, settings=settings, caller=caller)
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if not b.ask_ack or not is_out(b, now):
        raise NotWaitingForAcks(b.title)
    sent = _remind(session, b, kind=LEAD_REMINDER, by=user_id, now=now)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.remind",
        subject_type="broadcast",
        subject_id=b.id,
        detail=f"{sent} champions",
        at=now,
    )
    return sent


def sweep(*, session: Session, settings: Settings, now: datetime) -> int:
    """Mark scheduled broadcasts whose time has come as sent, send the bot's own reminders
    that are due, and forget old drafts. Returns the number of reminders sent.

    The outbox sends the scheduled messages themselves; each reminder round is claimed by one
    conditional update, so two clocks send it once.
    """
    mark_due(session=session, now=now)
    cutoff = now - timedelta(hours=settings.ack_reminder_hours)
    due = list(
        session.scalars(
            select(Broadcast.id)
            .where(
                Broadcast.status == BroadcastStatus.SENT,
                Broadcast.ask_ack.is_(True),
                Broadcast.reminded_at.is_(None),
                Broadcast.sent_at <= cutoff,
            )
            .order_by(Broadcast.id)
        )
    )
    reminded = 0
    for broadcast_id in due:
        won = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(won) != 1:
            continue
        b = get(session=session, broadcast_id=broadcast_id)
        session.refresh(b)
        sent = _remind(session, b, kind=AUTO_REMINDER, by=None, now=now)
        record(
            session=session,
            actor_id=SYSTEM,
            action="broadcast.auto_remind",
            subject_type="broadcast",
            subject_id=b.id,
            detail=f"{sent} champions",
            at=now,
        )
        reminded += sent
    forgotten = session.execute(
        delete(Broadcast)
        .where(
            or_(Broadcast.status == BroadcastStatus.DRAFT, Broadcast.edit_of.is_not(None)),
            Broadcast.created_at < now - KEEP_DRAFTS,
        )
        .execution_options(synchronize_session=False)
    )
    if rows_changed(forgotten):
        audit.by_clock(
            session=session,
            action="broadcast.drafts_forgotten",
            subject_type="broadcast",
            subject_id="drafts",
            detail=f"{rows_changed(forgotten)} drafts older than a day",
            at=now,
        )
    return reminded
