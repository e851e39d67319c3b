"""Each force's own settings: its queue and network channels, its SLAs and offer timeout, and
who reviews the knowledge base there. The environment's values are the defaults; a force's
admins override them (`/champbot settings`). Services read them through `effective`, which the
unit of work and the clock hand them as their `Settings`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import BadSettingValue, UnknownSetting
from bot.domain.forces import Setting
from bot.models import ForceSettings, Member
from bot.services import audit
from bot.services.policy import Act, require

_CACHE = "force_settings"


@dataclass(frozen=True)
class _Field:
    name: str  # in `/champbot settings`
    column: str  # on ForceSettings and Settings
    kind: str  # "channel", "seconds" or "people"


FIELDS = (
    _Field("queue", "queue_channel", "channel"),
    _Field("network", "network_channel", "channel"),
    _Field("offer-timeout", "offer_timeout", "seconds"),
    _Field("claim-sla", "claim_sla", "seconds"),
    _Field("urgent-sla", "urgent_sla", "seconds"),
    _Field("kb-owners", "kb_review_owners", "people"),
)
NAMES = tuple(f.name for f in FIELDS)
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,30}$")
_PERSON = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_SPAN = re.compile(r"^(\d{1,6})\s*(s|sec|secs|m|min|mins|h|hr|hrs|hours?|minutes?|seconds?)?$")
_UNIT = {"s": 1, "m": 60, "h": 3600}
MIN_SECONDS, MAX_SECONDS = 60, 7 * 24 * 3600


def _own_values(row: ForceSettings) -> dict[str, object]:
    changes: dict[str, object] = {}
    for f in FIELDS:
        value = getattr(row, f.column)
        if value is None or value == "":
            continue
        changes[f.column] = tuple(value.split(",")) if f.kind == "people" else value
    return changes


def effective(*, session: Session, defaults: Settings) -> Settings:
    """The settings of the workspace `session` works in: `defaults` (the environment's), with
    whatever that force's admins have set. Read once per session."""
    cached = session.info.get(_CACHE)
    if isinstance(cached, tuple) and cached[0] is defaults:
        found: Settings = cached[1]
        return found
    row = session.scalar(select(ForceSettings))
    found = defaults if row is None else replace(defaults, **_own_values(row))  # type: ignore[arg-type]
    session.info[_CACHE] = (defaults, found)
    return found


def show(*, session: Session, caller: Member | None, defaults: Settings) -> list[Setting]:
    """Every setting of the caller's force and whether the force set it, for leads and admins."""
    require(caller, Act.SEE_SETTINGS)
    return _listing(session, defaults)


def _listing(session: Session, defaults: Settings) -> list[Setting]:
    row = session.scalar(select(ForceSettings))
    own = _own_values(row) if row is not None else {}
    now = effective(session=session, defaults=defaults)
    out = []
    for f in FIELDS:
        value = getattr(now, f.column)
        text = ",".join(value) if isinstance(value, tuple) else ("" if value is None else value)
        out.append(Setting(f.name, str(text), f.column in own, f.kind))
    return out


def parse(field_name: str, words: list[str]) -> tuple[str, object | None]:
    """The column and value `/champbot settings NAME WORDS` sets (None: back to the default).
    Channels and people arrive as IDs (the listener reads Slack's mentions)."""
    f = next((f for f in FIELDS if f.name == field_name.lower()), None)
    if f is None:
        raise UnknownSetting(field_name, NAMES)
    raw = " ".join(words).strip()
    if raw.lower() in ("default", "reset"):
        return f.column, None
    if f.kind == "channel":
        if len(words) != 1 or not _CHANNEL.match(words[0]):
            raise BadSettingValue(f.name, raw, f.kind)
        return f.column, words[0]
    if f.kind == "people":
        people = [w for w in words if w]
        if not people or len(people) > 20 or not all(_PERSON.match(p) for p in people):
            raise BadSettingValue(f.name, raw, f.kind)
        return f.column, ",".join(dict.fromkeys(people))
    match = _SPAN.match(raw.lower())
    seconds = int(match.group(1)) * _UNIT[(match.group(2) or "m")[0]] if match else 0
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise BadSettingValue(f.name, raw, f.kind)
    return f.column, seconds


def change(
    *,
    session: Session,
    caller: Member | None,
    actor_id: str,
    name: str,
    words: list[str],
    defaults: Settings,
) -> list[Setting]:
    """Set (or, with "default", unset) one of the force's settings, for admins; audited."""
    require(caller, Act.CHANGE_SETTINGS)
    column, value = parse(name, words)
    row = session.scalar(select(ForceSettings).with_for_update())
    if row is None:
        row = ForceSettings()
        session.add(row)
    setattr(row, column, value)
    row.updated_by = actor_id
    session.flush()
    session.info.pop(_CACHE, None)
    audit.record(
        session=session,
        actor_id=actor_id,
        action="settings.change",
        subject_type="setting",
        subject_id=name.lower(),
        detail="default" if value is None else str(value)[:400],
    )
    return _listing(session, defaults)
