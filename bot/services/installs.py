"""A workspace the app has left (uninstalled, or its bot token revoked): nothing more is
delivered there. Its pending outbox rows are cancelled, not held, since a reinstall months later
must not post stale notices; every figure, request and audit row of it stays, and the workspace
is marked as left (national figures still show it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.models import KnownWorkspace, OutboxMessage, OutboxStatus
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
    the organisation (`team_id` None: an org-wide install), and mark it left; how many rows
    were cancelled. `session` works across every workspace."""
    rows = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
    known = update(KnownWorkspace)
    if team_id:
        rows = rows.where(OutboxMessage.team_id == team_id)
        known = known.where(KnownWorkspace.team_id == team_id)
    else:
        rows = rows.where(OutboxMessage.enterprise_id == enterprise_id)
        known = known.where(KnownWorkspace.enterprise_id == enterprise_id)
    done = session.execute(
        rows.values(
            status=OutboxStatus.CANCELLED, locked_until=None, error=reason
        ).execution_options(synchronize_session=False)
    )
    session.execute(
        known.where(KnownWorkspace.left_at.is_(None))
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(done)


def record_left(
    *,
    session: Session,
    team_id: str | None,
    enterprise_id: str | None,
    cancelled: int,
    now: datetime,
    reason: str,
) -> None:
    """The audit row of the workspace the event came from."""
    record(
        session=session,
        actor_id="slack",
        action=f"install.{reason}",
        subject_type="workspace",
        subject_id=team_id or enterprise_id or "",
        detail=f"{cancelled} pending messages cancelled",
        at=now,
    )
