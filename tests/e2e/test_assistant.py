"""The agent view end to end: thread events and questions in a thread over signed HTTP, the
assistant methods answered by the emulation (and refused where the workspace lacks the view)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.models import Outcome, Question, Request, RequestStatus
from bot.views import assistant as view
from bot.views.text import truncate
from handlers import assistant as handler
from tests.conftest import OFFICER, RunningApp
from tests.e2e.helpers import blocks_of, ok_calls, posts_to, text_of
from tests.handlers.support import LIVE, QUESTION


@pytest.fixture
def agent_app(app: RunningApp) -> Iterator[RunningApp]:
    """The app in a workspace that has Slack's agent view (the emulation is shared: put back)."""
    app.emu.set_agent_view(True)
    try:
        yield app
    finally:
        app.emu.set_agent_view(False)


@pytest.fixture(autouse=True)
def fresh_fallback_log() -> Iterator[None]:
    handler._told.clear()
    yield
    handler._told.clear()


def start_thread(app: RunningApp) -> tuple[str, str]:
    envelope = app.emu.assistant_thread_started(OFFICER)
    assert app.slack.post_json(envelope).status == 200
    thread = envelope["event"]["assistant_thread"]
    return thread["channel_id"], thread["thread_ts"]


def ask_in_thread(app: RunningApp, channel: str, thread_ts: str, text: str) -> None:
    resp = app.slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "user": OFFICER,
            "channel": channel,
            "text": text,
            "ts": f"{time.time():.6f}",
            "thread_ts": thread_ts,
        }
    )
    assert resp.status == 200


def cleared(app: RunningApp, channel: str, thread_ts: str) -> dict[str, Any]:
    """Wait until the thread's status has been set and cleared again."""
    return app.emu.wait_for(
        lambda e: (
            (
                (t := e.assistant_thread(channel, thread_ts))
                and t.get("statuses")
                and t["status"] is None
                and t
            )
            or None
        )
    )


def test_opening_a_thread_sets_prompts_from_the_knowledge_base(agent_app: RunningApp) -> None:
    channel, thread_ts = start_thread(agent_app)
    thread = agent_app.emu.wait_for(
        lambda e: (t := e.assistant_thread(channel, thread_ts)) and t.get("suggested_prompts")
    )
    assert thread["title"] == view.PROMPTS_TITLE
    prompts = thread["prompts"]
    assert len(prompts) == 4
    assert prompts[-1]["title"] == "Ask a champion about a case"
    kb = agent_app.runtime.kb
    titles = {e.title: e for e in kb.entries}
    for prompt in prompts[:3]:
        entry = titles[prompt["message"]]  # each example is an entry's own question
        assert prompt["title"] == truncate(entry.title, 75)
    (call,) = ok_calls(agent_app, "assistant.threads.setSuggestedPrompts")
    assert call.args["thread_ts"] == thread_ts


def test_a_question_in_the_thread_shows_a_status_and_is_answered_there(
    agent_app: RunningApp,
) -> None:
    channel, thread_ts = start_thread(agent_app)
    ask_in_thread(agent_app, channel, thread_ts, QUESTION)
    answer = posts_to(agent_app, channel, "Sources:")
    assert answer.args["thread_ts"] == thread_ts
    thread = cleared(agent_app, channel, thread_ts)
    assert thread["statuses"] == [view.SEARCHING, ""]
    # the status went up before the answer and came down after it
    order = [
        (c.method, c.args.get("status"))
        for c in agent_app.emu.calls
        if c.ok and c.method in ("assistant.threads.setStatus", "chat.postMessage")
    ]
    assert order == [
        ("assistant.threads.setStatus", view.SEARCHING),
        ("chat.postMessage", None),
        ("assistant.threads.setStatus", ""),
    ]
    with agent_app.runtime.db.session() as s:
        (question,) = s.scalars(select(Question))
        assert question.outcome is Outcome.ANSWERED and question.channel_id == channel
    # the same reply as a DM: asked again at the top of the DM, it is drawn block for block
    # alike (only the question's own number in the buttons differs)
    agent_app.slack.dm(user=OFFICER, channel=channel, text=QUESTION)
    dm = agent_app.emu.wait_for(
        lambda e: [
            c
            for c in ok_calls(agent_app, "chat.postMessage")
            if c.args.get("channel") == channel and not c.args.get("thread_ts")
        ]
    )[0]
    assert [b["type"] for b in blocks_of(answer)] == [b["type"] for b in blocks_of(dm)]
    assert answer.args["text"] == dm.args["text"]


def test_a_live_case_in_the_thread_becomes_a_request(agent_app: RunningApp) -> None:
    channel, thread_ts = start_thread(agent_app)
    ask_in_thread(agent_app, channel, thread_ts, LIVE)
    reply = posts_to(agent_app, channel, "request #1")
    assert reply.args["thread_ts"] == thread_ts
    cleared(agent_app, channel, thread_ts)
    with agent_app.runtime.db.session() as s:
        (req,) = s.scalars(select(Request))
        assert req.asker_id == OFFICER and req.status is RequestStatus.OPEN


def test_the_ask_a_champion_prompt_reaches_a_champion(agent_app: RunningApp) -> None:
    channel, thread_ts = start_thread(agent_app)
    ask_in_thread(agent_app, channel, thread_ts, view.ASK_CHAMPION_MESSAGE)
    reply = posts_to(agent_app, channel, "request #1")
    assert reply.args["thread_ts"] == thread_ts


def test_without_the_agent_view_the_answer_is_still_posted_quietly(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    # A workspace without the view: Slack refuses the prompts and the status line with
    # not_agent_app; a thread of the classic DM reaches the same listener.
    caplog.set_level(logging.INFO, logger="handlers.assistant")
    channel, started = start_thread(app)
    app.emu.wait_for(lambda e: e.find_calls("assistant.threads.setSuggestedPrompts") or None)
    threads = (started, "1700000000.000200")
    for n, thread_ts in enumerate(threads, start=1):
        ask_in_thread(app, channel, thread_ts, QUESTION)
        app.emu.wait_for(
            lambda e, n=n: len(ok_calls(app, "chat.postMessage")) >= n or None, timeout=10
        )
    time.sleep(0.3)  # room for anything else the bot would have sent
    answers = ok_calls(app, "chat.postMessage")
    assert [a.args["thread_ts"] for a in answers] == list(threads)
    assert all(a.args["channel"] == channel and "Sources:" in text_of(a) for a in answers)
    assert not ok_calls(app, "chat.postEphemeral") and not app.emu.responses
    refused = [(c.method, c.error) for c in app.emu.calls if c.method.startswith("assistant.")]
    assert refused == [
        ("assistant.threads.setSuggestedPrompts", "not_agent_app"),
        ("assistant.threads.setStatus", "not_agent_app"),  # never cleared: it was never shown
        ("assistant.threads.setStatus", "not_agent_app"),
    ]
    told = [r for r in caplog.records if r.name == "handlers.assistant"]
    assert len(told) == 1 and told[0].levelno == logging.INFO
    assert "not_agent_app" in told[0].getMessage()
    assert QUESTION not in caplog.text


def test_moving_channels_with_the_thread_open_keeps_nothing(agent_app: RunningApp) -> None:
    channel, thread_ts = start_thread(agent_app)
    agent_app.emu.wait_for(lambda e: ok_calls(agent_app, "assistant.threads.setSuggestedPrompts"))
    before = len(agent_app.emu.calls)
    changed = agent_app.emu.assistant_thread_context_changed(
        channel, thread_ts, context_channel="CGENERAL"
    )
    assert agent_app.slack.post_json(changed).status == 200
    time.sleep(0.5)
    # Bolt's default would read the thread and write the channel into its first message.
    assert agent_app.emu.calls[before:] == []
