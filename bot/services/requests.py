"""Case-advice requests: create, route to a champion, claim, consult, resolve, release, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.models import (
    CurationReason,
    Member,
    Offer,
    OfferStatus,
    Question,
    Request,
    RequestStatus,
    Role,
    utcnow,
)
from bot.services import NotAllowed, ServiceError, notices, roster, rows_changed
from bot.services.audit import record
from bot.services.questions import MAX_QUESTION_CHARS, clean_question, keep_for_curators

CLAIMERS = {Role.CHAMPION, Role.LEAD}
CANCELLERS = {Role.LEAD, Role.ADMIN}
MAX_NOTE = 1000


class AlreadyTaken(ServiceError):
    """Someone else claimed the request first."""


@dataclass(frozen=True)
class Routed:
    """The result of routing: the champion offered it, or None if nobody is available."""

    request_id: int
    offered_to: str | None


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def get(*, session: Session, request_id: int) -> Request:
    """The request, or a ServiceError a person can read."""
    req = session.get(Request, request_id)
    if req is None:
        raise ServiceError(f"There is no request #{request_id}.")
    return req


def create(
    *,
    session: Session,
    settings: Settings,
    asker_id: str,
    text: str,
    question_id: int | None = None,
    area: str | None = None,
    topics: list[str] | None = None,
    now: datetime | None = None,
) -> tuple[Request, Routed]:
    """Open a request and route it at once. Asking twice about one question opens one request."""
    now = _now(now)
    if question_id is not None:
        existing = session.scalar(
            select(Request).where(
                Request.question_id == question_id,
                Request.status.in_([RequestStatus.OPEN, RequestStatus.CLAIMED]),
            )
        )
        if existing is not None:
            return existing, Routed(existing.id, None)
    cleaned = clean_question(text)
    if not cleaned:
        raise ServiceError("Tell me what you need advice on, in a sentence or two.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise ServiceError(
            f"That is {len(cleaned):,} characters; please put the question in a sentence or "
            "two, without names, and add detail once a champion has it."
        )
    asker = roster.get(session=session, slack_user_id=asker_id)
    req = Request(
        asker_id=asker_id,
        question_id=question_id,
        text=cleaned,
        area=area or (asker.area if asker else None),
        topics=",".join(sorted(set(topics or [])))[:400],
        status=RequestStatus.OPEN,
        round=1,
        created_at=now,
        sla_due_at=now + timedelta(seconds=settings.claim_sla),
    )
    session.add(req)
    session.flush()
    _audit(session, asker_id, "request.create", req.id)
    notices.queue_card(session=session, settings=settings, req=req, now=now)
    routed = route(session=session, settings=settings, req=req, now=now)
    notices.officer_routed(
        session=session, settings=settings, req=req, offered_to=routed.offered_to
    )
    return req, routed


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


def route(
    *,
    session: Session,
    settings: Settings,
    req: Request,
    now: datetime | None = None,
    exclude: set[str] | None = None,
) -> Routed:
    """Offer an open request to the best available champion, or tell people nobody is free."""
    now = _now(now)
    # Lock the request (PostgreSQL) so that two processes never offer it at the same moment.
    session.execute(select(Request.id).where(Request.id == req.id).with_for_update())
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
        _audit(session, "system", "request.offer", req.id, champion.slack_user_id)
        notices.offer(session=session, settings=settings, req=req, offer=offer)
        return Routed(req.id, champion.slack_user_id)
    if req.unavailable_told_at is None:
        req.unavailable_told_at = now
        notices.nobody_available(session=session, settings=settings, req=req)
    return Routed(req.id, None)


def _audit(session: Session, actor_id: str, action: str, request_id: int, detail: str = "") -> None:
    record(
        session=session,
        actor_id=actor_id,
        action=action,
        subject_type="request",
        subject_id=request_id,
        detail=detail,
    )


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
        raise ServiceError(f"Request #{req.id} has just changed; please look again.")
    session.refresh(req)


def _require_claimer(session: Session, user_id: str, doing: str) -> None:
    roster.require_role(session=session, slack_user_id=user_id, roles=CLAIMERS, doing=doing)


def claim(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    champion_id: str,
    offer_id: int | None = None,
    now: datetime | None = None,
) -> Request:
    """The first Accept or Claim wins, decided by one conditional update; later ones are told."""
    now = _now(now)
    _require_claimer(session, champion_id, "take requests")
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
        if req.status is RequestStatus.CLAIMED and req.champion_id:
            who = "you" if req.champion_id == champion_id else f"<@{req.champion_id}>"
            raise AlreadyTaken(f"Request #{req.id} has already been claimed by {who}.")
        raise AlreadyTaken(f"Request #{req.id} is {req.status.value}; there is nothing to claim.")
    offers = list(session.scalars(select(Offer).where(Offer.request_id == req.id)))
    for o in offers:
        if o.status is OfferStatus.PENDING:
            mine = o.champion_id == champion_id and (offer_id is None or o.id == offer_id)
            o.status = OfferStatus.ACCEPTED if mine else OfferStatus.WITHDRAWN
            o.decided_at = now
    _audit(session, champion_id, "request.claim", req.id, "accept" if offer_id else "claim")
    notices.claimed(session=session, settings=settings, req=req, offers=offers)
    return req


def pass_offer(
    *,
    session: Session,
    settings: Settings,
    offer_id: int,
    champion_id: str,
    now: datetime | None = None,
) -> Routed:
    """A champion passes: the offer moves to the next champion."""
    now = _now(now)
    offer = session.get(Offer, offer_id)
    if offer is None or offer.champion_id != champion_id:
        raise NotAllowed("Only the champion it was offered to can pass on this request.")
    passed = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.status == OfferStatus.PENDING)
        .values(status=OfferStatus.PASSED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(offer)
    req = get(session=session, request_id=offer.request_id)
    if rows_changed(passed) != 1:
        raise ServiceError(
            f"This offer of request #{req.id} is no longer open ({offer.status.value})."
        )
    _audit(session, champion_id, "request.pass", req.id)
    notices.offer_closed(session=session, settings=settings, req=req, offer=offer)
    return route(session=session, settings=settings, req=req, now=now)


def _held_by(session: Session, request_id: int, user_id: str, doing: str) -> Request:
    req = get(session=session, request_id=request_id)
    if req.status is not RequestStatus.CLAIMED:
        raise ServiceError(f"Request #{req.id} is {req.status.value}, so it can't be {doing}.")
    if req.champion_id != user_id:
        role = roster.role_of(session=session, slack_user_id=user_id)
        if role not in CANCELLERS:
            raise NotAllowed(
                f"Only the champion who has request #{req.id}, or a lead, can do that."
            )
    return req


def resolve(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    outcome: str,
    now: datetime | None = None,
) -> Request:
    """Close a claimed request with a short outcome; the officer is asked if it helped."""
    now = _now(now)
    note = clean_question(outcome)
    if not note:
        raise ServiceError("Add a short outcome, for example: advised s2A and SPO application.")
    if len(note) > MAX_NOTE:
        raise ServiceError(f"Keep the outcome under {MAX_NOTE} characters.")
    req = _held_by(session, request_id, user_id, "resolved")
    _change_claimed(session, req, status=RequestStatus.RESOLVED, resolved_at=now, outcome_note=note)
    _audit(session, user_id, "request.resolve", req.id)
    notices.resolved(session=session, settings=settings, req=req)
    return req


def release(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    now: datetime | None = None,
) -> Request:
    """Give a claimed request back to the queue, and route it afresh (not to the releaser)."""
    now = _now(now)
    req = _held_by(session, request_id, user_id, "released")
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
    _audit(session, user_id, "request.release", req.id, previous)
    notices.released(session=session, settings=settings, req=req, previous=previous)
    route(session=session, settings=settings, req=req, now=now, exclude={previous})
    return req


def reassign(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    to_champion: str,
    now: datetime | None = None,
) -> Request:
    """Hand a claimed request to a named champion, who joins a new consult with the officer."""
    now = _now(now)
    req = _held_by(session, request_id, user_id, "reassigned")
    target = roster.get(session=session, slack_user_id=to_champion)
    if target is None or target.role not in CLAIMERS:
        raise ServiceError(f"<@{to_champion}> is not a champion on the roster.")
    if to_champion == req.champion_id:
        raise ServiceError(f"<@{to_champion}> already has request #{req.id}.")
    if to_champion == req.asker_id:
        raise ServiceError("A request can't be reassigned to the officer who asked it.")
    previous = req.champion_id or user_id
    _change_claimed(
        session, req, champion_id=to_champion, claimed_at=now, claims=Request.claims + 1
    )
    _audit(session, user_id, "request.reassign", req.id, f"{previous} -> {to_champion}")
    notices.reassigned(session=session, settings=settings, req=req, previous=previous)
    return req


def cancel(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    now: datetime | None = None,
) -> Request:
    """The asker (or a lead) withdraws a request; every copy of it says so."""
    now = _now(now)
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        role = roster.role_of(session=session, slack_user_id=user_id)
        if role not in CANCELLERS:
            raise NotAllowed("Only the officer who asked, or a lead, can cancel this request.")
    done = session.execute(
        update(Request)
        .where(
            Request.id == req.id, Request.status.in_([RequestStatus.OPEN, RequestStatus.CLAIMED])
        )
        .values(status=RequestStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(req)
    if rows_changed(done) != 1:
        raise ServiceError(f"Request #{req.id} is already {req.status.value}.")
    offers = list(session.scalars(select(Offer).where(Offer.request_id == req.id)))
    for o in offers:
        if o.status is OfferStatus.PENDING:
            o.status, o.decided_at = OfferStatus.WITHDRAWN, now
    _audit(session, user_id, "request.cancel", req.id)
    notices.cancelled(session=session, settings=settings, req=req, offers=offers, by=user_id)
    return req


def add_detail(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    detail: str,
) -> Request:
    """The asker adds detail; it goes to whoever has the request, or to the queue."""
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        raise NotAllowed("Only the officer who asked can add detail to this request.")
    if req.status not in (RequestStatus.OPEN, RequestStatus.CLAIMED):
        raise ServiceError(f"Request #{req.id} is {req.status.value}; ask a new question instead.")
    note = clean_question(detail)
    if not note:
        raise ServiceError("There was no detail to add.")
    if len((req.text or "") + note) > MAX_QUESTION_CHARS * 2:
        raise ServiceError(
            "That is more detail than I can hold; talk it through with the champion."
        )
    req.text = f"{req.text or ''}\n\nAdded: {note}"
    _audit(session, user_id, "request.detail", req.id)
    notices.detail_added(session=session, settings=settings, req=req, detail=note)
    return req


def record_helped(*, session: Session, request_id: int, user_id: str, helped: bool) -> Request:
    """The officer says whether the champion's advice helped."""
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        raise NotAllowed("Only the officer who asked can answer this.")
    if req.helped is not helped:
        req.helped = helped
        _audit(session, user_id, "request.feedback", req.id, "helped" if helped else "not")
    return req


def from_question(
    *,
    session: Session,
    settings: Settings,
    question_id: int,
    user_id: str,
    kb: KnowledgeBase | None = None,
    now: datetime | None = None,
) -> tuple[Request, Routed]:
    """*Ask a champion* under an answer: the question becomes a request."""
    question = session.get(Question, question_id)
    if question is None:
        raise ServiceError("I can't find that question any more; please ask it again.")
    if question.asker_id != user_id:
        raise NotAllowed("Only the officer who asked can send this question to a champion.")
    if not question.text:
        raise ServiceError("That question's text has been removed; please ask it again.")
    keep_for_curators(session, question.id, CurationReason.ASKED_CHAMPION)
    entry = kb.get(question.entry_id) if kb and question.entry_id else None
    topics = list(entry.tags) if entry else []
    return create(
        session=session,
        settings=settings,
        asker_id=user_id,
        text=question.text,
        question_id=question.id,
        topics=topics,
        now=now,
    )


def open_for(*, session: Session, asker_id: str, limit: int = 10) -> list[Request]:
    """An officer's requests, open ones first, then the most recent."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.asker_id == asker_id)
            .order_by(
                Request.status.in_([RequestStatus.OPEN, RequestStatus.CLAIMED]).desc(),
                Request.created_at.desc(),
            )
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


def queue(*, session: Session, limit: int = 20) -> list[Request]:
    """Open requests, oldest first."""
    return list(
        session.scalars(
            select(Request)
            .where(Request.status == RequestStatus.OPEN)
            .order_by(Request.created_at)
            .limit(limit)
        )
    )


def pending_offer_for(*, session: Session, request_id: int) -> Offer | None:
    """The offer of a request awaiting a champion's answer, if any."""
    return session.scalar(
        select(Offer).where(
            and_(Offer.request_id == request_id, Offer.status == OfferStatus.PENDING)
        )
    )


def check_may_act(*, session: Session, request_id: int, user_id: str) -> None:
    """Raise unless `user_id` may resolve, release or reassign the request now."""
    _held_by(session, request_id, user_id, "changed")


def check_may_add_detail(*, session: Session, request_id: int, user_id: str) -> None:
    """Raise unless `user_id` may add detail to the request now."""
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        raise NotAllowed("Only the officer who asked can add detail to this request.")
    if req.status not in (RequestStatus.OPEN, RequestStatus.CLAIMED):
        raise ServiceError(f"Request #{req.id} is {req.status.value}; ask a new question instead.")


def route_waiting(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Offer every open request with no offer awaiting an answer; the number offered."""
    waiting = select(Offer.request_id).where(Offer.status == OfferStatus.PENDING)
    open_ids = list(
        session.scalars(
            select(Request.id)
            .where(Request.status == RequestStatus.OPEN, Request.id.not_in(waiting))
            .order_by(Request.id)
        )
    )
    offered = 0
    for request_id in open_ids:
        req = get(session=session, request_id=request_id)
        offered += (
            route(session=session, settings=settings, req=req, now=now).offered_to is not None
        )
    return offered


def purge_expired_text(
    *, session: Session, retention_days: int, now: datetime | None = None
) -> int:
    """Blank the case text and outcome of closed requests past retention; keep the figures."""
    now = _now(now)
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(
        update(Request)
        .where(
            Request.created_at < cutoff,
            Request.status.in_([RequestStatus.RESOLVED, RequestStatus.CANCELLED]),
            or_(Request.text.is_not(None), Request.outcome_note.is_not(None)),
        )
        .values(text=None, outcome_note=None, text_purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)
