"""Officers' questions: triage against the knowledge base, record, feedback (their text is
purged by `bot.services.retention`)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import EmptyQuestion, NotTheAsker, QuestionGone, QuestionTooLong
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
from bot.services.audit import record

MAX_QUESTION_CHARS = 3000
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]"
)
_SPACES = re.compile(r"[ \t]+")


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


def clean_question(text: str) -> str:
    """The question with control and invisible characters removed and spacing tidied."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def validate_question(text: str, *, subject: str) -> str:
    """The cleaned question, or ServiceError saying plainly what to do instead."""
    cleaned = clean_question(text)
    if not cleaned:
        raise EmptyQuestion(subject)
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(len(cleaned), MAX_QUESTION_CHARS)
    return cleaned


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
        _audit_kept(session, item, actor_id=asker_id)
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
            keep_for_curators(session, question.id, CurationReason.NOT_HELPFUL, actor_id=user_id)
    return FeedbackGiven(
        question_id=question.id, feedback=verdict, entry_id=question.entry_id, changed=changed
    )


def keep_for_curators(
    session: Session, question_id: int, reason: CurationReason, *, actor_id: str
) -> None:
    """Keep a question for the curators once per reason, audited as `actor_id`'s doing."""
    exists = session.scalar(
        select(CurationItem.id).where(
            CurationItem.question_id == question_id, CurationItem.reason == reason
        )
    )
    if exists:
        return
    item = CurationItem(question_id=question_id, reason=reason)
    try:
        with session.begin_nested():  # two clicks at once: the unique constraint decides
            session.add(item)
    except IntegrityError:
        return
    _audit_kept(session, item, actor_id=actor_id)


def _audit_kept(session: Session, item: CurationItem, *, actor_id: str) -> None:
    """The audit row of a question kept for the curators (ids and the reason, never its text)."""
    record(
        session=session,
        actor_id=actor_id,
        action="curation.add",
        subject_type="curation",
        subject_id=item.id,
        detail=f"question {item.question_id}; {item.reason.value}",
    )


def for_curators(*, session: Session, limit: int = 50) -> list[tuple[CurationItem, Question]]:
    """Questions awaiting the curators, newest first."""
    rows = session.execute(
        select(CurationItem, Question)
        .join(Question, CurationItem.question_id == Question.id)
        .where(CurationItem.reviewed_at.is_(None))
        .order_by(CurationItem.created_at.desc(), CurationItem.id.desc())
        .limit(limit)
    )
    return [(item, question) for item, question in rows]


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
