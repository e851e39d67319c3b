"""Officers' questions: DMs, mentions, /ask and /faq, and the feedback buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.models import Surface
from bot.runtime import Runtime
from bot.services import ServiceError, flows, questions, requests
from bot.views import ids
from bot.views.answers import answer_reply, entry_blocks, notice
from bot.views.blocks import Reply
from handlers.middleware import finish_event
from handlers.slack_text import to_plain

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Register the question listeners."""

    def answer(
        *, user_id: str, text: str, surface: Surface, channel_id: str | None, echo: bool
    ) -> tuple[Reply, list[int]]:
        """The reply, and the outbox rows to deliver once it is out (a live case's notices)."""
        settings = runtime.settings
        try:
            with runtime.work_then() as (session, queued):
                handled = flows.ask(
                    session=session,
                    settings=settings,
                    kb=runtime.kb,
                    asker_id=user_id,
                    text=text,
                    surface=surface,
                    channel_id=channel_id,
                    now=runtime.now(),
                )
        except ServiceError as refused:
            return notice(str(refused)), []
        asked = handled.asked
        log.info(
            "question %s via %s: %s (score %.2f)",
            asked.question_id,
            surface.value,
            asked.triage.kind,
            asked.triage.best.score if asked.triage.best else 0.0,
        )
        reply = answer_reply(
            handled.shown.with_echo(questions.clean_question(text) if echo else None),
            network_name=settings.network_name,
            subject=settings.subject,
            today=runtime.today(),
        )
        return reply, queued

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        # Only plain messages a person sends the bot directly; edits, joins and bots are ignored.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id, channel = event.get("user"), event.get("channel")
        if not isinstance(user_id, str) or not isinstance(channel, str):
            return
        reply, queued = answer(
            user_id=user_id,
            text=to_plain(str(event.get("text") or "")),
            surface=Surface.DM,
            channel_id=channel,
            echo=False,
        )
        try:
            client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks)
        finally:
            runtime.deliver(queued)
        finish_event(runtime, context)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        user_id, channel = event.get("user"), event.get("channel")
        if event.get("bot_id") or not isinstance(user_id, str) or not isinstance(channel, str):
            return
        text = to_plain(str(event.get("text") or ""), bot_user_id=context.get("bot_user_id"))
        reply, queued = answer(
            user_id=user_id, text=text, surface=Surface.MENTION, channel_id=channel, echo=False
        )
        try:
            client.chat_postMessage(
                channel=channel,
                thread_ts=str(event.get("thread_ts") or event.get("ts")),
                text=reply.text,
                blocks=reply.blocks,
            )
        finally:
            runtime.deliver(queued)
        finish_event(runtime, context)

    def slash(surface: Surface) -> Any:
        def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
            ack()
            reply, queued = answer(
                user_id=str(command.get("user_id")),
                text=to_plain(str(command.get("text") or "")),
                surface=surface,
                channel_id=command.get("channel_id"),
                echo=True,
            )
            try:
                respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
            finally:
                runtime.deliver(queued)

        return on_command

    app.command("/ask")(slash(Surface.ASK))
    app.command("/faq")(slash(Surface.FAQ))

    def on_feedback(helpful: bool) -> Any:
        def handler(
            ack: Ack,
            body: dict[str, Any],
            action: dict[str, Any],
            respond: Respond,
            client: WebClient,
        ) -> None:
            ack()
            user_id = str(body.get("user", {}).get("id", ""))
            try:
                question_id = int(str(action.get("value", "")))
                with runtime.db.session() as session:
                    given = questions.give_feedback(
                        session=session,
                        question_id=question_id,
                        user_id=user_id,
                        helpful=helpful,
                        now=runtime.now(),
                    )
                    shown = questions.shown_for(
                        session=session, kb=runtime.kb, question_id=given.question_id
                    )
            except ValueError:
                respond(
                    text="That button is out of date; please ask again.", replace_original=False
                )
                return
            except ServiceError as refused:
                respond(text=str(refused), response_type="ephemeral", replace_original=False)
                return
            reply = answer_reply(
                shown,
                network_name=runtime.settings.network_name,
                subject=runtime.settings.subject,
                today=runtime.today(),
            )
            _replace(body, client, respond, reply)

        return handler

    app.action(ids.FEEDBACK_HELPFUL)(on_feedback(True))
    app.action(ids.FEEDBACK_NOT_HELPFUL)(on_feedback(False))

    @app.action(ids.ASK_CHAMPION)
    def on_ask_champion(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        user_id = str(body.get("user", {}).get("id", ""))
        try:
            question_id = int(str(action.get("value", "")))
            with runtime.work() as session:
                req, _ = requests.from_question(
                    session=session,
                    settings=runtime.settings,
                    question_id=question_id,
                    user_id=user_id,
                    kb=runtime.kb,
                    now=runtime.now(),
                )
                text = (
                    f"I've sent your question to the champions as request #{req.id}. "
                    "I'll message you as soon as one has it."
                )
        except ValueError:
            text = "That button is out of date; please ask again."
        except ServiceError as refused:
            text = str(refused)
        respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(ids.SHOW_ENTRY)
    def on_show_entry(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        entry_id = str(action.get("value", "")).partition(":")[2]
        entry = runtime.kb.get(entry_id)
        if entry is None:
            respond(text="That entry is no longer in the knowledge base.", replace_original=False)
            return
        respond(
            text=entry.title,
            blocks=entry_blocks(entry, today=runtime.today()),
            response_type="ephemeral",
            replace_original=False,
        )


def _replace(body: dict[str, Any], client: WebClient, respond: Respond, reply: Reply) -> None:
    """Replace the message a button sat on: in place if it is a real message, else by URL."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts and not container.get("is_ephemeral"):
        client.chat_update(channel=channel, ts=ts, text=reply.text, blocks=reply.blocks)
    else:
        respond(text=reply.text, blocks=reply.blocks, replace_original=True)
