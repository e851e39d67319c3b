"""The tables of workspaces themselves (those the deployment serves, and each force's settings),
and the indexes that lead with each row's workspace, for the queries of one force. Imported by
`bot.models`, which every caller imports them from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.columns import UTCDateTime, utcnow
from bot.models import (
    AuditEvent,
    Base,
    Broadcast,
    CurationItem,
    Member,
    Offer,
    Question,
    Request,
)
from bot.tenancy import Tenanted


class ForceSettings(Tenanted, Base):
    """A force's own settings, set by its admins; an unset one is the environment's."""

    __tablename__ = "force_settings"
    __table_args__ = (UniqueConstraint("team_id", name="uq_force_settings_team"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_channel: Mapped[str | None] = mapped_column(String(32))
    network_channel: Mapped[str | None] = mapped_column(String(32))
    offer_timeout: Mapped[int | None] = mapped_column(Integer)
    claim_sla: Mapped[int | None] = mapped_column(Integer)
    urgent_sla: Mapped[int | None] = mapped_column(Integer)
    # Who hears of knowledge entries past review in this force (Slack user IDs, comma-separated;
    # empty: the environment's, else each entry's owner, else the leads).
    kb_review_owners: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32))


class KnownWorkspace(Base):
    """A workspace the deployment serves. In single-workspace mode the one `auth.test` names,
    recorded at start-up (`home`), so the command line knows where it works."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    home: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the app was uninstalled there (None: served); its figures stay, nothing is sent.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _per_workspace(name: str, table: type[Base], *columns: str) -> Index:
    t = table.__table__
    return Index(name, t.c.team_id, *(t.c[c] for c in columns))


# The queries of one force (routing, App Home, figures, the clock's per-row work) filter by the
# workspace first; each of these indexes is in migration 0012.
INDEXES = [
    _per_workspace("ix_members_team_role", Member, "role"),
    _per_workspace("ix_questions_team_asker", Question, "asker_id"),
    _per_workspace("ix_questions_team_asked_at", Question, "asked_at"),
    _per_workspace("ix_curation_team_reviewed", CurationItem, "reviewed_at"),
    _per_workspace("ix_audit_team_at", AuditEvent, "at"),
    _per_workspace("ix_requests_team_status_sla", Request, "status", "sla_due_at"),
    _per_workspace("ix_requests_team_created", Request, "created_at"),
    _per_workspace("ix_requests_team_asker", Request, "asker_id"),
    _per_workspace("ix_requests_team_champion", Request, "champion_id", "status"),
    _per_workspace("ix_offers_team_champion", Offer, "champion_id", "status"),
    _per_workspace("ix_broadcasts_team_status", Broadcast, "status", "send_at"),
]
