"""An officer's side of a request: open one, add detail, cancel it, say whether it helped.

A request opens from a live case, an answer's *Ask a champion* or the message shortcut.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import question_text
from bot.domain.errors import (
    AlreadyClosed,
    ClosedToDetail,
    DetailTooLong,
    NoDetail,
    NotAsker,
    QuestionGone,
    QuestionTextRemoved,
)
from bot.knowledge import KnowledgeBase
from bot.knowledge.livecase import detect as detect_case
from bot.models import (
    CurationReason,
    Member,
    OfferStatus,
    Question,
    Request,
    RequestStatus,
    utcnow,
)
from bot.notify import requests as notify
from bot.services import curation, policy, roster, rows_changed
from bot.services.requests.queries import LIVE, audit, get, offers_of
from bot.services.requests.routing import Routed, route


def create(
    *,
    session: Session,
    settings: Settings,
    asker_id: str,
    text: str,
    question_id: int | None = None,
    area: str | None = None,
    topics: list[str] | None = None,
    immediate_risk: bool = False,
    now: datetime | None = None,
) -> tuple[Request, Routed]:
    """Open a request and route it at once. Asking twice about one question opens one request.

    A request is flagged as immediate risk when the triage said so, or when its own text says
    so (a message sent through the shortcut was never triaged); it escalates on the urgent SLA.
    """
    now = now or utcnow()
    if question_id is not None:
        existing = session.scalar(
            select(Request).where(Request.question_id == question_id, Request.status.in_(LIVE))
        )
        if existing is not None:
            return existing, Routed(existing.id, None)
    cleaned = question_text.validate_question(text, subject=settings.subject)
    asker = roster.get(session=session, slack_user_id=asker_id)
    urgent = immediate_risk or detect_case(cleaned).immediate_risk
    req = Request(
        asker_id=asker_id,
        question_id=question_id,
        text=cleaned,
        area=area or (asker.area if asker else None),
        topics=",".join(sorted(set(topics or [])))[:400],
        status=RequestStatus.OPEN,
        round=1,
        immediate_risk=urgent,
        created_at=now,
        sla_due_at=now + timedelta(seconds=settings.sla_for(immediate_risk=urgent)),
    )
    session.add(req)
    session.flush()
    audit(session, asker_id, "request.create", req.id)
    notify.queue_card(session=session, settings=settings, req=req, now=now)
    routed = route(session=session, settings=settings, req=req, now=now)
    notify.officer_routed(session=session, settings=settings, req=req, offered_to=routed.offered_to)
    return req, routed


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
        raise QuestionGone()
    if question.asker_id != user_id:
        raise NotAsker("send this question to a champion")
    if not question.text:
        raise QuestionTextRemoved()
    curation.keep_for_curators(
        session, question.id, CurationReason.ASKED_CHAMPION, actor_id=user_id
    )
    entry = kb.get(question.entry_id) if kb and question.entry_id else None
    return create(
        session=session,
        settings=settings,
        asker_id=user_id,
        text=question.text,
        question_id=question.id,
        topics=list(entry.tags) if entry else [],
        immediate_risk=question.immediate_risk,
        now=now,
    )


def cancel(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    caller: Member | None,
    now: datetime | None = None,
) -> Request:
    """The asker (or a lead) withdraws a request; every copy of it says so."""
    now = now or utcnow()
    req = get(session=session, request_id=request_id)
    policy.require_asker_or_lead(
        caller, user_id=user_id, asker_id=req.asker_id, doing="cancel this request"
    )
    done = session.execute(
        update(Request)
        .where(Request.id == req.id, Request.status.in_(LIVE))
        .values(status=RequestStatus.CANCELLED, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(req)
    if rows_changed(done) != 1:
        raise AlreadyClosed(req.id, req.status.value)
    offers = offers_of(session, req.id)
    for o in offers:
        if o.status is OfferStatus.PENDING:
            o.status, o.decided_at = OfferStatus.WITHDRAWN, now
    audit(session, user_id, "request.cancel", req.id)
    notify.cancelled(session=session, settings=settings, req=req, offers=offers, by=user_id)
    return req


def detail_target(*, session: Session, request_id: int, user_id: str) -> Request:
    """The request `user_id` may add detail to now; raise otherwise."""
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        raise NotAsker("add detail to this request")
    if req.status not in LIVE:
        raise ClosedToDetail(req.id, req.status.value)
    return req


def check_may_add_detail(*, session: Session, request_id: int, user_id: str) -> None:
    """Raise unless `user_id` may add detail to the request now."""
    detail_target(session=session, request_id=request_id, user_id=user_id)


def add_detail(
    *,
    session: Session,
    settings: Settings,
    request_id: int,
    user_id: str,
    detail: str,
) -> Request:
    """The asker adds detail; it goes to whoever has the request, or to the queue."""
    req = detail_target(session=session, request_id=request_id, user_id=user_id)
    note = question_text.clean_question(detail)
    if not note:
        raise NoDetail()
    if len((req.text or "") + note) > question_text.MAX_QUESTION_CHARS * 2:
        raise DetailTooLong()
    req.text = f"{req.text or ''}\n\nAdded: {note}"
    audit(session, user_id, "request.detail", req.id)
    notify.detail_added(session=session, settings=settings, req=req, detail=note)
    return req


def record_helped(*, session: Session, request_id: int, user_id: str, helped: bool) -> Request:
    """The officer says whether the champion's advice helped."""
    req = get(session=session, request_id=request_id)
    if req.asker_id != user_id:
        raise NotAsker("answer this")
    if req.helped is not helped:
        req.helped = helped
        audit(session, user_id, "request.feedback", req.id, "helped" if helped else "not")
    return req
