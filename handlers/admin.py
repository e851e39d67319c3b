"""`/champbot`: help for everyone, figures and the roster for leads, roster changes for admins."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import admin, forces, replies
from bot.unit import Unit, listen
from bot.views.admin import curation_reply, help_reply, roster_reply, stats_reply
from bot.views.answers import notice
from bot.views.blocks import Reply
from bot.views.forces import settings_reply
from bot.views.replies import ROSTER_USAGE, removed, role_changed
from handlers import profiles
from handlers.questions import to_person
from handlers.slack_text import to_id


def register(app: App) -> None:
    """Register `/champbot`."""
    listen(app.command("/champbot"), on_champbot)


def on_champbot(unit: Unit, command: dict[str, Any], client: WebClient) -> None:
    """One `/champbot` subcommand; the reply goes to the caller alone."""
    raw = str(command.get("text") or "")
    try:
        words = shlex.split(raw)
    except ValueError:  # an unclosed quote: read it word by word
        words = raw.split()
    reply = dispatch(unit, words, client)
    to = to_person(command, unit.user_id or "")
    replies.tell(session=unit.session, to=to, text=reply.text, blocks=reply.blocks)


def dispatch(unit: Unit, words: list[str], client: WebClient) -> Reply:
    """The reply to `/champbot WORDS`."""
    sub = words[0].lower() if words else "help"
    session, caller = unit.session, unit.caller
    if sub == "stats":
        found = admin.figures(session=session, caller=caller, now=unit.now, settings=unit.settings)
        # Slack is asked only for the champions the reply names (the first 20).
        names = {
            uid: profiles.display_name(client, uid) or stand_in
            for uid, stand_in in list(found.pseudonyms.items())[:20]
        }
        titles = {e.id: e.title for e in unit.kb.entries}
        return stats_reply(
            found.figures, period=f"in the last {found.days} days", names=names, titles=titles
        )
    if sub == "unanswered":
        return curation_reply(
            admin.unanswered(session=session, caller=caller, user_id=unit.user_id or "")
        )
    if sub == "roster":
        return _roster(unit, words[1:])
    if sub == "settings":
        return _settings(unit, words[1:])
    return help_reply(unit.settings.network_name)


def _roster(unit: Unit, words: list[str]) -> Reply:
    action = words[0].lower() if words else "list"
    session, caller, actor = unit.session, unit.caller, unit.user_id or ""
    if action == "list":
        return roster_reply(admin.members(session=session, caller=caller))
    if action not in ("add", "remove"):
        return notice(ROSTER_USAGE)
    # A change is refused for who is asking before its words are read, so a lead typing a
    # half-finished `add` learns who can make changes rather than how to spell them.
    admin.check_may_change(caller=caller)
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
    return notice(ROSTER_USAGE)


def _settings(unit: Unit, words: list[str]) -> Reply:
    """`/champbot settings` lists this force's settings; `settings NAME VALUE` changes one."""
    defaults = unit.defaults
    if not words:
        return settings_reply(
            forces.show(session=unit.session, caller=unit.caller, defaults=defaults)
        )
    changed = forces.change(
        session=unit.session,
        caller=unit.caller,
        actor_id=unit.user_id or "",
        name=words[0],
        words=[to_id(w) for w in words[1:]],
        defaults=defaults,
    )
    return settings_reply(changed, changed=words[0].lower())
