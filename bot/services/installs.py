"""A workspace the app has left (uninstalled, or its bot token revoked): nothing more is
delivered there. Its pending outbox rows are cancelled, not held, since a reinstall months later
must not post stale notices; every figure, request and audit row of it stays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.models import OutboxMessage, OutboxStatus
from bot.services import rows_changed
from bot.services.audit import record


def stop_delivery(
    *,
    session: Session,
    team_id: str | None,
    enterprise_id: str | None,
    now: datetime,
    reason: str,
) -> int:
    """Cancel every pending outbox row of the workspace (`team_id`), or of every workspace of
    the organisation (`team_id` None: an org-wide install); how many were cancelled."""
    query = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
    if team_id:
        query = query.where(OutboxMessage.team_id == team_id)
    else:
        query = query.where(OutboxMessage.enterprise_id == enterprise_id)
    done = session.execute(
        query.values(
            status=OutboxStatus.CANCELLED, locked_until=None, error=reason
        ).execution_options(synchronize_session=False)
    )
    cancelled = rows_changed(done)
    record(
        session=session,
        actor_id="slack",
        action=f"install.{reason}",
        subject_type="workspace",
        subject_id=team_id or enterprise_id or "",
        detail=f"{cancelled} pending messages cancelled",
        at=now,
    )
    return cancelled
