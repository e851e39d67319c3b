"""Sending a broadcast: confirming a preview, editing it, cancelling it before it goes.

A scheduled broadcast is written to the outbox when the lead confirms it, due at its time, so a
restart loses nothing and the outbox's claims make two clocks send it once. Its rows' refs
carry the broadcast's `revision`, which goes up when the send time changes: the old rows are
withdrawn (only while no sender has claimed them) and new ones written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import (
    AlreadyCancelled,
    AlreadySent,
    BeingSent,
    BroadcastCancelled,
    PreviewExpired,
    TimePassed,
    WentOutWhileEditing,
)
from bot.models import Broadcast, BroadcastStatus, Member
from bot.notify import broadcasts as notify
from bot.services import policy, rows_changed
from bot.services.audit import record
from bot.services.broadcasts.access import (
    ack_times,
    champions,
    check_may_broadcast,
    counts,
    get,
    is_out,
    links_of,
)


def announce(session: Session, settings: Settings, b: Broadcast, *, new: bool = False) -> int:
    """Queue the post (and each champion's copy), due at the broadcast's time; the champions
    asked to acknowledge. A `new` broadcast (written in this transaction) has no
    acknowledgements yet, so none are looked for."""
    assert settings.network_channel
    everyone = champions(session)
    if new:
        acked, total, acks = 0, len(everyone), {}
    else:
        (acked, total), acks = counts(session, b.id), ack_times(session, b.id)
    notify.send(
        session=session,
        channel=settings.network_channel,
        b=b,
        links=links_of(b),
        acked=acked,
        total=total,
        champions=everyone if b.dm_champions else [],
        acks=acks,
    )
    return total


def refresh(session: Session, b: Broadcast, *, only: str | None = None) -> None:
    """Bring the post (and the copies: all of them, or only `only`'s) up to date."""
    acked, total = counts(session, b.id)
    notify.refresh(
        session=session,
        b=b,
        links=links_of(b),
        acked=acked,
        total=total,
        acks=ack_times(session, b.id),
        only=only,
    )


def _withdraw(session: Session, b: Broadcast) -> None:
    """Take back every queued message of the broadcast's current revision, or raise if any
    sender has already claimed one: then it is going out, and can only be edited."""
    if not notify.withdraw(session=session, b=b):
        # Raising rolls the whole transaction back, so nothing is half withdrawn.
        raise BeingSent(b.title)


def _tell_lead(
    session: Session, settings: Settings, b: Broadcast, user_id: str, *, edited: bool = False
) -> None:
    assert settings.network_channel
    notify.tell_lead(
        session=session, channel=settings.network_channel, b=b, user_id=user_id, edited=edited
    )


def confirm(
    *,
    session: Session,
    settings: Settings,
    draft_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime,
) -> Broadcast:
    """Send (or schedule) the previewed draft; a repeated confirmation changes nothing. Only the
    lead who wrote the draft may: its id comes from the preview's metadata, which a client can
    change, so a draft that is not the caller's is refused and nothing is done in its author's
    name."""
    check_may_broadcast(
        session=session, settings=settings, caller=caller, act=policy.Act.CONFIRM_BROADCAST
    )
    draft = session.scalar(select(Broadcast).where(Broadcast.id == draft_id).with_for_update())
    if draft is None:
        raise PreviewExpired()
    policy.require_author(caller, user_id=user_id, author_id=draft.author_id)
    if draft.edit_of is not None:
        return _confirm_edit(session, settings, draft, user_id, now)
    if draft.status is not BroadcastStatus.DRAFT:
        return draft
    scheduled = draft.send_at is not None and draft.send_at > now
    if draft.send_at is not None and not scheduled:
        raise TimePassed()
    status = BroadcastStatus.SCHEDULED if scheduled else BroadcastStatus.SENT
    won = session.execute(
        update(Broadcast)
        .where(Broadcast.id == draft.id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=status, sent_at=None if scheduled else now, created_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(draft)
    if rows_changed(won) != 1:
        return draft
    announce(session, settings, draft)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.schedule" if scheduled else "broadcast.send",
        subject_type="broadcast",
        subject_id=draft.id,
        detail=f"{draft.category.value}; ack={'yes' if draft.ask_ack else 'no'}; "
        f"dm={'yes' if draft.dm_champions else 'no'}"
        + (f"; at={draft.send_at.isoformat()}" if draft.send_at else ""),
        at=now,
    )
    _tell_lead(session, settings, draft, user_id)
    return draft


def _copy_wording(draft: Broadcast, original: Broadcast) -> None:
    for column in ("category", "title", "body", "links", "ask_ack", "session_at", "cpd_hours"):
        setattr(original, column, getattr(draft, column))


def _confirm_edit(
    session: Session, settings: Settings, draft: Broadcast, user_id: str, now: datetime
) -> Broadcast:
    assert draft.edit_of is not None
    original = get(session=session, broadcast_id=draft.edit_of, lock=True)
    if draft.status is not BroadcastStatus.DRAFT:
        return original  # this edit was already applied
    if original.status is BroadcastStatus.CANCELLED:
        raise BroadcastCancelled(original.title)
    changes = "wording"
    if is_out(original, now):
        if draft.edited_at is None and (
            draft.send_at != original.send_at or draft.dm_champions != original.dm_champions
        ):
            raise WentOutWhileEditing(original.title)
        _copy_wording(draft, original)
        original.edited_at = now
        refresh(session, original)
    else:
        if draft.send_at is not None and draft.send_at <= now:
            raise TimePassed()
        moved = draft.send_at != original.send_at or draft.dm_champions != original.dm_champions
        _copy_wording(draft, original)
        original.time_zone = draft.time_zone
        if moved:
            _withdraw(session, original)
            original.revision += 1
            original.send_at = draft.send_at
            original.dm_champions = draft.dm_champions
            if draft.send_at is None:
                original.status, original.sent_at = BroadcastStatus.SENT, now
            session.flush()
            announce(session, settings, original)
            changes = "time" if draft.send_at is not None else "sent now"
        else:
            session.flush()
            refresh(session, original)  # rewrites the queued rows in place
    draft.status = BroadcastStatus.CANCELLED  # the draft is used up
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.edit",
        subject_type="broadcast",
        subject_id=original.id,
        detail=changes,
        at=now,
    )
    _tell_lead(session, settings, original, user_id, edited=changes != "sent now")
    return original


def cancel(
    *,
    session: Session,
    settings: Settings,
    broadcast_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime,
) -> Broadcast:
    """Cancel a scheduled broadcast before it goes; nothing of it is ever posted."""
    check_may_broadcast(session=session, settings=settings, caller=caller)
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if b.status is BroadcastStatus.CANCELLED:
        raise AlreadyCancelled(b.title)
    if is_out(b, now):
        raise AlreadySent(b.title)
    _withdraw(session, b)
    b.status, b.cancelled_at = BroadcastStatus.CANCELLED, now
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.cancel",
        subject_type="broadcast",
        subject_id=b.id,
        at=now,
    )
    return b
