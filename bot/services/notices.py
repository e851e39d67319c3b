"""Who hears what when a request changes: rendered by the views, written to the outbox.

Every function here runs inside the transaction of the change it announces, so the change and
its messages commit (or fail) together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Member, Offer, Request, RequestStatus, Role, utcnow
from bot.services import outbox
from bot.views import requests as views
from bot.views.blocks import Reply


def _post(session: Session, channel: str, reply: Reply, ref: str | None = None) -> None:
    outbox.post(session=session, channel=channel, text=reply.text, blocks=reply.blocks, ref=ref)


def _update(session: Session, ref: str, reply: Reply) -> None:
    outbox.update(session=session, target_ref=ref, text=reply.text, blocks=reply.blocks)


def _into(session: Session, target_ref: str, reply: Reply, *, thread: bool = False) -> None:
    """Post into the conversation that the message `target_ref` was sent to."""
    outbox.enqueue(
        session=session,
        method="chat.postMessage",
        payload={"text": reply.text, "blocks": reply.blocks, "in_thread": thread},
        target_ref=target_ref,
    )


def consult_ref(req: Request) -> str:
    """The outbox ref of the consult opened for a request's current claim."""
    return f"consult:{req.id}:{req.claims}"


def _open_consult(session: Session, req: Request) -> None:
    """A group DM of the bot, the champion who has the request and the officer."""
    intro = views.consult_intro(req)
    outbox.open_conversation(
        session=session,
        users=[str(req.champion_id), req.asker_id],
        text=intro.text,
        blocks=intro.blocks,
        ref=consult_ref(req),
    )


def leads(session: Session) -> list[str]:
    """Everyone who hears about escalations."""
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.role == Role.LEAD)
            .order_by(Member.slack_user_id)
        )
    )


def queue_card(
    *, session: Session, settings: Settings, req: Request, now: datetime | None = None
) -> None:
    """Post or refresh the request's card in the queue channel."""
    if not settings.queue_channel:
        return
    card = views.queue_card(req, now=now or utcnow())
    ref = f"queue:{req.id}"
    if outbox.update(session=session, target_ref=ref, text=card.text, blocks=card.blocks) is None:
        _post(session, settings.queue_channel, card, ref)


def offer(*, session: Session, settings: Settings, req: Request, offer: Offer) -> None:
    _post(
        session,
        offer.champion_id,
        views.offer_message(req, offer, offer_timeout=settings.offer_timeout),
        f"offer:{offer.id}",
    )


def offer_closed(*, session: Session, settings: Settings, req: Request, offer: Offer) -> None:
    _update(
        session,
        f"offer:{offer.id}",
        views.offer_message(req, offer, offer_timeout=settings.offer_timeout),
    )


def officer_routed(
    *, session: Session, settings: Settings, req: Request, offered_to: str | None
) -> None:
    _post(
        session,
        req.asker_id,
        views.officer_routed(
            req,
            offered_to=offered_to,
            offer_timeout=settings.offer_timeout,
            claim_sla=settings.claim_sla,
        ),
        f"officer:{req.id}",
    )


def nobody_available(*, session: Session, settings: Settings, req: Request) -> None:
    alert = views.lead_alert(req, reason="No champion is available to take this request.")
    for lead in leads(session):
        _post(session, lead, alert)


def claimed(*, session: Session, settings: Settings, req: Request, offers: list[Offer]) -> None:
    queue_card(session=session, settings=settings, req=req)
    for o in offers:
        offer_closed(session=session, settings=settings, req=req, offer=o)
    _post(
        session,
        req.asker_id,
        views.plain(
            f"<@{req.champion_id}> has taken your request *#{req.id}*. I've started a conversation "
            "with you both: look for it in your direct messages."
        ),
    )
    _open_consult(session, req)


def resolved(*, session: Session, settings: Settings, req: Request) -> None:
    queue_card(session=session, settings=settings, req=req)
    _update(session, consult_ref(req), views.consult_intro(req, open_=False))
    _post(session, req.asker_id, views.helped_question(req), f"helped:{req.id}")


def released(*, session: Session, settings: Settings, req: Request, previous: str) -> None:
    queue_card(session=session, settings=settings, req=req)
    _update(session, f"consult:{req.id}:{req.claims}", views.consult_intro(req, open_=False))
    _post(
        session,
        req.asker_id,
        views.plain(
            f"<@{previous}> has had to release request *#{req.id}*. It is back in the queue and "
            "I'm finding another champion."
        ),
    )


def reassigned(*, session: Session, settings: Settings, req: Request, previous: str) -> None:
    old_ref = f"consult:{req.id}:{req.claims - 1}"
    outbox.update(
        session=session,
        target_ref=old_ref,
        text=f"Request #{req.id} was handed to another champion.",
        blocks=views.plain(f"Request *#{req.id}* has been handed to <@{req.champion_id}>.").blocks,
    )
    queue_card(session=session, settings=settings, req=req)
    _post(
        session,
        req.asker_id,
        views.plain(
            f"<@{previous}> has handed request *#{req.id}* to <@{req.champion_id}>, who will "
            "continue with you in a new conversation."
        ),
    )
    _post(
        session,
        str(req.champion_id),
        views.plain(f"<@{previous}> has handed you request *#{req.id}*."),
    )
    _open_consult(session, req)


def cancelled(
    *, session: Session, settings: Settings, req: Request, offers: list[Offer], by: str
) -> None:
    queue_card(session=session, settings=settings, req=req)
    for o in offers:
        offer_closed(session=session, settings=settings, req=req, offer=o)
    if req.champion_id:
        _update(session, consult_ref(req), views.consult_intro(req, open_=False))
    if by != req.asker_id:
        _post(
            session,
            req.asker_id,
            views.plain(f"<@{by}>, a lead, has cancelled request *#{req.id}*."),
        )
    else:
        _post(session, req.asker_id, views.plain(f"Request *#{req.id}* is cancelled."))


def detail_added(*, session: Session, settings: Settings, req: Request, detail: str) -> None:
    from bot.views.text import escape, truncate

    reply = views.plain(
        f"<@{req.asker_id}> added detail to request *#{req.id}*:\n> "
        + escape(truncate(detail, 2500)).replace("\n", "\n> ")
    )
    if req.status is RequestStatus.CLAIMED:
        _into(session, consult_ref(req), reply)
    elif settings.queue_channel:
        _into(session, f"queue:{req.id}", reply, thread=True)
        queue_card(session=session, settings=settings, req=req)


def sla_warning(*, session: Session, settings: Settings, req: Request, offer: Offer) -> None:
    _post(
        session,
        offer.champion_id,
        views.plain(
            f":hourglass_flowing_sand: Request *#{req.id}* is still waiting for a champion and "
            "escalates to the leads soon. Please *Accept* or *Pass* on the offer above."
        ),
    )


def escalated(*, session: Session, settings: Settings, req: Request) -> None:
    queue_card(session=session, settings=settings, req=req)
    alert = views.lead_alert(req, reason="This request is overdue: nobody has claimed it.")
    for lead in leads(session):
        _post(session, lead, alert)


def back_on_duty(*, session: Session, member: Member) -> None:
    _post(
        session,
        member.slack_user_id,
        views.plain(
            "Welcome back: your away time has ended and you are on duty for requests again. "
            "`/champion off` if you are not."
        ),
    )
