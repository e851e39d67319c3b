"""A champion's availability in a sentence, for `/champion`."""

from __future__ import annotations

from bot.models import Member
from bot.views.time import slack_time


def describe(member: Member, *, load: int, zone: str | None = None, routed: bool = True) -> str:
    """Where a champion stands: on, off or away, their load, area and skills (a time's fallback
    in `zone`, the champion's own where known). For a lead or admin (`routed` false: never
    offered requests) only what they hold."""
    if not routed:
        return (
            f"You have {load} request{'s' if load != 1 else ''} you claimed. Only champions are "
            "offered requests, so there is no availability to set for you."
        )
    if member.away_until:
        state = f"away until {slack_time(member.away_until, zone)}"
    else:
        state = "on duty" if member.on_duty else "off duty"
    return (
        f"You are *{state}*, with {load} of {member.max_active} requests and offers."
        + (f" Area: {member.area}." if member.area else "")
        + (f" Skills: {member.skills.replace(',', ', ')}." if member.skills else "")
    )
