"""The monthly impact summary's table (beside `bot.models`, which names it too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.columns import UTCDateTime, utcnow
from bot.models import Base
from bot.tenancy import Tenanted


class ReportRun(Tenanted, Base):
    """The monthly impact summary of one calendar month: one row per month, whose unique key
    lets exactly one clock post it to the leads."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("team_id", "month", name="uq_report_runs_team_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", once per workspace
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    leads: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
