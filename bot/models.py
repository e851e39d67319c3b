"""The database tables, as typed SQLAlchemy models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.columns import UTCDateTime, utcnow
from bot.columns import enum_column as _enum
from bot.tenancy import Tenanted

__all__ = ["utcnow"]  # kept here too: most of the code takes the clock from the models


class Base(DeclarativeBase):
    """Declarative base for every table."""


class Role(enum.StrEnum):
    """What a member of the roster may do."""

    OFFICER = "officer"
    CHAMPION = "champion"
    LEAD = "lead"
    ADMIN = "admin"
    # Above every force's leads, granted by the operator alone (`champbot roster add`).
    NATIONAL_LEAD = "national-lead"


class Surface(enum.StrEnum):
    """Where in Slack a question was asked."""

    DM = "dm"
    MENTION = "mention"
    ASK = "ask"
    FAQ = "faq"
    SHORTCUT = "shortcut"
    CONSOLE = "console"


class Outcome(enum.StrEnum):
    """Which of the four cases a question landed in."""

    ANSWERED = "answered"
    LIVE_CASE = "live_case"
    NOT_COVERED = "not_covered"
    OFF_TOPIC = "off_topic"


class Feedback(enum.StrEnum):
    """An officer's verdict on an answer."""

    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


class CurationReason(enum.StrEnum):
    """Why a question was kept for the knowledge base's curators."""

    NO_MATCH = "no_match"
    NOT_HELPFUL = "not_helpful"
    ASKED_CHAMPION = "asked_champion"


class Member(Tenanted, Base):
    """Someone on the roster: an officer, champion, lead or admin."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "slack_user_id", name="uq_members_team_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))  # one member per workspace
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    area: Mapped[str | None] = mapped_column(String(80))
    skills: Mapped[str] = mapped_column(String(400), default="")
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_active: Mapped[int] = mapped_column(Integer, default=3)
    last_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def skill_list(self) -> list[str]:
        """The member's skills as a list."""
        return [s for s in (x.strip() for x in self.skills.split(",")) if s]


class Question(Tenanted, Base):
    """A question an officer asked, and how the bot answered it. `text` is purged on schedule."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asker_id: Mapped[str] = mapped_column(String(32), index=True)
    surface: Mapped[Surface] = mapped_column(_enum(Surface, "surface"))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    text_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome, "outcome"))
    entry_id: Mapped[str | None] = mapped_column(String(120), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    closest: Mapped[str] = mapped_column(String(400), default="")
    # What the reply showed (entry ids, comma-separated), so it can be drawn again unchanged:
    # entries shown whole, the answer first; and entries offered a tap away.
    shown_ids: Mapped[str] = mapped_column(String(400), default="", server_default="")
    also_ids: Mapped[str] = mapped_column(String(400), default="", server_default="")
    immediate_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    feedback: Mapped[Feedback | None] = mapped_column(_enum(Feedback, "feedback"))
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    curation: Mapped[list[CurationItem]] = relationship(back_populates="question")


class CurationItem(Tenanted, Base):
    """A question kept for the curators: no confident match, or an answer that did not help."""

    __tablename__ = "curation_items"
    __table_args__ = (
        UniqueConstraint("question_id", "reason", name="uq_curation_question_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    reason: Mapped[CurationReason] = mapped_column(_enum(CurationReason, "curation_reason"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(32))

    question: Mapped[Question] = relationship(back_populates="curation")


class InboxItem(Base):
    """A request from Slack whose work runs after its ack, written before the ack: a crash
    after it loses nothing (`bot.services.inbox`). Its unique columns also refuse a replayed
    signature, a repeated event and a slash command sent twice by a client."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The request as the listeners read it, less what they never need; typed text, so it is
    # cleared once the work is done.
    body: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(80), unique=True)
    event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A slash command's keyed digest in the two time slots it falls in (see the service).
    repeat_even: Mapped[str | None] = mapped_column(String(64), unique=True)
    repeat_odd: Mapped[str | None] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class AuditEvent(Tenanted, Base):
    """Who did what, to what, when. Never holds free text that a user typed."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(400), default="")


class OutboxStatus(enum.StrEnum):
    """Where an outgoing Slack call stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # withdrawn before it went (a broadcast cancelled or moved)


class OutboxMessage(Tenanted, Base):
    """One Web API call to make, written in the same transaction as the change it announces.

    `ref` names the message a post creates (e.g. "offer:12") so later rows can edit it:
    a `chat.update` row with `target_ref` waits until that message has been sent and has a `ts`.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_purge", "purged_at", "created_at"),
        UniqueConstraint("team_id", "ref", name="uq_outbox_team_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    method: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(String(80))  # unique per workspace
    target_ref: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an attempt's outcome is unknown (a 5xx or a timeout after the call was made, or
    # a claim left by a crash): Slack may have the message, so it is looked for (in the
    # conversation's history since then) before the row is sent again.
    unsure_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(200))
    # Whose typed text the payload copies ("request:12", "question:7"; `bot.services.refs`):
    # when that text is purged, so is the payload, and the Slack message is redacted.
    quotes: Mapped[str | None] = mapped_column(String(40), index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BroadcastCategory(enum.StrEnum):
    """What kind of update a lead is sharing with the network."""

    NATIONAL_POLICY = "national_policy"
    TREND = "trend"
    LOCAL_DATA = "local_data"
    RESOURCE = "resource"
    TRAINING = "training"


class BroadcastStatus(enum.StrEnum):
    """Where a broadcast stands. A draft is what the preview shows before the lead sends it."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENT = "sent"
    CANCELLED = "cancelled"


class Broadcast(Tenanted, Base):
    """A lead's update to the network: posted to the network channel now or at `send_at`.

    Its messages are outbox rows written when the lead confirms (scheduled ones with `due_at`);
    `revision` goes up whenever the send time changes, so the refs of the new rows are new.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_send_at", "status", "send_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[BroadcastCategory] = mapped_column(
        _enum(BroadcastCategory, "broadcast_category")
    )
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    links: Mapped[str] = mapped_column(Text, default="")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ask_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    dm_champions: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[BroadcastStatus] = mapped_column(
        _enum(BroadcastStatus, "broadcast_status"), default=BroadcastStatus.DRAFT
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    edit_of: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A training and CPD broadcast about a session: when it starts and the CPD hours it is
    # worth; champions press *I attended* once it has started, to log it.
    session_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cpd_hours: Mapped[float | None] = mapped_column(Float)
    # This force's copy of a national broadcast (`NationalBroadcast`), at most one per force.
    national_id: Mapped[int | None] = mapped_column(Integer)


class Acknowledgement(Tenanted, Base):
    """A champion's acknowledgement of a broadcast: one per champion, however often they click."""

    __tablename__ = "broadcast_acks"
    __table_args__ = (UniqueConstraint("broadcast_id", "user_id", name="uq_ack_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BroadcastReminder(Tenanted, Base):
    """A reminder to acknowledge: at most one from a lead and one from the bot, per champion."""

    __tablename__ = "broadcast_reminders"
    __table_args__ = (UniqueConstraint("broadcast_id", "user_id", "kind", name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Digest(Tenanted, Base):
    """The weekly digest: one row per week, whose unique key lets exactly one clock send it."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("team_id", "week", name="uq_digests_team_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(10))  # one digest a week per workspace
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# The consult outcome and CPD tables live beside these (split for length); imported here so
# that `bot.models` still names every table.
from bot.models_cpd import ConsultOutcome, CpdActivity, CpdReminder  # noqa: E402
from bot.models_reports import ReportRun  # noqa: E402
from bot.models_requests import Offer, OfferStatus, Request, RequestStatus  # noqa: E402

__all__ += ["ConsultOutcome", "CpdActivity", "CpdReminder", "ReportRun"]
__all__ += ["Offer", "OfferStatus", "Request", "RequestStatus"]

# The workspaces themselves, each force's settings, the indexes that lead with the workspace;
# national broadcasts (one row for the nation, one broadcast of it in each force).
from bot.models_national import NationalBroadcast  # noqa: E402
from bot.models_workspace import ForceSettings, KnownWorkspace  # noqa: E402

__all__ += ["ForceSettings", "KnownWorkspace", "NationalBroadcast"]
