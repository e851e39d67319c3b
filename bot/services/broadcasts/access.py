"""Who may broadcast, and what there is: broadcasts, their links, acknowledgements and lists."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.broadcasts import Link, Listed
from bot.domain.errors import BroadcastCancelled, BroadcastGone, NoNetworkChannel, NotLead
from bot.models import (
    Acknowledgement,
    Broadcast,
    BroadcastStatus,
    Member,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from bot.services import audit, policy, refs, roster, rows_changed

LEADS = policy.MAY[policy.Act.BROADCAST]
RECENT = timedelta(days=14)


def leads(session: Session) -> list[str]:
    """Everyone who may broadcast: leads first, then admins."""
    members = session.scalars(
        select(Member).where(Member.role.in_([Role.LEAD, Role.ADMIN])).order_by(Member.id)
    )
    ordered = sorted(members, key=lambda m: (m.role is not Role.LEAD, m.id))
    return [m.slack_user_id for m in ordered]


def not_lead(session: Session) -> NotLead:
    """The refusal for someone who may not broadcast: it names who can."""
    return NotLead(tuple(leads(session)))


def check_may_broadcast(
    *, session: Session, settings: Settings, caller: Member | None, act: policy.Act | None = None
) -> None:
    """Raise, saying who can, unless the caller is a lead or an admin and broadcasts can go."""
    if not policy.may(caller, act or policy.Act.BROADCAST):
        raise not_lead(session)
    if not settings.network_channel:
        raise NoNetworkChannel()


def champions(session: Session) -> list[str]:
    """Everyone asked to acknowledge: the roster's champions."""
    return roster.champions(session=session)


def ack_times(session: Session, broadcast_id: int) -> dict[str, datetime]:
    """When each person acknowledged the broadcast."""
    return {
        uid: at
        for uid, at in session.execute(
            select(Acknowledgement.user_id, Acknowledgement.at).where(
                Acknowledgement.broadcast_id == broadcast_id
            )
        )
    }


def counts(session: Session, broadcast_id: int) -> tuple[int, int]:
    """(champions who have acknowledged, champions) for a broadcast."""
    total = session.scalar(
        select(func.count()).select_from(Member).where(Member.role == Role.CHAMPION)
    )
    acked = session.scalar(
        select(func.count())
        .select_from(Acknowledgement)
        .join(Member, Member.slack_user_id == Acknowledgement.user_id)
        .where(Acknowledgement.broadcast_id == broadcast_id, Member.role == Role.CHAMPION)
    )
    return int(acked or 0), int(total or 0)


def links_of(b: Broadcast) -> list[Link]:
    """The broadcast's links."""
    return [Link(url, label) for url, label in json.loads(b.links or "[]")]


def is_out(b: Broadcast, now: datetime) -> bool:
    """Whether the broadcast has been sent, or is due and being sent."""
    if b.status is BroadcastStatus.SENT:
        return True
    return b.status is BroadcastStatus.SCHEDULED and (b.send_at is None or b.send_at <= now)


def get(*, session: Session, broadcast_id: int, lock: bool = False) -> Broadcast:
    """A broadcast (not a draft), or BroadcastGone."""
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    b = session.scalar(query.with_for_update() if lock else query)
    if b is None or b.status is BroadcastStatus.DRAFT or b.edit_of is not None:
        raise BroadcastGone()
    return b


def editable(
    *, session: Session, settings: Settings, broadcast_id: int, caller: Member | None
) -> Broadcast:
    """A broadcast a lead may open the form on."""
    check_may_broadcast(session=session, settings=settings, caller=caller)
    b = get(session=session, broadcast_id=broadcast_id)
    if b.status is BroadcastStatus.CANCELLED:
        raise BroadcastCancelled(b.title)
    return b


def mark_due(*, session: Session, now: datetime) -> None:
    """Scheduled broadcasts whose time has come are sent (the outbox is sending their posts).
    Each is marked by one conditional update, so whoever wins writes its one audit row."""
    due = session.scalars(
        select(Broadcast.id).where(
            Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now
        )
    ).all()
    for broadcast_id in due:
        won = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SCHEDULED)
            .values(status=BroadcastStatus.SENT, sent_at=Broadcast.send_at)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(won) == 1:
            audit.by_clock(
                session=session,
                action="broadcast.due",
                subject_type="broadcast",
                subject_id=broadcast_id,
                at=now,
            )


def listing(*, session: Session, now: datetime) -> tuple[list[Listed], list[Listed]]:
    """Scheduled broadcasts, soonest first, and those sent in the last two weeks, newest first."""
    mark_due(session=session, now=now)
    live = list(
        session.scalars(
            select(Broadcast)
            .where(
                Broadcast.edit_of.is_(None),
                or_(
                    Broadcast.status == BroadcastStatus.SCHEDULED,
                    (Broadcast.status == BroadcastStatus.SENT)
                    & (Broadcast.sent_at >= now - RECENT),
                ),
            )
            .order_by(Broadcast.id)
        )
    )
    total = len(champions(session))
    acked: dict[int, int] = {
        broadcast_id: int(n)
        for broadcast_id, n in session.execute(
            select(Acknowledgement.broadcast_id, func.count())
            .join(Member, Member.slack_user_id == Acknowledgement.user_id)
            .where(
                Member.role == Role.CHAMPION,
                Acknowledgement.broadcast_id.in_([b.id for b in live]),
            )
            .group_by(Acknowledgement.broadcast_id)
        )
    }
    scheduled = [
        Listed(b, 0, total)
        for b in sorted(live, key=lambda b: b.send_at or now)
        if b.status is BroadcastStatus.SCHEDULED
    ]
    sent = [b for b in live if b.status is BroadcastStatus.SENT]
    posts = _posts(session, sent)
    recent = [
        Listed(
            b,
            acked.get(b.id, 0),
            total,
            posted_at=posts.get(b.id, (None, None))[1],
            post_failed=posts.get(b.id, (None, None))[0] is OutboxStatus.FAILED,
        )
        for b in sorted(sent, key=lambda b: b.sent_at or b.created_at, reverse=True)
    ]
    return scheduled, recent[:10]


def _posts(
    session: Session, sent: list[Broadcast]
) -> dict[int, tuple[OutboxStatus, datetime | None]]:
    """Where each broadcast's post in the channel stands in the outbox: a broadcast is out only
    once Slack has accepted its post, not when its time has come."""
    by_ref = {refs.broadcast_post(b.id, b.revision): b.id for b in sent}
    if not by_ref:
        return {}
    rows = session.execute(
        select(OutboxMessage.ref, OutboxMessage.status, OutboxMessage.sent_at).where(
            OutboxMessage.ref.in_(list(by_ref))
        )
    )
    return {
        by_ref[refs.Ref(str(ref))]: (status, sent_at if status is OutboxStatus.SENT else None)
        for ref, status, sent_at in rows
    }
