"""The curators' reminder: an owner's entries past review, rendered and queued."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.knowledge import Entry
from bot.services import outbox, refs
from bot.views.admin import review_reminder


def remind_owner(*, session: Session, owner: str, entries: Sequence[Entry], now: datetime) -> bool:
    """Tell one owner, once per ISO week, which of their entries are past review.

    The ref names the owner and the week, so a second sweep or a second clock in the same week
    adds nothing. False if they have been told this week already.
    """
    year, week, _ = now.isocalendar()
    ref = refs.kb_review(owner, year, week)
    if outbox.exists(session=session, ref=ref):
        return False
    message = review_reminder(entries)
    try:
        with session.begin_nested():
            outbox.post(
                session=session, channel=owner, text=message.text, blocks=message.blocks, ref=ref
            )
    except IntegrityError:
        return False  # another clock told them a moment ago
    return True
