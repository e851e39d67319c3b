"""`/champbot`: help for everyone, figures for leads, the roster for admins."""

from __future__ import annotations

import logging
import shlex
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.models import Role
from bot.runtime import Runtime
from bot.services import ServiceError, audit, questions, roster, stats
from bot.views.admin import curation_reply, help_reply, roster_reply, stats_reply
from bot.views.answers import notice
from bot.views.blocks import Reply

log = logging.getLogger(__name__)
LEADS = {Role.LEAD, Role.ADMIN}
ADMINS = {Role.ADMIN}


def register(app: App, runtime: Runtime) -> None:
    """Register `/champbot`."""

    @app.command("/champbot")
    def on_champbot(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        user_id = str(command.get("user_id", ""))
        try:
            words = shlex.split(str(command.get("text") or ""))
        except ValueError:
            words = str(command.get("text") or "").split()
        try:
            reply = dispatch(runtime, user_id, words)
        except ServiceError as refused:
            reply = notice(str(refused))
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


def dispatch(runtime: Runtime, user_id: str, words: list[str]) -> Reply:
    """Run one `/champbot` subcommand for `user_id`."""
    sub = words[0].lower() if words else "help"
    with runtime.db.session() as session:
        if sub == "stats":
            roster.require_role(
                session=session, slack_user_id=user_id, roles=LEADS, doing="see the figures"
            )
            since = runtime.now() - timedelta(days=30)
            return stats_reply(
                stats.question_figures(session=session, since=since),
                requests=stats.request_figures(session=session, since=since),
                period="in the last 30 days",
            )
        if sub == "unanswered":
            roster.require_role(
                session=session,
                slack_user_id=user_id,
                roles=LEADS,
                doing="review unanswered questions",
            )
            items = questions.for_curators(session=session)
            audit.record(
                session=session,
                actor_id=user_id,
                action="curation.view",
                subject_type="curation",
                subject_id=len(items),
            )
            return curation_reply(items)
        if sub == "roster":
            roster.require_role(
                session=session, slack_user_id=user_id, roles=ADMINS, doing="change the roster"
            )
            return _roster(session, user_id, words[1:])
    return help_reply(runtime.settings.network_name)


def _roster(session: Any, actor_id: str, words: list[str]) -> Reply:
    action = words[0].lower() if words else "list"
    if action == "list":
        return roster_reply(roster.list_members(session=session))
    if action == "add" and len(words) >= 3:
        try:
            role = Role(words[2].lower())
        except ValueError:
            raise ServiceError("The role must be officer, champion, lead or admin.") from None
        target = roster.check_user_id(words[1])
        roster.ensure_not_self_demotion(actor_id=actor_id, target_id=target, role=role)
        area = " ".join(words[3:]) or None
        member = roster.add(
            session=session, slack_user_id=target, role=role, actor_id=actor_id, area=area
        )
        return notice(f"<@{member.slack_user_id}> is now a {member.role.value}.")
    if action == "remove" and len(words) >= 2:
        target = roster.check_user_id(words[1])
        roster.ensure_not_self_demotion(actor_id=actor_id, target_id=target, role=Role.OFFICER)
        if roster.remove(session=session, slack_user_id=target, actor_id=actor_id):
            return notice(f"<@{target}> is off the roster; they can still ask questions.")
        return notice(f"<@{target}> was not on the roster.")
    return notice(
        "Use `/champbot roster list`, `/champbot roster add @someone ROLE [area]` or "
        "`/champbot roster remove @someone`. Roles: officer, champion, lead, admin."
    )
