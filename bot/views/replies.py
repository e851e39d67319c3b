"""The short replies listeners give: confirmations, refusals, out-of-date buttons, failures."""

from __future__ import annotations

from typing import Any

from bot.models import Member
from bot.views.blocks import section
from bot.views.text import article, truncate

STALE_BUTTON = "That button is out of date; please ask again."
STALE_FORM = "This form is out of date; close it and start again."
NO_ENTRY = "That entry is no longer in the knowledge base."
CHAMPION_USAGE = (
    "Use `/champion on`, `/champion off`, `/champion away until friday 17:00` (or "
    "`until 3pm`, `until tomorrow`, `until 2026-12-24`, `for 2 days`, `for 3h`: in your own "
    "time zone), `/champion status`, `/champion area North`, `/champion skills cyber,spo` "
    "or `/champion cpd` (your CPD record; for leads, where every champion stands)."
)
BROADCAST_USAGE = (
    "`/broadcast` writes a broadcast to the network; `/broadcast list` shows the scheduled "
    "ones, to change or cancel them, and the recent ones with who has acknowledged."
)
ROSTER_USAGE = (
    "Use `/champbot roster list`, `/champbot roster add @someone ROLE [area]` or "
    "`/champbot roster remove @someone`. Roles: officer, champion, lead, admin."
)
ACK_RECORDED = "Thanks: your acknowledgement is recorded."
STALE_PREVIEW = "This preview is out of date."
STALE_LIST = "This list is out of date."
HELPED = "Thanks: that helps the network show its value."
NOT_HELPED = "Thanks for saying so; the leads review every request that didn't help."
CHANGED_PRACTICE = "Thanks: noted that the advice changed what you did on the case."
UNCHANGED_PRACTICE = "Thanks: noted that the advice didn't change what you did."


def failed(reference: str) -> str:
    """What someone hears when the bot itself failed: no detail, a reference for the logs."""
    return (
        f"Something went wrong on our side (reference {reference}). Please try again; if it "
        "keeps happening, tell a lead and give them the reference."
    )


def request_opened(request_id: int, *, from_message: bool = False) -> str:
    """A question or a message sent to the champions as a request."""
    what = "that message" if from_message else "your question"
    return (
        f"I've sent {what} to the champions as request #{request_id}. "
        "I'll message you as soon as one has it."
    )


def back_in_queue(request_id: int) -> str:
    """A released request."""
    return f"Request #{request_id} is back in the queue."


def role_changed(member: Member) -> str:
    """Someone's new role on the roster."""
    return f"<@{member.slack_user_id}> is now {article(member.role.value)} {member.role.value}."


def removed(user_id: str, *, was_on: bool) -> str:
    """Someone taken off the roster (or who was never on it)."""
    if was_on:
        return f"<@{user_id}> is off the roster; they can still ask questions."
    return f"<@{user_id}> was not on the roster."


def notice_modal(text: str, *, title: str) -> dict[str, Any]:
    """A modal that only tells someone something (where there is no message to reply under)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(truncate(text, 3000))],
    }


def already_acknowledged(when: str) -> str:
    """A second *Acknowledge*: when the first one was recorded (`when` already rendered)."""
    return f"You already acknowledged this on {when}."
