"""A broadcast's messages, rendered and queued: the post, copies, confirmation, reminders.

The post and each champion's copy are queued due at the broadcast's time and brought up to
date as acknowledgements come in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.broadcasts import Link
from bot.models import Broadcast, BroadcastStatus
from bot.services import outbox, refs
from bot.services.refs import Ref
from bot.views import broadcasts as views
from bot.views.blocks import Reply

LEAD_REMINDER, AUTO_REMINDER = "lead", "auto"


def post_ref(b: Broadcast) -> Ref:
    """The outbox ref of the post in the network channel."""
    return refs.broadcast_post(b.id, b.revision)


def dm_ref(b: Broadcast, user_id: str) -> Ref:
    """The outbox ref of one champion's copy."""
    return refs.broadcast_dm(b.id, b.revision, user_id)


def reminder_ref(b: Broadcast, user_id: str, kind: str) -> Ref:
    """The outbox ref of one reminder (a lead's, or the bot's own)."""
    return refs.broadcast_reminder(b.id, user_id, kind)


def _post(
    session: Session,
    channel: str,
    reply: Reply,
    *,
    ref: Ref | None = None,
    due_at: datetime | None = None,
) -> None:
    outbox.post(
        session=session,
        channel=channel,
        text=reply.text,
        blocks=reply.blocks,
        ref=ref,
        due_at=due_at,
    )


def _edit(session: Session, ref: Ref, reply: Reply) -> None:
    outbox.update(session=session, target_ref=ref, text=reply.text, blocks=reply.blocks)


def send(
    *,
    session: Session,
    channel: str,
    b: Broadcast,
    links: Sequence[Link],
    acked: int,
    total: int,
    champions: Sequence[str],
    acks: Mapping[str, datetime],
) -> None:
    """Queue the post (and each champion's copy), due at the broadcast's time."""
    due = b.send_at if b.status is BroadcastStatus.SCHEDULED else None
    message = views.broadcast_message(b, links, acked=acked, total=total)
    _post(session, channel, message, ref=post_ref(b), due_at=due)
    if b.dm_champions and champions:
        copies = [
            (uid, views.broadcast_dm(b, links, acknowledged_at=acks.get(uid))) for uid in champions
        ]
        outbox.post_many(
            session=session,
            posts=[(uid, c.text, c.blocks, dm_ref(b, uid)) for uid, c in copies],
            due_at=due,
        )


def refresh(
    *,
    session: Session,
    b: Broadcast,
    links: Sequence[Link],
    acked: int,
    total: int,
    acks: Mapping[str, datetime],
    only: str | None = None,
) -> None:
    """Bring the post (and the copies: all of them, or only `only`'s) up to date."""
    _edit(session, post_ref(b), views.broadcast_message(b, links, acked=acked, total=total))
    if only is not None:
        mine = [dm_ref(b, only)] if b.dm_champions else []
        mine += [reminder_ref(b, only, kind) for kind in (LEAD_REMINDER, AUTO_REMINDER)]
        for ref in mine:
            if outbox.exists(session=session, ref=ref):
                _edit(session, ref, views.broadcast_dm(b, links, acknowledged_at=acks.get(only)))
        return
    if not b.dm_champions:
        return
    prefix = refs.broadcast_dm_prefix(b.id, b.revision)
    for copy_ref in outbox.live_refs(session=session, prefix=prefix):
        uid = copy_ref.removeprefix(prefix)
        _edit(session, copy_ref, views.broadcast_dm(b, links, acknowledged_at=acks.get(uid)))


def withdraw(*, session: Session, b: Broadcast) -> bool:
    """Cancel every queued message of the broadcast's current revision; False if any of them
    is already sent or being sent (then it is going out, and can only be edited)."""
    return outbox.withdraw(session=session, prefix=refs.broadcast_prefix(b.id, b.revision))


def tell_lead(
    *, session: Session, channel: str, b: Broadcast, user_id: str, edited: bool = False
) -> None:
    """The lead's DM once a broadcast is sent, scheduled or changed."""
    _post(session, user_id, views.lead_confirmation(b, network_channel=channel, edited=edited))


def reminder(
    *,
    session: Session,
    b: Broadcast,
    links: Sequence[Link],
    user_id: str,
    kind: str,
    by: str | None,
) -> None:
    """One reminder to acknowledge, to one champion."""
    reply = views.reminder_dm(b, links, by=by)
    _post(session, user_id, reply, ref=reminder_ref(b, user_id, kind))
