"""`/champbot`: help for everyone, figures for leads, the roster for admins."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt import App, Respond

from bot.services import admin
from bot.unit import Unit, listen
from bot.views.admin import curation_reply, help_reply, roster_reply, stats_reply
from bot.views.answers import notice
from bot.views.blocks import Reply
from bot.views.replies import ROSTER_USAGE, removed, role_changed


def register(app: App) -> None:
    """Register `/champbot`."""
    listen(app.command("/champbot"), on_champbot)


def on_champbot(unit: Unit, command: dict[str, Any], respond: Respond) -> None:
    """One `/champbot` subcommand; the reply goes to the caller alone."""
    raw = str(command.get("text") or "")
    try:
        words = shlex.split(raw)
    except ValueError:  # an unclosed quote: read it word by word
        words = raw.split()
    reply = dispatch(unit, words)
    unit.after_commit(
        lambda: respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    )


def dispatch(unit: Unit, words: list[str]) -> Reply:
    """The reply to `/champbot WORDS`."""
    sub = words[0].lower() if words else "help"
    session, caller = unit.session, unit.caller
    if sub == "stats":
        figures = admin.figures(session=session, caller=caller, now=unit.now)
        return stats_reply(
            figures.questions, requests=figures.requests, period=f"in the last {figures.days} days"
        )
    if sub == "unanswered":
        return curation_reply(
            admin.unanswered(session=session, caller=caller, user_id=unit.user_id or "")
        )
    if sub == "roster":
        return _roster(unit, words[1:])
    return help_reply(unit.settings.network_name)


def _roster(unit: Unit, words: list[str]) -> Reply:
    action = words[0].lower() if words else "list"
    session, caller, actor = unit.session, unit.caller, unit.user_id or ""
    if action == "add" and len(words) >= 3:
        member = admin.set_role(
            session=session,
            caller=caller,
            actor_id=actor,
            target=words[1],
            role_name=words[2],
            area=" ".join(words[3:]),
        )
        return notice(role_changed(member))
    if action == "remove" and len(words) >= 2:
        gone = admin.remove(session=session, caller=caller, actor_id=actor, target=words[1])
        return notice(removed(gone.user_id, was_on=gone.was_on))
    members = admin.members(session=session, caller=caller)
    return roster_reply(members) if action == "list" else notice(ROSTER_USAGE)
