"""Flows that compose services: a question that turns out to be a live case becomes a request."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.replies import ReplyTo
from bot.knowledge import KnowledgeBase
from bot.knowledge.shown import Shown
from bot.models import Outcome, Request, Surface, utcnow
from bot.notify import answers
from bot.services import questions, requests


@dataclass(frozen=True)
class Handled:
    """A question answered, and the request it opened if it was a live case."""

    asked: questions.Asked
    request: Request | None

    @property
    def shown(self) -> Shown:
        """What the reply shows, with the request a live case opened."""
        shown = self.asked.shown
        return replace(shown, request_id=self.request.id) if self.request else shown


def ask(
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
    asked = questions.ask(
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
        shown = handled.shown.with_echo(questions.clean_question(text) if echo else None)
        answers.answered(
            session=session,
            settings=settings,
            shown=shown,
            to=reply_to,
            today=(now or utcnow()).date(),
        )
    return handled


def feedback(
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
    given = questions.give_feedback(
        session=session, question_id=question_id, user_id=user_id, helpful=helpful, now=now
    )
    shown = questions.shown_for(session=session, kb=kb, question_id=given.question_id)
    answers.redrawn(session=session, settings=settings, shown=shown, to=reply_to, today=now.date())
