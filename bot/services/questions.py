"""Officers' questions: triage against the knowledge base, record, route a live case, reply,
feedback (their text is purged by `bot.services.retention`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import NotTheAsker, QuestionGone
from bot.domain.question_text import clean_question, validate_question
from bot.domain.replies import ReplyTo
from bot.knowledge import Entry, Hit, KnowledgeBase, Triage
from bot.knowledge.shown import Shown
from bot.models import (
    CurationItem,
    CurationReason,
    Feedback,
    Outcome,
    Question,
    Request,
    Surface,
    utcnow,
)
from bot.notify import answers
from bot.services import curation, requests
from bot.services.audit import record


@dataclass(frozen=True)
class Asked:
    """A question triaged, and recorded unless it only greeted the bot (`question_id` and
    `outcome` are then None: a greeting is not a question, and has nothing to rate or keep).
    `shown` is what the reply shows, as stored with the question."""

    question_id: int | None
    outcome: Outcome | None
    triage: Triage
    shown: Shown

    @property
    def best(self) -> Hit | None:
        """The entry that answers it, when answered."""
        return self.triage.best if self.outcome is Outcome.ANSWERED else None


def ask(
    *,
    session: Session,
    kb: KnowledgeBase,
    asker_id: str,
    text: str,
    surface: Surface,
    subject: str,
    channel_id: str | None = None,
    search_only: bool = False,
    now: datetime | None = None,
) -> Asked:
    """Triage a question, record it, and keep it for the curators when nothing matched."""
    cleaned = validate_question(text, subject=subject)
    triage = kb.triage(cleaned)
    if triage.kind == "greeting":
        shown = Shown("greeting", None, entries=kb.examples(3))
        return Asked(question_id=None, outcome=None, triage=triage, shown=shown)
    outcome = Outcome(triage.kind)
    if search_only and outcome is Outcome.LIVE_CASE:
        # /faq searches only: a live case still gets any general answer, never routing.
        outcome = Outcome.ANSWERED if _confident(kb, triage) else Outcome.NOT_COVERED
    best = triage.best
    whole, offered = _shown_entries(outcome, triage)
    question = Question(
        asker_id=asker_id,
        surface=surface,
        channel_id=channel_id,
        text=cleaned,
        outcome=outcome,
        entry_id=best.entry.id if best and outcome is Outcome.ANSWERED else None,
        score=round(best.score, 4) if best else 0.0,
        closest=",".join(h.entry.id for h in triage.hits[:3])[:400],
        immediate_risk=triage.immediate_risk,
        asked_at=now or utcnow(),
        shown_ids=_ids(whole),
        also_ids=_ids(offered),
    )
    session.add(question)
    session.flush()
    record(
        session=session,
        actor_id=asker_id,
        action="question.ask",
        subject_type="question",
        subject_id=question.id,
        detail=f"{surface.value}; {outcome.value}"
        + ("; immediate risk" if triage.immediate_risk else ""),
        at=question.asked_at,
    )
    if outcome is Outcome.NOT_COVERED:
        item = CurationItem(question_id=question.id, reason=CurationReason.NO_MATCH)
        session.add(item)
        session.flush()
        curation.audit_kept(session, item, actor_id=asker_id)
    shown = Shown(
        outcome.value,
        question.id,
        entries=whole,
        also=offered,
        immediate_risk=triage.immediate_risk,
    )
    return Asked(question_id=question.id, outcome=outcome, triage=triage, shown=shown)


def _shown_entries(outcome: Outcome, triage: Triage) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """The entries a reply shows whole, and those it offers a tap away, for its case."""
    best = triage.best
    if outcome is Outcome.ANSWERED and best is not None:
        whole = (best.entry,) + ((triage.second.entry,) if triage.second else ())
        return whole, tuple(h.entry for h in triage.also)
    if outcome is Outcome.LIVE_CASE:
        return ((best.entry,) if best else ()), ()
    if outcome is Outcome.NOT_COVERED:
        return (), tuple(h.entry for h in triage.hits[:3])
    return (), ()


def _ids(entries: tuple[Entry, ...]) -> str:
    out = ""
    for entry in entries:  # whole ids only, within the column's width
        more = f"{out},{entry.id}" if out else entry.id
        if len(more) > 400:
            break
        out = more
    return out


def shown_for(*, session: Session, kb: KnowledgeBase, question_id: int) -> Shown:
    """What the reply to a stored question shows, to draw it again (after feedback): its case,
    the entries it showed, the 999 line, the request a live case opened, the verdict, and the
    question as typed for a slash command's reply while its text is kept."""
    question = session.get(Question, question_id)
    if question is None:
        raise QuestionGone()

    def entries(ids: str) -> tuple[Entry, ...]:
        found = (kb.get(i) for i in ids.split(",") if i)
        return tuple(e for e in found if e is not None)

    whole = entries(question.shown_ids)
    if not whole and question.entry_id and question.outcome is Outcome.ANSWERED:
        whole = entries(question.entry_id)  # asked before replies were stored
    request_id = session.scalar(
        select(Request.id).where(Request.question_id == question.id).order_by(Request.id).limit(1)
    )
    helpful = None if question.feedback is None else question.feedback is Feedback.HELPFUL
    echo = question.text if question.surface in (Surface.ASK, Surface.FAQ) else None
    return Shown(
        question.outcome.value,
        question.id,
        entries=whole,
        also=entries(question.also_ids),
        immediate_risk=question.immediate_risk,
        request_id=request_id if question.outcome is Outcome.LIVE_CASE else None,
        helpful=helpful,
        echo=echo,
    )


def _confident(kb: KnowledgeBase, triage: Triage) -> bool:
    return triage.best is not None and triage.best.score >= kb.answer_threshold


@dataclass(frozen=True)
class FeedbackGiven:
    """The officer's verdict, recorded, and the entry it was about."""

    question_id: int
    feedback: Feedback
    entry_id: str | None
    changed: bool


def give_feedback(
    *,
    session: Session,
    question_id: int,
    user_id: str,
    helpful: bool,
    now: datetime | None = None,
) -> FeedbackGiven:
    """Record whether an answer helped; only the asker's verdict counts, and a repeat is a no-op."""
    question = session.get(Question, question_id)
    if question is None:
        raise QuestionGone()
    if question.asker_id != user_id:
        raise NotTheAsker()
    verdict = Feedback.HELPFUL if helpful else Feedback.NOT_HELPFUL
    changed = question.feedback is not verdict
    if changed:
        question.feedback = verdict
        question.feedback_at = now or utcnow()
        record(
            session=session,
            actor_id=user_id,
            action="question.feedback",
            subject_type="question",
            subject_id=question.id,
            detail=verdict.value,
        )
        if verdict is Feedback.NOT_HELPFUL:
            curation.keep_for_curators(
                session, question.id, CurationReason.NOT_HELPFUL, actor_id=user_id
            )
    return FeedbackGiven(
        question_id=question.id, feedback=verdict, entry_id=question.entry_id, changed=changed
    )


def recent_for(*, session: Session, asker_id: str, limit: int = 5) -> list[Question]:
    """An officer's most recent questions."""
    return list(
        session.scalars(
            select(Question)
            .where(Question.asker_id == asker_id)
            .order_by(Question.asked_at.desc(), Question.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Handled:
    """A question answered, and the request it opened if it was a live case."""

    asked: Asked
    request: Request | None

    @property
    def shown(self) -> Shown:
        """What the reply shows, with the request a live case opened."""
        shown = self.asked.shown
        return replace(shown, request_id=self.request.id) if self.request else shown


def handle(
    *,
    session: Session,
    settings: Settings,
    kb: KnowledgeBase,
    asker_id: str,
    text: str,
    surface: Surface,
    channel_id: str | None = None,
    now: datetime | None = None,
    reply_to: ReplyTo | None = None,
    echo: bool = False,
) -> Handled:
    """Triage and record a question; route a live case to a champion at once (never for /faq).
    With `reply_to`, the reply is queued there in the same transaction (`echo`: repeating the
    question above it, for a reply only the asker sees)."""
    asked = ask(
        session=session,
        kb=kb,
        asker_id=asker_id,
        text=text,
        surface=surface,
        subject=settings.subject,
        channel_id=channel_id,
        search_only=surface is Surface.FAQ,
        now=now,
    )
    request = None
    if asked.outcome is Outcome.LIVE_CASE and asked.question_id is not None:
        topics = list(asked.triage.best.entry.tags) if asked.triage.best else []
        request, _ = requests.create(
            session=session,
            settings=settings,
            asker_id=asker_id,
            text=text,
            question_id=asked.question_id,
            topics=topics,
            immediate_risk=asked.triage.immediate_risk,
            now=now,
        )
    handled = Handled(asked=asked, request=request)
    if reply_to is not None:
        shown = handled.shown.with_echo(clean_question(text) if echo else None)
        answers.answered(
            session=session,
            settings=settings,
            shown=shown,
            to=reply_to,
            today=(now or utcnow()).date(),
        )
    return handled


def rate(
    *,
    session: Session,
    settings: Settings,
    kb: KnowledgeBase,
    question_id: int,
    user_id: str,
    helpful: bool,
    now: datetime,
    reply_to: ReplyTo,
) -> None:
    """Record the asker's verdict on an answer and queue the answer redrawn with it."""
    given = give_feedback(
        session=session, question_id=question_id, user_id=user_id, helpful=helpful, now=now
    )
    shown = shown_for(session=session, kb=kb, question_id=given.question_id)
    answers.redrawn(session=session, settings=settings, shown=shown, to=reply_to, today=now.date())
