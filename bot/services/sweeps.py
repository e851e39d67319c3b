"""What the clock does: move timed-out offers on, warn and escalate, end away time, and offer
waiting requests again (`bot.services.requests.routing` decides who is offered them).

Each `due_*` function lists candidates; each `act_*` function claims one with a conditional
update (row count 1 or 0) and acts on it, in its own transaction. Two clocks sweeping at once
therefore act on every due row exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.config import Settings
from bot.models import Member, Offer, OfferStatus, Request, RequestStatus
from bot.notify import requests as notify
from bot.services import audit, requests, rows_changed
from bot.services.requests.routing import reroute as act_reroute
from bot.services.requests.routing import unrouted

__all__ = [
    "act_escalation",
    "act_offer_expired",
    "act_reroute",
    "act_return",
    "act_warning",
    "due_escalations",
    "due_offers",
    "due_returns",
    "due_warnings",
    "unrouted",
]


def _mark_open_request(
    session: Session, request_id: int, column: InstrumentedAttribute[datetime | None], now: datetime
) -> Request | None:
    """Set an open request's unset timestamp `column` to `now`: the claim on acting on it once.
    The request, refreshed, if this call won; None if another sweep did, or it has moved on."""
    won = session.execute(
        update(Request)
        .where(Request.id == request_id, Request.status == RequestStatus.OPEN, column.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if rows_changed(won) != 1:
        return None
    req = requests.get(session=session, request_id=request_id)
    session.refresh(req)
    return req


def due_offers(*, session: Session, now: datetime) -> list[int]:
    """Offers whose time is up."""
    return list(
        session.scalars(
            select(Offer.id)
            .where(Offer.status == OfferStatus.PENDING, Offer.expires_at <= now)
            .order_by(Offer.id)
        )
    )


def act_offer_expired(
    *, session: Session, settings: Settings, offer_id: int, now: datetime
) -> bool:
    """Expire one offer and route the request to the next champion."""
    request_id = session.scalar(select(Offer.request_id).where(Offer.id == offer_id))
    if request_id is None:
        return False
    requests.lock(session, request_id)  # the request before its offer, as a claim takes them
    won = session.execute(
        update(Offer)
        .where(
            Offer.id == offer_id,
            Offer.status == OfferStatus.PENDING,
            Offer.expires_at <= now,
        )
        .values(status=OfferStatus.EXPIRED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(won) != 1:
        return False
    offer = session.get(Offer, offer_id)
    assert offer is not None
    session.refresh(offer)
    req = requests.get(session=session, request_id=offer.request_id)
    audit.by_clock(
        session=session,
        action="request.offer_expired",
        subject_type="request",
        subject_id=req.id,
        detail=f"offer {offer.id} to {offer.champion_id}",
        at=now,
    )
    notify.offer_closed(session=session, settings=settings, req=req, offer=offer)
    requests.route(session=session, settings=settings, req=req, now=now)
    return True


def due_warnings(*, session: Session, now: datetime) -> list[int]:
    """Open requests three quarters of the way to their SLA, not yet warned about."""
    rows = session.execute(
        select(Request.id, Request.created_at, Request.sla_due_at).where(
            Request.status == RequestStatus.OPEN,
            Request.sla_warned_at.is_(None),
            Request.sla_due_at > now,
        )
    )
    return [rid for rid, created, due in rows if created + (due - created) * 0.75 <= now]


def act_warning(*, session: Session, settings: Settings, request_id: int, now: datetime) -> bool:
    """Warn the champion holding the current offer that the request escalates soon."""
    req = _mark_open_request(session, request_id, Request.sla_warned_at, now)
    if req is None:
        return False
    offer = requests.pending_offer_for(session=session, request_id=req.id)
    audit.by_clock(
        session=session,
        action="request.sla_warning",
        subject_type="request",
        subject_id=req.id,
        detail=f"offer {offer.id} to {offer.champion_id}" if offer else "no offer waiting",
        at=now,
    )
    if offer is not None:
        notify.sla_warning(session=session, settings=settings, req=req, offer=offer)
    return True


def due_escalations(*, session: Session, now: datetime) -> list[int]:
    """Open requests past their SLA, not yet escalated."""
    return list(
        session.scalars(
            select(Request.id)
            .where(
                Request.status == RequestStatus.OPEN,
                Request.escalated_at.is_(None),
                Request.sla_due_at <= now,
            )
            .order_by(Request.id)
        )
    )


def act_escalation(*, session: Session, settings: Settings, request_id: int, now: datetime) -> bool:
    """Tell the leads and mark the queue card overdue."""
    req = _mark_open_request(session, request_id, Request.escalated_at, now)
    if req is None:
        return False
    audit.by_clock(
        session=session,
        action="request.escalated",
        subject_type="request",
        subject_id=req.id,
        detail="immediate risk" if req.immediate_risk else "",
        at=now,
    )
    notify.escalated(session=session, settings=settings, req=req)
    return True


def due_returns(*, session: Session, now: datetime) -> list[int]:
    """Champions whose away time has ended."""
    return list(
        session.scalars(
            select(Member.id).where(Member.away_until.is_not(None), Member.away_until <= now)
        )
    )


def act_return(*, session: Session, member_id: int, now: datetime) -> bool:
    """End one champion's away time and tell them."""
    won = session.execute(
        update(Member)
        .where(Member.id == member_id, Member.away_until <= now)
        .values(away_until=None, on_duty=True)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(won) != 1:
        return False
    member = session.get(Member, member_id)
    assert member is not None
    session.refresh(member)
    audit.by_clock(
        session=session,
        action="availability.away_ended",
        subject_type="member",
        subject_id=member.slack_user_id,
        at=now,
    )
    notify.back_on_duty(session=session, member=member)
    return True
