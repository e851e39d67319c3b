"""What there is: requests, the queue, the offer awaiting an answer; requests' audit rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NoSuchRequest
from bot.domain.home import Workload
from bot.models import Offer, OfferStatus, Request, RequestStatus
from bot.services.audit import record

LIVE = (RequestStatus.OPEN, RequestStatus.CLAIMED)


def get(*, session: Session, request_id: int) -> Request:
    """The request, or NoSuchRequest."""
    req = session.get(Request, request_id)
    if req is None:
        raise NoSuchRequest(request_id)
    return req


def audit(
    session: Session,
    actor_id: str,
    action: str,
    request_id: int,
    detail: str = "",
    *,
    at: datetime | None = None,
) -> None:
    """One audit row about a request (ids and states only, never its text)."""
    record(
        session=session,
        actor_id=actor_id,
        action=action,
        subject_type="request",
        subject_id=request_id,
        detail=detail,
        at=at,
    )


def open_for(*, session: Session, asker_id: str, limit: int = 10) -> list[Request]:
    """An officer's requests, open ones first, then the most recent."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.asker_id == asker_id)
            .order_by(Request.status.in_(LIVE).desc(), Request.created_at.desc())
            .limit(limit)
        )
    )


def held_by(*, session: Session, champion_id: str) -> list[Request]:
    """The requests a champion has now."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.champion_id == champion_id, Request.status == RequestStatus.CLAIMED)
            .order_by(Request.claimed_at)
        )
    )


def offered_to(*, session: Session, champion_id: str) -> list[tuple[Offer, Request]]:
    """The offers awaiting a champion's answer, with their requests, immediate risk first."""
    rows = session.execute(
        select(Offer, Request)
        .join(Request, Request.id == Offer.request_id)
        .where(Offer.champion_id == champion_id, Offer.status == OfferStatus.PENDING)
        .order_by(Request.immediate_risk.desc(), Offer.offered_at, Offer.id)
    )
    return [(offer, req) for offer, req in rows]


def workload(*, session: Session, champion_id: str) -> Workload:
    """What a champion has now: requests held and offers awaiting their answer."""
    return Workload(
        held=held_by(session=session, champion_id=champion_id),
        offered=offered_to(session=session, champion_id=champion_id),
    )


def queue(*, session: Session, limit: int = 20) -> list[Request]:
    """Open requests: immediate risk first, then oldest first."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.status == RequestStatus.OPEN)
            .order_by(Request.immediate_risk.desc(), Request.created_at, Request.id)
            .limit(limit)
        )
    )


def pending_offer_for(*, session: Session, request_id: int) -> Offer | None:
    """The offer of a request awaiting a champion's answer, if any."""
    return session.scalar(
        select(Offer).where(Offer.request_id == request_id, Offer.status == OfferStatus.PENDING)
    )


def offers_of(session: Session, request_id: int) -> list[Offer]:
    """Every offer ever made of a request."""
    return list(session.scalars(select(Offer).where(Offer.request_id == request_id)))
