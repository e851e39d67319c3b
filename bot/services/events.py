"""Slack's at-least-once delivery, made exactly-once: remember each event id."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import ProcessedEvent, utcnow
from bot.services import rows_changed

# A retry of an event whose first delivery is still being handled, or was handled, is dropped.
# If the first delivery was received but never handled (the process died), a retry this much
# later takes it over, so a crash loses nothing.
STALE_AFTER = timedelta(seconds=60)


def begin(*, session: Session, event_id: str, now: datetime | None = None) -> bool:
    """True if this delivery should be handled; False if it is a duplicate."""
    now = now or utcnow()
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
        return True
    except IntegrityError:
        pass
    taken = session.execute(
        update(ProcessedEvent)
        .where(
            ProcessedEvent.event_id == event_id,
            ProcessedEvent.handled_at.is_(None),
            ProcessedEvent.received_at < now - STALE_AFTER,
        )
        .values(received_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(rows_changed(taken))


def finish(*, session: Session, event_id: str, now: datetime | None = None) -> None:
    """Mark an event handled, so no retry repeats it."""
    session.execute(
        update(ProcessedEvent)
        .where(ProcessedEvent.event_id == event_id)
        .values(handled_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def was_handled(*, session: Session, event_id: str) -> bool:
    """Whether an event has been handled."""
    handled = session.scalar(
        select(ProcessedEvent.handled_at).where(ProcessedEvent.event_id == event_id)
    )
    return handled is not None
