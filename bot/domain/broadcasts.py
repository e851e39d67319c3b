"""Broadcast values shared by the rules and the views.

The form's fields and limits, links, what a lead typed, the preview, acknowledgements and
the lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # the ORM rows these values carry; never imported at run time
    from bot.models import Broadcast, BroadcastCategory

DEFAULT_ZONE = "Europe/London"
ACK_OPTION, DM_OPTION = "ack", "dm"
# Fields of the form, by block id: the rules report problems under the same names.
CATEGORY, TITLE, MESSAGE, LINKS, SEND_AT, OPTIONS = (
    "category",
    "title",
    "message",
    "links",
    "send_at",
    "options",
)
MAX_TITLE, MAX_MESSAGE, MAX_LINKS_TEXT = 150, 3000, 3000
# A training and CPD broadcast about a session: when it starts and the CPD hours it is worth,
# so that champions can press *I attended* once it has started.
SESSION_AT, CPD_HOURS = "session_at", "cpd_hours"


def zone_or_default(zone: str | None) -> str:
    """A time zone Python knows, or the default one."""
    try:
        ZoneInfo(zone or DEFAULT_ZONE)
        return zone or DEFAULT_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE


@dataclass(frozen=True)
class Link:
    """A web address the broadcast points to, with an optional name."""

    url: str
    label: str = ""


@dataclass(frozen=True)
class Form:
    """What a lead typed into the broadcast form, as plain values."""

    category: str | None
    title: str
    message: str
    links: str = ""
    send_at: datetime | None = None
    ask_ack: bool = False
    dm_champions: bool = False
    time_zone: str = DEFAULT_ZONE
    session_at: datetime | None = None
    cpd_hours: str = ""  # as typed


@dataclass(frozen=True)
class FormValues:
    """What the form shows: empty for a new broadcast, the broadcast's own for an edit."""

    category: BroadcastCategory | None = None
    title: str = ""
    message: str = ""
    links: str = ""
    send_at: datetime | None = None
    ask_ack: bool = False
    dm_champions: bool = False
    session_at: datetime | None = None
    cpd_hours: float | None = None


@dataclass(frozen=True)
class Listed:
    """A broadcast as the lists show it, with its acknowledgement count."""

    broadcast: Broadcast
    acked: int
    total: int
    posted_at: datetime | None = None  # when Slack accepted the post; None: not (yet)
    post_failed: bool = False  # Slack refused the post and the outbox gave up on it


@dataclass(frozen=True)
class Preview:
    """A saved draft, and the broadcast exactly as it will be posted."""

    draft: Broadcast
    shown: Broadcast
    links: list[Link]
    acked: int
    total: int
    editing: Broadcast | None


@dataclass(frozen=True)
class AckResult:
    """An acknowledgement: new, or the one already recorded."""

    new: bool
    at: datetime
    acked: int
    total: int


@dataclass(frozen=True)
class Pending:
    """Champions who have not acknowledged a broadcast, with any lead's reminder to them."""

    broadcast: Broadcast
    missing: list[tuple[str, datetime | None]]
    acked: int
    total: int
