"""`/champion on | off | away until … | status | area … | skills …`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import availability, replies
from bot.services.availability import Availability
from bot.unit import Unit, listen
from bot.views.availability import describe
from bot.views.replies import CHAMPION_USAGE
from handlers import profiles
from handlers.cpd import cpd_reply
from handlers.questions import to_person


def register(app: App) -> None:
    """Register `/champion`."""
    listen(app.command("/champion"), on_champion)


def on_champion(unit: Unit, command: dict[str, Any], client: WebClient) -> None:
    """One `/champion` subcommand; the champion's status comes back to them alone."""
    words = str(command.get("text") or "").split()
    sub = words[0].lower() if words else "status"
    rest = " ".join(words[1:])
    to = to_person(command, unit.user_id or "")
    if sub == "cpd":
        reply = cpd_reply(unit)
        replies.tell(session=unit.session, to=to, text=reply.text, blocks=reply.blocks)
        return
    text = _run(unit, client, sub, rest)
    replies.tell(session=unit.session, to=to, text=text)


def _run(unit: Unit, client: WebClient, sub: str, rest: str) -> str:
    session, user_id, caller, now = unit.session, unit.user_id or "", unit.caller, unit.now
    a: Availability
    if sub in ("on", "off"):
        a = availability.set_duty(
            session=session,
            settings=unit.settings,
            user_id=user_id,
            caller=caller,
            on=sub == "on",
            now=now,
        )
    elif sub == "away":
        # refuse non-champions before reading the time
        availability.status(session=session, user_id=user_id, caller=caller, now=now)
        until = availability.parse_until(rest, now=now, tz=profiles.zone(client, user_id))
        a = availability.set_away(
            session=session,
            settings=unit.settings,
            user_id=user_id,
            caller=caller,
            until=until,
            now=now,
        )
    elif sub == "status":
        a = availability.status(session=session, user_id=user_id, caller=caller, now=now)
    elif sub == "area":
        availability.set_profile(session=session, user_id=user_id, caller=caller, area=rest)
        a = availability.status(session=session, user_id=user_id, caller=caller, now=now)
    elif sub == "skills":
        skills = rest.replace(" ", ",").split(",")
        availability.set_profile(session=session, user_id=user_id, caller=caller, skills=skills)
        a = availability.status(session=session, user_id=user_id, caller=caller, now=now)
    else:
        return CHAMPION_USAGE
    return describe(
        a.member,
        load=a.load,
        zone=profiles.zone(client, user_id) if a.member.away_until else None,
        routed=a.routed,
    )
