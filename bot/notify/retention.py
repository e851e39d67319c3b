"""Retention's messages: the bot's own Slack messages edited to their redacted form, and who
hears that a request open past retention was closed. Queued in the outbox like every other
message, so they are paced (as bulk) and retried."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import OutboxMessage, Request
from bot.services import outbox, refs, roster
from bot.views import redacted as views
from bot.views.blocks import Reply


def redact_request_message(
    *, session: Session, settings: Settings, row: OutboxMessage, req: Request
) -> None:
    """Edit the message `row` posted, which quoted the request's text, to its redacted form."""
    _edit(session, row, views.request_message(req, days=settings.retention_days))


def redact_question_message(*, session: Session, settings: Settings, row: OutboxMessage) -> None:
    """Edit the message `row` posted, which quoted an officer's question, to its redacted form."""
    _edit(session, row, views.question_message(days=settings.retention_days))


def _edit(session: Session, row: OutboxMessage, reply: Reply) -> None:
    outbox.edit_sent(
        session=session,
        row=row,
        text=reply.text,
        blocks=reply.blocks,
        ref=refs.redaction(row.id),
    )


def stale_closed(
    *, session: Session, settings: Settings, req: Request, champion: str | None
) -> None:
    """The leads, the officer and the champion who held it hear that a request still open past
    retention is closed (its own messages are redacted when its text is purged)."""
    days = settings.retention_days
    for lead in roster.leads(session=session):
        _post(session, lead, views.stale_to_leads(req, days=days))
    _post(session, req.asker_id, views.stale_to_officer(req, days=days))
    if champion:
        _post(session, champion, views.stale_to_champion(req, days=days))


def _post(session: Session, channel: str, reply: Reply) -> None:
    outbox.post(session=session, channel=channel, text=reply.text, blocks=reply.blocks)
