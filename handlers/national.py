"""`/broadcast national …`: a national lead's broadcast to every force, its counts per force
and nationally, and every force's figures side by side."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot.services import national
from bot.tenancy import Workspace
from bot.unit import Unit
from bot.views import national as views


def on_national(unit: Unit, command: dict[str, Any], respond: Respond, words: list[str]) -> None:
    """`/broadcast national [dm] Title | Message`, `… status`, `… figures`; a force lead (or
    anyone else) is refused politely and nothing is sent."""
    user = unit.user_id or ""
    national.check(caller=unit.caller)
    rest = words[1:]
    sub = rest[0].lower() if rest else ""
    if sub in ("", "status"):
        reply = views.status_reply(national.recent(db=unit.db, caller=unit.caller))
    elif sub == "figures":
        found = national.figures_for(db=unit.db, caller=unit.caller)
        reply = views.figures_reply(found)
    else:
        dm = sub == "dm"
        # The message as typed (its line breaks kept), after "national" and "dm".
        text = str(command.get("text") or "").strip()[len(words[0]) :].lstrip()
        if dm:
            text = text[len(rest[0]) :].lstrip()
        title, _, body = (part.strip() for part in text.partition("|"))
        if not title or not body or len(title) > 150 or len(body) > 3000:
            respond(text=views.USAGE, response_type="ephemeral")
            return
        acks = national.broadcast(
            session=unit.session,
            db=unit.db,
            defaults=unit.defaults,
            author_id=user,
            caller=unit.caller,
            author=unit.workspace or Workspace(str(command.get("team_id") or "-")),
            title=title,
            body=body,
            dm_champions=dm,
            now=unit.now,
        )
        reply = views.sent_reply(acks)
    unit.after_commit(
        lambda: respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    )
