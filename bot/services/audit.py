"""The audit trail: who did what, to what, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import AuditEvent, utcnow


def record(
    *,
    session: Session,
    actor_id: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    detail: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to the session's transaction. `detail` must never hold typed text."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail[:400],
        at=at or utcnow(),
    )
    session.add(event)
    return event
