"""A national lead's broadcast to every force: the nation's row, and the index that keeps one
copy of it per force (each copy a `Broadcast` of that force, `Broadcast.national_id`).
Imported by `bot.models`, which every caller imports it from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.columns import UTCDateTime, utcnow
from bot.models import Base, Broadcast


class NationalBroadcast(Base):
    """A national lead's broadcast to every force: one `Broadcast` row in each force's
    workspace (`Broadcast.national_id`), each posted to that force's network channel."""

    __tablename__ = "national_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[str] = mapped_column(String(32))
    author_team_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# At most one copy per force (migration 0013): a repeat of the same national broadcast skips
# the forces that have theirs.
_broadcasts = Broadcast.__table__
ONE_COPY_PER_FORCE = Index(
    "uq_broadcasts_team_national",
    _broadcasts.c.team_id,
    _broadcasts.c.national_id,
    unique=True,
)
