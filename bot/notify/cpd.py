"""CPD messages, rendered and queued: the reminder before a champion's CPD falls due, and the
DM telling a champion a lead has logged a session for them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.cpd import Standing
from bot.models import CpdActivity
from bot.services import outbox, refs
from bot.views import cpd as views


def reminder(*, session: Session, standing: Standing, settings: Settings) -> None:
    """The one DM before the champion's CPD falls due."""
    assert standing.due_on is not None
    reply = views.reminder_dm(standing, network_name=settings.network_name)
    outbox.post(
        session=session,
        channel=standing.user_id,
        text=reply.text,
        blocks=reply.blocks,
        ref=refs.cpd_reminder(standing.user_id, standing.due_on.isoformat()),
    )


def session_logged(*, session: Session, activity: CpdActivity, by: str) -> None:
    """The champion hears that a lead logged a training session on their CPD record."""
    reply = views.session_logged_dm(activity, by=by)
    outbox.post(session=session, channel=activity.user_id, text=reply.text, blocks=reply.blocks)
