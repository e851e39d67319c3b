"""Each force's own settings: its queue and network channels, its SLAs and offer timeout, and
who reviews the knowledge base there. The environment's values are the defaults; a force's
admins override them (`/champbot settings`). Services read them through `effective`, which the
unit of work and the clock hand them as their `Settings`."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import ForceSettings

_CACHE = "force_settings"
# What a force may set, and the Settings field each one overrides.
FIELDS = ("queue_channel", "network_channel", "offer_timeout", "claim_sla", "urgent_sla")


def effective(*, session: Session, defaults: Settings) -> Settings:
    """The settings of the workspace `session` works in: `defaults` (the environment's), with
    whatever that force's admins have set. Read once per session."""
    cached = session.info.get(_CACHE)
    if isinstance(cached, tuple) and cached[0] is defaults:
        return cached[1]
    row = session.scalar(select(ForceSettings))
    found = defaults
    if row is not None:
        changes: dict[str, object] = {
            name: getattr(row, name) for name in FIELDS if getattr(row, name) is not None
        }
        if row.kb_review_owners:
            changes["kb_review_owners"] = tuple(
                o for o in (x.strip() for x in row.kb_review_owners.split(",")) if o
            )
        found = replace(defaults, **changes)  # type: ignore[arg-type]
    session.info[_CACHE] = (defaults, found)
    return found


def own(*, session: Session) -> ForceSettings | None:
    """What this force's admins have set (None: nothing yet)."""
    return session.scalar(select(ForceSettings))
