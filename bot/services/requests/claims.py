"""A champion's side of a request: claim or accept, pass, resolve, release and reassign.

Each change is one conditional update whose row count decides who won.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import (
    AlreadyHolds,
    AlreadyTaken,
    NotAChampion,
    NotOffered,
    OfferClosed,
    OutcomeMissing,
    OutcomeTooLong,
    ReassignToAsker,
    RequestChanged,
    WrongStatus,
)
from bot.domain.outcomes import OutcomePicks
from bot.domain.question_text import clean_question
from bot.models import Member, Offer, OfferStatus, Request, RequestStatus, utcnow
from bot.notify import requests as notify
from bot.services import outcomes, policy, roster, rows_changed
from bot.services.requests.queries import audit, get, offers_of
from bot.services.requests.routing import Routed, lock, route

MAX_NOTE = 1000


def _change_claimed(session: Session, req: Request, **values: object) -> None:
    """Change a request still held by the same champion, or say it has just changed."""
    done = session.execute(
        update(Request)
        .where(
            Request.id == req.id,
            Request.status == RequestStatus.CLAIMED,
            Request.champion_id == req.champion_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(done) != 1:
        raise RequestChanged(req.id)
    session.refresh(req)


def claim(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    champion_id: str,
    caller: Member | None,
    offer_id: int | None = None,
    now: datetime | None = None,
) -> Request:
    """The first Accept or Claim wins, decided by one conditional update; later ones are told.
    Nobody takes a request they asked, however they press (a forged button too)."""
    now = now or utcnow()
    policy.require(caller, policy.Act.TAKE_REQUESTS)  # before saying whether it exists
    asked = get(session=session, request_id=request_id)
    policy.require_taker(caller, user_id=champion_id, request_id=asked.id, asker_id=asked.asker_id)
    won = session.execute(
        update(Request)
        .where(Request.id == request_id, Request.status == RequestStatus.OPEN)
        .values(
            status=RequestStatus.CLAIMED,
            champion_id=champion_id,
            claimed_at=now,
            first_claimed_at=func.coalesce(Request.first_claimed_at, now),
            claims=Request.claims + 1,
        )
        .execution_options(synchronize_session=False)
    )
    req = get(session=session, request_id=request_id)
    session.refresh(req)
    if rows_changed(won) != 1:
        raise AlreadyTaken(
            req.id, req.status.value, req.champion_id, by_caller=req.champion_id == champion_id
        )
    offers = offers_of(session, req.id)
    for o in offers:
        if o.status is OfferStatus.PENDING:
            mine = o.champion_id == champion_id and (offer_id is None or o.id == offer_id)
            o.status = OfferStatus.ACCEPTED if mine else OfferStatus.WITHDRAWN
            o.decided_at = now
    audit(session, champion_id, "request.claim", req.id, "accept" if offer_id else "claim")
    notify.claimed(session=session, settings=settings, req=req, offers=offers)
    return req


def pass_offer(
    *,
    session: Session,
    settings: Settings,
    offer_id: int,
    champion_id: str,
    caller: Member | None,
    now: datetime | None = None,
) -> Routed:
    """A champion passes: the offer moves to the next champion."""
    now = now or utcnow()
    policy.require(caller, policy.Act.TAKE_REQUESTS)
    offer = session.get(Offer, offer_id)
    if offer is None:
        raise NotOffered()
    asked = get(session=session, request_id=offer.request_id)
    policy.require_taker(
        caller,
        user_id=champion_id,
        request_id=asked.id,
        asker_id=asked.asker_id,
        offered_to=offer.champion_id,
    )
    lock(session, offer.request_id)  # the request before its offer, as a claim takes them
    passed = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.status == OfferStatus.PENDING)
        .values(status=OfferStatus.PASSED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(offer)
    req = get(session=session, request_id=offer.request_id)
    if rows_changed(passed) != 1:
        raise OfferClosed(req.id, offer.status.value)
    audit(session, champion_id, "request.pass", req.id)
    notify.offer_closed(session=session, settings=settings, req=req, offer=offer)
    return route(session=session, settings=settings, req=req, now=now)


def held(
    *,
    session: Session,
    request_id: int,
    user_id: str,
    caller: Member | None,
    doing: str = "changed",
) -> Request:
    """The claimed request, if `user_id` holds it or is a lead; raise otherwise."""
    req = get(session=session, request_id=request_id)
    if req.status is not RequestStatus.CLAIMED:
        raise WrongStatus(req.id, req.status.value, doing)
    policy.require_holder_or_lead(
        caller, user_id=user_id, request_id=req.id, holder_id=req.champion_id
    )
    return req


def check_may_act(
    *, session: Session, request_id: int, user_id: str, caller: Member | None
) -> None:
    """Raise unless `user_id` may resolve, release or reassign the request now."""
    held(session=session, request_id=request_id, user_id=user_id, caller=caller)


def resolve(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    caller: Member | None,
    outcome: str,
    now: datetime | None = None,
    picks: OutcomePicks | None = None,
) -> Request:
    """Close a claimed request with a short outcome and the champion's picks of what the
    advice covered; the officer is asked if it helped."""
    now = now or utcnow()
    note = clean_question(outcome)
    if not note:
        raise OutcomeMissing()
    if len(note) > MAX_NOTE:
        raise OutcomeTooLong(MAX_NOTE)
    req = held(
        session=session, request_id=request_id, user_id=user_id, caller=caller, doing="resolved"
    )
    _change_claimed(session, req, status=RequestStatus.RESOLVED, resolved_at=now, outcome_note=note)
    audit(session, user_id, "request.resolve", req.id)
    outcomes.record(session=session, req=req, picks=picks or OutcomePicks(), by=user_id, now=now)
    notify.resolved(session=session, settings=settings, req=req)
    return req


def release(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime | None = None,
) -> Request:
    """Give a claimed request back to the queue, and route it afresh (not to the releaser)."""
    now = now or utcnow()
    req = held(
        session=session, request_id=request_id, user_id=user_id, caller=caller, doing="released"
    )
    previous = req.champion_id or user_id
    _change_claimed(
        session,
        req,
        status=RequestStatus.OPEN,
        champion_id=None,
        claimed_at=None,
        round=Request.round + 1,
        unavailable_told_at=None,
    )
    audit(session, user_id, "request.release", req.id, previous)
    notify.released(session=session, settings=settings, req=req, previous=previous)
    route(session=session, settings=settings, req=req, now=now, exclude={previous})
    return req


def reassign(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    caller: Member | None,
    to_champion: str,
    now: datetime | None = None,
) -> Request:
    """Hand a claimed request to a named champion, who joins a new consult with the officer."""
    now = now or utcnow()
    req = held(
        session=session, request_id=request_id, user_id=user_id, caller=caller, doing="reassigned"
    )
    target = roster.get(session=session, slack_user_id=to_champion)
    if target is None or not policy.may(target, policy.Act.TAKE_REQUESTS):
        raise NotAChampion(to_champion)
    if to_champion == req.champion_id:
        raise AlreadyHolds(to_champion, req.id)
    if to_champion == req.asker_id:
        raise ReassignToAsker()
    previous = req.champion_id or user_id
    _change_claimed(
        session, req, champion_id=to_champion, claimed_at=now, claims=Request.claims + 1
    )
    audit(session, user_id, "request.reassign", req.id, f"{previous} -> {to_champion}")
    notify.reassigned(session=session, settings=settings, req=req, previous=previous)
    return req
