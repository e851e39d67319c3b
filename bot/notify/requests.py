"""Who hears what when a request changes: rendered by the views, written to the outbox.

Every function here runs inside the transaction of the change it announces, so the change and
its messages commit (or fail) together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Member, Offer, Request, RequestStatus, utcnow
from bot.services import outbox, refs, roster
from bot.services.refs import Quote, Ref
from bot.views import notices as words
from bot.views import requests as views
from bot.views.blocks import Reply


def post(
    session: Session,
    channel: str,
    reply: Reply,
    ref: Ref | None = None,
    *,
    quotes: Quote | None = None,
) -> None:
    """Queue `reply` to a channel, or to a person's DM with the bot given a user ID; `quotes`
    when it copies typed text (retention purges and redacts it with that text)."""
    outbox.post(
        session=session,
        channel=channel,
        text=reply.text,
        blocks=reply.blocks,
        ref=ref,
        quotes=quotes,
    )


def _update(session: Session, ref: Ref, reply: Reply) -> None:
    outbox.update(session=session, target_ref=ref, text=reply.text, blocks=reply.blocks)


def _into(
    session: Session, req: Request, target_ref: Ref, reply: Reply, *, thread: bool = False
) -> None:
    """Post into the conversation that the message `target_ref` was sent to (it quotes what
    the officer or champion typed: added detail, the outcome)."""
    outbox.enqueue(
        session=session,
        method="chat.postMessage",
        payload={"text": reply.text, "blocks": reply.blocks, "in_thread": thread},
        target_ref=target_ref,
        quotes=refs.quoting_request(req.id),
    )


def consult_ref(req: Request) -> Ref:
    """The outbox ref of the consult opened for a request's current claim."""
    return refs.consult(req.id, req.claims)


def _open_consult(session: Session, req: Request) -> None:
    """A group DM of the bot, the champion who has the request and the officer."""
    intro = views.consult_intro(req)
    outbox.open_conversation(
        session=session,
        users=[str(req.champion_id), req.asker_id],
        text=intro.text,
        blocks=intro.blocks,
        ref=consult_ref(req),
        quotes=refs.quoting_request(req.id),
    )


def _close_consult(session: Session, req: Request) -> None:
    _update(session, consult_ref(req), views.consult_intro(req, open_=False))


def _tell_leads(session: Session, req: Request, reason: str) -> None:
    alert = views.lead_alert(req, reason=reason)
    for lead in roster.leads(session=session):
        post(session, lead, alert, quotes=refs.quoting_request(req.id))


def queue_card(
    *, session: Session, settings: Settings, req: Request, now: datetime | None = None
) -> None:
    """Post or refresh the request's card in the queue channel."""
    if not settings.queue_channel:
        return
    card = views.queue_card(req, now=now or utcnow())
    ref = refs.queue_card(req.id)
    if outbox.update(session=session, target_ref=ref, text=card.text, blocks=card.blocks) is None:
        post(session, settings.queue_channel, card, ref, quotes=refs.quoting_request(req.id))


def offer(*, session: Session, settings: Settings, req: Request, offer: Offer) -> None:
    """The DM offering the request to one champion."""
    reply = views.offer_message(req, offer, offer_timeout=settings.offer_timeout)
    post(
        session, offer.champion_id, reply, refs.offer(offer.id), quotes=refs.quoting_request(req.id)
    )


def offer_closed(
    *, session: Session, settings: Settings, req: Request, offer: Offer, handed_on: bool = False
) -> None:
    """The offer, answered (or withdrawn): its buttons give way to what happened.
    `handed_on`: withdrawn because the champion went off duty or away."""
    reply = views.offer_message(
        req, offer, offer_timeout=settings.offer_timeout, handed_on=handed_on
    )
    _update(session, refs.offer(offer.id), reply)


def nobody_left(*, session: Session, req: Request, previous: str) -> None:
    """The officer hears that the champion offered their request is gone and nobody is free."""
    post(session, req.asker_id, words.nobody_left(req, previous=previous))


def officer_routed(
    *, session: Session, settings: Settings, req: Request, offered_to: str | None
) -> None:
    """What the officer hears straight after asking."""
    reply = views.officer_routed(
        req,
        offered_to=offered_to,
        offer_timeout=settings.offer_timeout,
        claim_sla=settings.sla_for(immediate_risk=req.immediate_risk),
    )
    post(session, req.asker_id, reply, refs.officer_routed(req.id))


def nobody_available(*, session: Session, settings: Settings, req: Request) -> None:
    """Every lead hears that no champion could be offered the request."""
    _tell_leads(session, req, words.NOBODY_AVAILABLE)


def claimed(*, session: Session, settings: Settings, req: Request, offers: list[Offer]) -> None:
    """Every copy of the request says who has it; the officer and champion get a consult."""
    queue_card(session=session, settings=settings, req=req)
    for o in offers:
        offer_closed(session=session, settings=settings, req=req, offer=o)
    post(session, req.asker_id, words.taken(req))
    _open_consult(session, req)


def resolved(*, session: Session, settings: Settings, req: Request) -> None:
    """The consult closes with the champion's outcome in it for the officer, who is asked
    whether the advice helped."""
    queue_card(session=session, settings=settings, req=req)
    _close_consult(session, req)
    _into(session, req, consult_ref(req), views.resolution(req))
    post(session, req.asker_id, views.helped_question(req), refs.helped(req.id))


def released(*, session: Session, settings: Settings, req: Request, previous: str) -> None:
    """Back in the queue: the consult closes and the officer is told."""
    queue_card(session=session, settings=settings, req=req)
    _close_consult(session, req)
    post(session, req.asker_id, words.released(req, previous=previous))


def reassigned(*, session: Session, settings: Settings, req: Request, previous: str) -> None:
    """The old consult says who has it now; the new champion and the officer get a new one."""
    _update(session, refs.consult(req.id, req.claims - 1), words.handed_on_consult(req))
    queue_card(session=session, settings=settings, req=req)
    post(session, req.asker_id, words.handed_on_officer(req, previous=previous))
    post(session, str(req.champion_id), words.handed_to_you(req, previous=previous))
    _open_consult(session, req)


def cancelled(
    *, session: Session, settings: Settings, req: Request, offers: list[Offer], by: str
) -> None:
    """Every copy of the request says it is cancelled."""
    queue_card(session=session, settings=settings, req=req)
    for o in offers:
        offer_closed(session=session, settings=settings, req=req, offer=o)
    if req.champion_id:
        _close_consult(session, req)
    post(session, req.asker_id, words.cancelled(req, by=by))


def detail_added(*, session: Session, settings: Settings, req: Request, detail: str) -> None:
    """The detail goes into the consult, or under the queue card."""
    reply = words.detail_added(req, detail=detail)
    if req.status is RequestStatus.CLAIMED:
        _into(session, req, consult_ref(req), reply)
    elif settings.queue_channel:
        _into(session, req, refs.queue_card(req.id), reply, thread=True)
        queue_card(session=session, settings=settings, req=req)


def sla_warning(*, session: Session, settings: Settings, req: Request, offer: Offer) -> None:
    """The champion holding the offer hears that the request escalates soon."""
    post(session, offer.champion_id, words.sla_warning(req))


def escalated(*, session: Session, settings: Settings, req: Request) -> None:
    """The queue card is marked overdue and every lead is told."""
    queue_card(session=session, settings=settings, req=req)
    _tell_leads(session, req, words.OVERDUE)


def back_on_duty(*, session: Session, member: Member) -> None:
    """A champion whose away time has ended is told they are on duty again."""
    post(session, member.slack_user_id, words.back_on_duty())
