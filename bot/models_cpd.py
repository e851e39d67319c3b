"""The consult outcome and CPD tables: the champion's picks of what a consult's advice
covered, champions' CPD activities, and the reminders before CPD falls due."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.columns import UTCDateTime, utcnow
from bot.columns import enum_column as _enum
from bot.domain.cpd import ActivityKind, ActivitySource
from bot.domain.outcomes import ArrestAdvised, OffenceAdvised, SpoAdvice
from bot.models import Base
from bot.tenancy import Tenanted


class ConsultOutcome(Tenanted, Base):
    """What a resolved consult's advice covered, as the champion picked it: choices only, never
    free text, so kept for the pilot's life after the outcome's text is purged; and whether the
    officer said the advice changed what they did."""

    __tablename__ = "consult_outcomes"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    offence: Mapped[OffenceAdvised | None] = mapped_column(_enum(OffenceAdvised, "offence_advised"))
    arrest: Mapped[ArrestAdvised | None] = mapped_column(_enum(ArrestAdvised, "arrest_advised"))
    spo: Mapped[SpoAdvice | None] = mapped_column(_enum(SpoAdvice, "spo_advice"))
    risk_assessment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    risk_escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    marac: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    referral_isac: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    referral_helpline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    referral_paladin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    changed_practice: Mapped[bool | None] = mapped_column(Boolean)
    changed_practice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CpdActivity(Tenanted, Base):
    """One CPD activity (or the initial course) of one champion. `source_key` names what logged
    it (a form's view, a broadcast's *I attended*), so a repeat of the same logs nothing more.
    `note` is the one free text, purged with the rest after the retention period."""

    __tablename__ = "cpd_activities"
    __table_args__ = (
        UniqueConstraint("user_id", "source_key", name="uq_cpd_activity_once"),
        Index("ix_cpd_activities_user_held", "user_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind, "cpd_kind"))
    title: Mapped[str] = mapped_column(String(150))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    provider: Mapped[str] = mapped_column(String(120), default="", server_default="")
    note: Mapped[str | None] = mapped_column(Text)
    note_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[ActivitySource] = mapped_column(_enum(ActivitySource, "cpd_source"))
    source_key: Mapped[str | None] = mapped_column(String(80))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    recorded_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CpdReminder(Tenanted, Base):
    """A champion reminded that their CPD falls due on `due_on`: the row is the claim, so two
    clocks remind once, and a later due date may be reminded afresh."""

    __tablename__ = "cpd_reminders"
    __table_args__ = (UniqueConstraint("user_id", "due_on", name="uq_cpd_reminder_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
