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


SYSTEM = "system"  # the actor of what the clock does


def by_clock(
    *,
    session: Session,
    action: str,
    subject_type: str,
    subject_id: str | int,
    at: datetime,
    detail: str = "",
) -> AuditEvent:
    """An audit row for a change nobody pressed a button for: an offer expiring, a warning, an
    escalation, away time ending, a scheduled broadcast going out."""
    return record(
        session=session,
        actor_id=SYSTEM,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail,
        at=at,
    )


def purged(
    *, session: Session, what: str, count: int, at: datetime, detail: str = ""
) -> AuditEvent:
    """The audit row of one retention purge: what was purged (a table or kind of text, e.g.
    "questions.text") and how many rows; never the text itself. Write one per kind per run,
    in the purge's own transaction, even when `count` is 0, so the trail shows it ran."""
    return by_clock(
        session=session,
        action="retention.purge",
        subject_type="retention",
        subject_id=what[:64],
        detail=f"{count} rows" + (f"; {detail}" if detail else ""),
        at=at,
    )
