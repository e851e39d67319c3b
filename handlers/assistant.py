"""The app's Messages tab in Slack's agent view: suggested prompts when an officer opens a
thread, a status line while the bot searches, and the answer in the thread.

Bolt's own `Assistant` middleware routes the thread events (and every DM posted in a thread:
Slack gives the two no different shape); its listeners are registered through `bot.unit.listen`
like every other, so they run in the request's unit of work. Where the workspace (or the
installed manifest) lacks the agent feature, Slack refuses the assistant methods: the bot then
goes on as for a classic DM, the answer still posted in the thread, and says so once in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Assistant, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.replies import ReplyTo
from bot.models import Surface
from bot.services import prompts
from bot.unit import Unit, listen
from bot.views import assistant as view
from handlers.questions import answer
from handlers.slack_text import to_plain

log = logging.getLogger(__name__)

# The errors that mean "no agent view here": the app is not an agent app in this workspace, or
# its token lacks assistant:write (installed from the manifest without --agent-view).
UNSUPPORTED = frozenset({"not_agent_app", "missing_scope", "not_allowed_token_type"})
_told: set[str] = set()
_told_lock = threading.Lock()


def register(app: App) -> None:
    """Register the agent view's listeners, and Bolt's Assistant middleware that routes them."""
    agent = Assistant()
    listen(agent.thread_started, on_thread_started)
    listen(agent.thread_context_changed, on_thread_context_changed)
    listen(agent.user_message, on_thread_message)
    app.assistant(agent)


def on_thread_started(
    unit: Unit, event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """An officer opened a thread in the agent view: suggest what to ask."""
    thread = event.get("assistant_thread") or {}
    channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
    if not isinstance(channel, str) or not isinstance(thread_ts, str):
        return
    examples = prompts.suggested(session=unit.session, kb=unit.kb, now=unit.now)
    shown = view.suggested_prompts((e.title, e.message) for e in examples)
    team = _team(context)
    unit.after_commit(
        lambda: _agent_call(
            team,
            lambda: client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, prompts=shown, title=view.PROMPTS_TITLE
            ),
        )
    )


def on_thread_context_changed(unit: Unit, event: dict[str, Any]) -> None:
    """The officer moved to another channel with the thread open. The bot's answers do not
    depend on where they are looking, and where an officer looks is not the bot's to keep, so
    nothing is stored (Bolt's default would write it into the thread's first message)."""


def on_thread_message(
    unit: Unit, event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A question in a thread of the bot's DM: answered there, through the same flow and reply
    as a DM (a live case becomes a request), with a status line while the bot searches."""
    if event.get("subtype") or event.get("bot_id"):
        return
    channel, thread_ts = event.get("channel"), event.get("thread_ts")
    if not unit.user_id or not isinstance(channel, str) or not isinstance(thread_ts, str):
        return
    team = _team(context)
    status_shown = _agent_call(
        team,
        lambda: client.assistant_threads_setStatus(
            channel_id=channel,
            thread_ts=thread_ts,
            status=view.SEARCHING,
            loading_messages=view.LOADING,
        ),
    )
    text = to_plain(str(event.get("text") or ""))
    # The answer goes into the thread through the outbox, and the status line comes down
    # once it is there.
    to = ReplyTo.post(channel, thread_ts=thread_ts, clear_status=status_shown)
    answer(unit, text=text, surface=Surface.DM, channel_id=channel, reply_to=to)


def _team(context: BoltContext) -> str:
    return str(context.team_id or context.enterprise_id or "")


def _agent_call(team: str, call: Callable[[], object]) -> bool:
    """Make one assistant.threads call; whether Slack took it. A workspace without the agent
    view refuses it, and the bot carries on as for a classic DM: that is told once per
    workspace, at INFO, and never to the officer. The status line and the prompts are an aid,
    so no other refusal stops the answer either."""
    try:
        call()
        return True
    except SlackApiError as refused:
        error = str(refused.response.get("error", ""))
        if error in UNSUPPORTED:
            with _told_lock:
                first = team not in _told
                _told.add(team)
            if first:
                log.info("no agent view in workspace %s (%s): answering as a DM", team, error)
        else:
            log.warning("assistant call refused (%s); the answer goes on without it", error)
        return False
