"""Routing: which champion is offered a request, and offering waiting requests again.

Waiting requests are offered again when a champion may have come free: the clock's sweep, a
champion coming on duty.

A request is offered to one champion at a time: on duty, not away, under their `max_active`
load, not the asker, not already asked this round; a matching area or skill first, then the
least loaded, then the one who has waited longest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Member, Offer, OfferStatus, Request, RequestStatus, Role, utcnow
from bot.notify import requests as notify
from bot.services import rows_changed
from bot.services.audit import SYSTEM
from bot.services.requests.queries import audit, offered_to


@dataclass(frozen=True)
class Routed:
    """The result of routing: the champion offered it, or None if nobody is available."""

    request_id: int
    offered_to: str | None


def loads(session: Session, champion_ids: list[str]) -> dict[str, int]:
    """Each champion's requests held plus offers awaiting their answer, in two queries."""
    counts = dict.fromkeys(champion_ids, 0)
    if not champion_ids:
        return counts
    held = (
        select(Request.champion_id, func.count())
        .where(Request.champion_id.in_(champion_ids), Request.status == RequestStatus.CLAIMED)
        .group_by(Request.champion_id)
    )
    pending = (
        select(Offer.champion_id, func.count())
        .where(Offer.champion_id.in_(champion_ids), Offer.status == OfferStatus.PENDING)
        .group_by(Offer.champion_id)
    )
    for query in (held, pending):
        for champion_id, n in session.execute(query):
            counts[str(champion_id)] += int(n)
    return counts


def active_load(session: Session, champion_id: str) -> int:
    """Requests a champion holds plus offers awaiting their answer."""
    return loads(session, [champion_id])[champion_id]


def is_available(member: Member, now: datetime) -> bool:
    """On duty and not away."""
    return member.on_duty and (member.away_until is None or member.away_until <= now)


def candidates(
    *, session: Session, req: Request, now: datetime, exclude: set[str] | None = None
) -> list[Member]:
    """Champions who may be offered `req` now, best first."""
    offered = set(
        session.scalars(
            select(Offer.champion_id).where(Offer.request_id == req.id, Offer.round == req.round)
        )
    )
    skip = offered | {req.asker_id} | (exclude or set())
    members = session.scalars(
        select(Member).where(
            Member.role == Role.CHAMPION,
            Member.on_duty.is_(True),
            or_(Member.away_until.is_(None), Member.away_until <= now),
        )
    )
    eligible = [m for m in members if m.slack_user_id not in skip]
    load_of = loads(session, [m.slack_user_id for m in eligible])
    topics = set(req.topic_list)
    ranked = []
    for m in eligible:
        load = load_of[m.slack_user_id]
        if load >= m.max_active:
            continue
        area_match = bool(req.area and m.area and m.area.lower() == req.area.lower())
        skill_match = bool(topics & set(m.skill_list))
        waited = m.last_offered_at or datetime.min.replace(tzinfo=now.tzinfo)
        ranked.append(((not (area_match or skill_match), load, waited, m.id), m))
    return [m for _, m in sorted(ranked, key=lambda pair: pair[0])]


def lock(session: Session, request_id: int) -> None:
    """Hold the request's row until the transaction ends (FOR UPDATE; PostgreSQL). Whatever
    changes a request and its offers takes this first, before any offer's row: a claim
    updates the request, then its offers, so an offer's expiry or a pass that locked the offer
    first would wait on it crosswise (a deadlock PostgreSQL breaks by failing one)."""
    session.execute(select(Request.id).where(Request.id == request_id).with_for_update())


def route(
    *,
    session: Session,
    settings: Settings,
    req: Request,
    now: datetime | None = None,
    exclude: set[str] | None = None,
) -> Routed:
    """Offer an open request to the best available champion, or tell people nobody is free."""
    now = now or utcnow()
    # Lock the request (PostgreSQL) so that two processes never offer it at the same moment.
    lock(session, req.id)
    session.refresh(req)
    if req.status is not RequestStatus.OPEN:
        return Routed(req.id, None)
    pending = session.scalar(
        select(Offer.id).where(Offer.request_id == req.id, Offer.status == OfferStatus.PENDING)
    )
    if pending is not None:
        return Routed(req.id, None)
    for champion in candidates(session=session, req=req, now=now, exclude=exclude):
        offer = Offer(
            request_id=req.id,
            champion_id=champion.slack_user_id,
            round=req.round,
            status=OfferStatus.PENDING,
            offered_at=now,
            expires_at=now + timedelta(seconds=settings.offer_timeout),
        )
        session.add(offer)
        session.flush()
        champion.last_offered_at = now
        audit(session, SYSTEM, "request.offer", req.id, champion.slack_user_id, at=now)
        notify.offer(session=session, settings=settings, req=req, offer=offer)
        return Routed(req.id, champion.slack_user_id)
    if req.unavailable_told_at is None:
        req.unavailable_told_at = now
        audit(session, SYSTEM, "request.nobody_available", req.id, f"round {req.round}", at=now)
        notify.nobody_available(session=session, settings=settings, req=req)
    return Routed(req.id, None)


def unrouted(*, session: Session) -> list[int]:
    """Open requests with no offer waiting, immediate risk first: a champion who has come free
    is offered those before any other."""
    waiting = select(Offer.request_id).where(Offer.status == OfferStatus.PENDING)
    return list(
        session.scalars(
            select(Request.id)
            .where(Request.status == RequestStatus.OPEN, Request.id.not_in(waiting))
            .order_by(Request.immediate_risk.desc(), Request.id)
        )
    )


def move_offers_on(
    *, session: Session, settings: Settings, champion_id: str, now: datetime
) -> list[Routed]:
    """A champion went off duty or away: every offer awaiting their answer moves on at once to
    the next champion by the usual rules, immediate risk first. Where nobody is left, the
    officer is told (and the leads, as whenever nobody is available)."""
    moved = []
    for offer, req in offered_to(session=session, champion_id=champion_id):
        withdrawn = session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status == OfferStatus.PENDING)
            .values(status=OfferStatus.WITHDRAWN, decided_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(withdrawn) != 1:
            continue  # answered, expired or withdrawn by someone else meanwhile
        session.refresh(offer)
        audit(session, champion_id, "request.offer_moved", req.id, champion_id)
        notify.offer_closed(
            session=session, settings=settings, req=req, offer=offer, handed_on=True
        )
        routed = route(session=session, settings=settings, req=req, now=now, exclude={champion_id})
        if routed.offered_to is None and req.status is RequestStatus.OPEN:
            notify.nobody_left(session=session, req=req, previous=champion_id)
        moved.append(routed)
    return moved


def reroute(*, session: Session, settings: Settings, request_id: int, now: datetime) -> bool:
    """Offer an open request again if someone not yet asked in this round is free.

    Routing locks the request row first (FOR UPDATE on PostgreSQL) so that two clocks, or a
    clock and a web process, never make two offers at once.
    """
    req = session.get(Request, request_id)
    if req is None:
        return False
    return route(session=session, settings=settings, req=req, now=now).offered_to is not None


def route_waiting(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Offer every open request with no offer awaiting an answer; the number offered."""
    now = now or utcnow()
    return sum(
        reroute(session=session, settings=settings, request_id=request_id, now=now)
        for request_id in unrouted(session=session)
    )
