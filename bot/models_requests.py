"""The case-advice tables: an officer's live case (a request) and each offer of it to one
champion, in one routing round."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.columns import UTCDateTime, utcnow
from bot.columns import enum_column as _enum
from bot.models import Base
from bot.tenancy import Tenanted


class RequestStatus(enum.StrEnum):
    """Where a case-advice request stands."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class OfferStatus(enum.StrEnum):
    """Where one champion's offer of a request stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    PASSED = "passed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Request(Tenanted, Base):
    """An officer's live case, routed to a champion. `text` and `outcome_note` are purged."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_status_sla", "status", "sla_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asker_id: Mapped[str] = mapped_column(String(32), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)
    text_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    area: Mapped[str | None] = mapped_column(String(80))
    topics: Mapped[str] = mapped_column(String(400), default="")
    # The triage saw immediate risk: flagged to champions, first in line, on the urgent SLA.
    immediate_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, "request_status"), default=RequestStatus.OPEN
    )
    champion_id: Mapped[str | None] = mapped_column(String(32), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sla_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unavailable_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_note: Mapped[str | None] = mapped_column(Text)
    helped: Mapped[bool | None] = mapped_column(Boolean)
    # Closed by the clock (status cancelled) because it was still open past retention.
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def topic_list(self) -> list[str]:
        """The request's topics as a list."""
        return [t for t in self.topics.split(",") if t]


class Offer(Tenanted, Base):
    """One request offered to one champion, in one routing round."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("request_id", "champion_id", "round", name="uq_offer_once_per_round"),
        Index("ix_offers_status_expires", "status", "expires_at"),
        # At most one offer of a request awaits an answer at any time, even under a race.
        Index(
            "uq_one_pending_offer",
            "request_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    champion_id: Mapped[str] = mapped_column(String(32), index=True)
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[OfferStatus] = mapped_column(
        _enum(OfferStatus, "offer_status"), default=OfferStatus.PENDING
    )
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
