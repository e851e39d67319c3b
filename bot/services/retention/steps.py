"""The purge's steps: requests open past retention closed as stale, then every stored copy of
typed text blanked, table by table, and the bot's Slack messages that quoted it redacted.

Each `due_*` lists candidates; each `act_*` claims one with a conditional update (row count 1
or 0) in a transaction of its own, so two clocks purging at once never do anything twice: a
row's text is blanked once, and its Slack message is edited once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, cast, exists, literal, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.config import Settings
from bot.models import (
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Question,
    Request,
    RequestStatus,
)
from bot.notify import retention as notify
from bot.services import refs, rows_changed
from bot.services.audit import record
from bot.services.refs import Quote
from bot.services.requests.queries import LIVE, audit, offers_of

Counts = Counter[str]
SYSTEM = "system"
PURGED_PAYLOAD = "{}"
# Calls that leave a message in Slack the bot may edit later.
POSTS = ("chat.postMessage", "conversations.open+chat.postMessage")


def cutoff(settings: Settings, now: datetime) -> datetime:
    """Typed text stored before this is purged."""
    return now - timedelta(days=settings.retention_days)


def _audit(session: Session, subject_type: str, subject_id: str | int, counts: Counts) -> None:
    """The purge's audit row: how many rows of each table, never what they held."""
    if counts:
        detail = " ".join(f"{key}={value}" for key, value in sorted(counts.items()))
        record(
            session=session,
            actor_id=SYSTEM,
            action="retention.purge",
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail,
        )


def _copies_left(prefix: str, subject_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """Whether any outbox row still holds a copy of the subject's text (`bot.services.refs`)."""
    return exists().where(
        OutboxMessage.quotes == literal(prefix, String) + cast(subject_id, String),
        OutboxMessage.purged_at.is_(None),
    )


def _purge_quoting(
    session: Session,
    settings: Settings,
    quote: Quote,
    now: datetime,
    redact: Callable[[OutboxMessage], None],
) -> Counts:
    """Blank every outbox row that copies `quote`: a queued one is withdrawn (unless a sender
    holds it now: the next purge takes it); a sent post is edited in Slack to its redacted form
    (`redact`), or counted as not redacted when Slack's `ts` for it is unknown."""
    counts: Counts = Counter()
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.quotes == quote, OutboxMessage.purged_at.is_(None))
            .order_by(OutboxMessage.id)
        )
    )
    for row in rows:
        pending = row.status is OutboxStatus.PENDING
        values: dict[str, object] = {"payload": PURGED_PAYLOAD, "purged_at": now}
        if pending:
            values.update(status=OutboxStatus.CANCELLED, error=None)
        won = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.purged_at.is_(None),
                or_(
                    OutboxMessage.status != OutboxStatus.PENDING,
                    OutboxMessage.locked_until.is_(None),
                ),
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        if rows_changed(won) != 1:
            continue  # being sent this moment, or purged by another clock
        session.refresh(row)
        counts["outbox"] += 1
        if row.method not in POSTS or pending or row.status is OutboxStatus.CANCELLED:
            continue  # an edit (its message is redacted itself), or never posted
        if row.status is OutboxStatus.SENT and row.ts and row.channel:
            if settings.redact_slack:
                redact(row)
                counts["slack_redacted"] += 1
        else:
            counts["slack_ts_unknown"] += 1
    return counts


# Requests -------------------------------------------------------------------------------------


def _aged(before: datetime) -> ColumnElement[bool]:
    """A request whose text was typed before `before`: opened then, or from a question asked
    then (*Ask a champion* copies the question's text into the request)."""
    return or_(
        Request.created_at < before,
        exists().where(Question.id == Request.question_id, Question.asked_at < before),
    )


def due_stale(*, session: Session, settings: Settings, now: datetime) -> list[int]:
    """Requests still open or claimed past retention."""
    return list(
        session.scalars(
            select(Request.id)
            .where(Request.status.in_(LIVE), _aged(cutoff(settings, now)))
            .order_by(Request.id)
        )
    )


def act_stale(*, session: Session, settings: Settings, request_id: int, now: datetime) -> Counts:
    """Close one request open past retention (cancelled, marked stale); its offers are
    withdrawn and the leads, the officer and its champion told. Its text goes in the next step."""
    req = session.get(Request, request_id)
    if req is None:
        return Counter()
    champion = req.champion_id if req.status is RequestStatus.CLAIMED else None
    won = session.execute(
        update(Request)
        .where(
            Request.id == request_id,
            Request.status.in_(LIVE),
            _aged(cutoff(settings, now)),
        )
        .values(status=RequestStatus.CANCELLED, cancelled_at=now, stale_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(won) != 1:
        return Counter()
    session.refresh(req)
    for offer in offers_of(session, req.id):
        if offer.status is OfferStatus.PENDING:
            offer.status, offer.decided_at = OfferStatus.WITHDRAWN, now
    audit(session, SYSTEM, "request.stale", req.id)
    notify.stale_closed(session=session, settings=settings, req=req, champion=champion)
    return Counter({"requests_closed_stale": 1})


def due_requests(*, session: Session, settings: Settings, now: datetime) -> list[int]:
    """Closed requests past retention whose text, or a copy of it, is still stored."""
    return list(
        session.scalars(
            select(Request.id)
            .where(
                Request.status.not_in(LIVE),
                _aged(cutoff(settings, now)),
                or_(
                    Request.text_purged_at.is_(None),
                    _copies_left(refs.QUOTES_REQUEST, Request.id),
                ),
            )
            .order_by(Request.id)
        )
    )


def act_request(*, session: Session, settings: Settings, request_id: int, now: datetime) -> Counts:
    """Blank one request's case text, added detail and outcome (the figures stay), and every
    outbox copy of them; edit the bot's Slack messages that quoted them."""
    counts: Counts = Counter()
    won = session.execute(
        update(Request)
        .where(
            Request.id == request_id,
            Request.status.not_in(LIVE),
            _aged(cutoff(settings, now)),
            Request.text_purged_at.is_(None),
        )
        .values(text=None, outcome_note=None, text_purged_at=now)
        .execution_options(synchronize_session=False)
    )
    counts["requests"] += rows_changed(won)
    req = session.get(Request, request_id)
    if req is None or req.text_purged_at is None:
        return counts
    session.refresh(req)

    def redact(row: OutboxMessage) -> None:
        notify.redact_request_message(session=session, settings=settings, row=row, req=req)

    counts += _purge_quoting(session, settings, refs.quoting_request(req.id), now, redact)
    _audit(session, "request", req.id, counts)
    return counts


# Questions ------------------------------------------------------------------------------------


def due_questions(*, session: Session, settings: Settings, now: datetime) -> list[int]:
    """Questions asked before retention whose text, or a copy of it, is still stored."""
    return list(
        session.scalars(
            select(Question.id)
            .where(
                Question.asked_at < cutoff(settings, now),
                or_(
                    Question.text.is_not(None),
                    _copies_left(refs.QUOTES_QUESTION, Question.id),
                ),
            )
            .order_by(Question.id)
        )
    )


def act_question(
    *, session: Session, settings: Settings, question_id: int, now: datetime
) -> Counts:
    """Blank one question's text (its case, entry, score and feedback stay: the figures and the
    curators' counts), and every outbox copy of it."""
    counts: Counts = Counter()
    won = session.execute(
        update(Question)
        .where(
            Question.id == question_id,
            Question.asked_at < cutoff(settings, now),
            Question.text.is_not(None),
        )
        .values(text=None, text_purged_at=now)
        .execution_options(synchronize_session=False)
    )
    counts["questions"] += rows_changed(won)

    def redact(row: OutboxMessage) -> None:
        notify.redact_question_message(session=session, settings=settings, row=row)

    counts += _purge_quoting(session, settings, refs.quoting_question(question_id), now, redact)
    _audit(session, "question", question_id, counts)
    return counts


# The outbox, by age ---------------------------------------------------------------------------


def purge_outbox(*, session: Session, settings: Settings, now: datetime) -> Counts:
    """Blank the payload of every outbox row written before retention that is done with (sent,
    failed or withdrawn): whatever it copied. Rows that copy a request's or a question's text
    went with it, in the steps before, with their Slack messages."""
    done = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.created_at < cutoff(settings, now),
            OutboxMessage.purged_at.is_(None),
            OutboxMessage.status != OutboxStatus.PENDING,
        )
        .values(payload=PURGED_PAYLOAD, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    counts = Counter({"outbox": rows_changed(done)})
    counts = +counts
    _audit(session, "table", "outbox", counts)
    return counts


def by_age(table: str, purge: Callable[[Session, datetime], int]) -> Callable[..., Counts]:
    """A step from a table's own `purge(session, before) -> int` (rows whose text it blanked or
    deleted, written before `before`), with its audit row: for a table that copies no request's
    or question's text elsewhere."""

    def step(session: Session, settings: Settings, now: datetime) -> Counts:
        counts = +Counter({table: purge(session, cutoff(settings, now))})
        _audit(session, "table", table, counts)
        return counts

    return step
