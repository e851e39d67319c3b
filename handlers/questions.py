"""Officers' questions: DMs, mentions, /ask and /faq, the feedback buttons, *Ask a champion* and
*Show entry*."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond

from bot.domain.replies import ReplyTo
from bot.models import Surface
from bot.services import questions, replies, requests
from bot.unit import Unit, listen
from bot.views import ids
from bot.views.answers import entry_blocks
from bot.views.replies import NO_ENTRY, STALE_BUTTON, request_opened
from handlers.slack_text import to_plain
from handlers.values import StaleInput, button_id

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Register the question listeners."""
    listen(app.event("message"), on_message)
    listen(app.event("app_mention"), on_mention)
    listen(app.command("/ask"), on_ask)
    listen(app.command("/faq"), on_faq)
    listen(app.action(ids.FEEDBACK_HELPFUL), on_helpful)
    listen(app.action(ids.FEEDBACK_NOT_HELPFUL), on_not_helpful)
    listen(app.action(ids.ASK_CHAMPION), on_ask_champion)
    listen(app.action(ids.SHOW_ENTRY), on_show_entry)


def answer(
    unit: Unit,
    *,
    text: str,
    surface: Surface,
    channel_id: str | None,
    reply_to: ReplyTo,
    echo: bool = False,
) -> None:
    """Triage and record the question (a live case becomes a request), its reply queued to
    `reply_to` in the same transaction: delivered once it commits, retried until Slack has it."""
    handled = questions.handle(
        session=unit.session,
        settings=unit.settings,
        kb=unit.kb,
        asker_id=unit.user_id or "",
        text=text,
        surface=surface,
        channel_id=channel_id,
        now=unit.now,
        reply_to=reply_to,
        echo=echo,
    )
    asked = handled.asked
    log.info(
        "question %s via %s: %s (score %.2f)",
        asked.question_id,
        surface.value,
        asked.triage.kind,
        asked.triage.best.score if asked.triage.best else 0.0,
    )


def on_message(unit: Unit, event: dict[str, Any]) -> None:
    """A direct message to the bot."""
    # Only plain messages a person sends the bot directly; edits, joins and bots are ignored.
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    channel = event.get("channel")
    if not unit.user_id or not isinstance(channel, str):
        return
    text = to_plain(str(event.get("text") or ""))
    answer(unit, text=text, surface=Surface.DM, channel_id=channel, reply_to=ReplyTo.post(channel))


def on_mention(unit: Unit, event: dict[str, Any], context: dict[str, Any]) -> None:
    """`@bot question` in a channel: answered in a thread."""
    channel = event.get("channel")
    if event.get("bot_id") or not unit.user_id or not isinstance(channel, str):
        return
    text = to_plain(str(event.get("text") or ""), bot_user_id=context.get("bot_user_id"))
    thread = str(event.get("thread_ts") or event.get("ts"))
    answer(
        unit,
        text=text,
        surface=Surface.MENTION,
        channel_id=channel,
        reply_to=ReplyTo.post(channel, thread_ts=thread),
    )


def _slash(surface: Surface) -> Callable[[Unit, dict[str, Any]], None]:
    def on_command(unit: Unit, command: dict[str, Any]) -> None:
        text = to_plain(str(command.get("text") or ""))
        channel = command.get("channel_id")
        # A command's reply goes back through its response_url (every conversation takes one).
        to = to_person(command, unit.user_id or "")
        answer(unit, text=text, surface=surface, channel_id=channel, reply_to=to, echo=True)

    on_command.__name__ = f"on_{surface.value}"
    return on_command


on_ask = _slash(Surface.ASK)
on_faq = _slash(Surface.FAQ)


def _feedback(helpful: bool) -> Callable[..., None]:
    def on_feedback(unit: Unit, body: dict[str, Any], action: dict[str, Any]) -> None:
        questions.rate(
            session=unit.session,
            settings=unit.settings,
            kb=unit.kb,
            question_id=button_id(action),
            user_id=unit.user_id or "",
            helpful=helpful,
            now=unit.now,
            reply_to=_in_place(body),
        )

    on_feedback.__name__ = "on_helpful" if helpful else "on_not_helpful"
    return on_feedback


on_helpful = _feedback(True)
on_not_helpful = _feedback(False)


def on_ask_champion(unit: Unit, body: dict[str, Any], action: dict[str, Any]) -> None:
    """*Ask a champion* under an answer: the question becomes a request."""
    req, _ = requests.from_question(
        session=unit.session,
        settings=unit.settings,
        question_id=button_id(action),
        user_id=unit.user_id or "",
        kb=unit.kb,
        now=unit.now,
    )
    to = to_person(body, unit.user_id or "")
    replies.tell(session=unit.session, to=to, text=request_opened(req.id))


def to_person(body: dict[str, Any], user_id: str) -> ReplyTo:
    """Where an ephemeral reply to a command or a button goes: its response_url (the person
    gets it by DM should the URL expire first), or their DM with the bot when it has none."""
    url = body.get("response_url")
    return ReplyTo.respond(str(url), user=user_id) if url else ReplyTo.post(user_id)


def on_show_entry(unit: Unit, action: dict[str, Any], respond: Respond) -> None:
    """*Show entry*: one knowledge entry in full, to the person who asked."""
    entry = unit.kb.get(str(action.get("value", "")).partition(":")[2])
    if entry is None:
        respond(text=NO_ENTRY, replace_original=False)
        return
    respond(
        text=entry.title,
        blocks=entry_blocks(entry, today=unit.now.date()),
        response_type="ephemeral",
        replace_original=False,
    )


def _in_place(body: dict[str, Any]) -> ReplyTo:
    """Where the message a button sat on is redrawn: in place if it is a real message, else
    through the action's response_url."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts and not container.get("is_ephemeral"):
        return ReplyTo.edit(str(channel), str(ts))
    url = body.get("response_url")
    if not url:
        raise StaleInput(STALE_BUTTON)
    return ReplyTo.respond(str(url), user=None, replace=True)
