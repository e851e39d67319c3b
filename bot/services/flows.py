"""Flows that compose services: a question that turns out to be a live case becomes a request."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.knowledge.shown import Shown
from bot.models import Outcome, Request, Surface
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
) -> Handled:
    """Triage and record a question; route a live case to a champion at once (never for /faq)."""
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
    return Handled(asked=asked, request=request)
