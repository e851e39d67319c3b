"""`/champion on | off | away until … | status | area … | skills …`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import ServiceError, availability, requests
from bot.services.availability import Availability

USAGE = (
    "Use `/champion on`, `/champion off`, `/champion away until 2026-12-01` (or `until 17:00`, "
    "`until monday`, `for 3h`), `/champion status`, `/champion area North` or "
    "`/champion skills cyber,spo`."
)


def describe(a: Availability) -> str:
    """A champion's status in a sentence."""
    m = a.member
    if m.away_until:
        stamp = int(m.away_until.timestamp())
        fallback = f"{m.away_until:%d %b %H:%M} UTC"
        state = f"away until <!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"
    else:
        state = "on duty" if m.on_duty else "off duty"
    return (
        f"You are *{state}*, with {a.load} of {m.max_active} requests and offers."
        + (f" Area: {m.area}." if m.area else "")
        + (f" Skills: {m.skills.replace(',', ', ')}." if m.skills else "")
    )


def _tz(client: WebClient, user_id: str) -> str:
    try:
        return str(client.users_info(user=user_id)["user"].get("tz") or "Europe/London")
    except (SlackApiError, KeyError, TypeError):
        return "Europe/London"


def register(app: App, runtime: Runtime) -> None:
    """Register `/champion`."""

    @app.command("/champion")
    def on_champion(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        user_id = str(command.get("user_id", ""))
        words = str(command.get("text") or "").split()
        sub = words[0].lower() if words else "status"
        rest = " ".join(words[1:])
        now = runtime.now()
        try:
            with runtime.work() as s:
                if sub in ("on", "off"):
                    a = availability.set_on(session=s, user_id=user_id, on=sub == "on", now=now)
                    if sub == "on":
                        requests.route_waiting(session=s, settings=runtime.settings, now=now)
                    text = describe(a)
                elif sub == "away":
                    until = availability.parse_until(rest, now=now, tz=_tz(client, user_id))
                    text = describe(
                        availability.set_away(session=s, user_id=user_id, until=until, now=now)
                    )
                elif sub == "status":
                    text = describe(availability.status(session=s, user_id=user_id, now=now))
                elif sub == "area":
                    availability.set_profile(session=s, user_id=user_id, area=rest)
                    text = describe(availability.status(session=s, user_id=user_id, now=now))
                elif sub == "skills":
                    availability.set_profile(
                        session=s, user_id=user_id, skills=rest.replace(" ", ",").split(",")
                    )
                    text = describe(availability.status(session=s, user_id=user_id, now=now))
                else:
                    text = USAGE
        except ServiceError as refused:
            text = str(refused)
        respond(text=text, response_type="ephemeral")
