"""The assistant.threads.* methods: checked against the reference, refused without agent view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE, TOKEN, slack_error

AGENT = "xoxb-agent-workspace"
PROMPTS = [
    {"title": "Ask about a case", "message": "Ask a champion about a case"},
    {"title": "Stalking or harassment?", "message": "What is the difference?"},
]


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emu:
        emu.add_user(ALICE, name="alice")
        emu.add_channel("CGENERAL")
        emu.add_workspace("T0002", bot_token=AGENT, agent_view=True)
        emu.add_user("UOFFICER", name="officer", team_id="T0002")
        emu.add_channel("CCASES", team_id="T0002")
        yield emu


def agent(emu: SlackEmulator) -> WebClient:
    return WebClient(token=AGENT, base_url=emu.api_url)


def test_a_thread_started_event_and_the_three_methods(emu: SlackEmulator) -> None:
    started = emu.assistant_thread_started("UOFFICER", team_id="T0002", context_channel="CCASES")
    assert started["type"] == "event_callback" and started["team_id"] == "T0002"
    thread = started["event"]["assistant_thread"]
    assert started["event"]["type"] == "assistant_thread_started"
    assert thread["user_id"] == "UOFFICER" and thread["channel_id"].startswith("D")
    assert thread["channel_id"] == emu.im_channel("UOFFICER", team_id="T0002")
    assert thread["context"] == {"channel_id": "CCASES", "team_id": "T0002", "enterprise_id": None}
    channel, ts = thread["channel_id"], thread["thread_ts"]

    client = agent(emu)
    client.assistant_threads_setSuggestedPrompts(
        channel_id=channel, thread_ts=ts, prompts=PROMPTS, title="Try asking"
    )
    client.assistant_threads_setStatus(
        channel_id=channel, thread_ts=ts, status="is searching…", loading_messages=["Reading"]
    )
    client.assistant_threads_setTitle(channel_id=channel, thread_ts=ts, title="A case question")
    client.assistant_threads_setStatus(channel_id=channel, thread_ts=ts, status="")  # clears
    state = emu.assistant_thread(channel, ts, team_id="T0002")
    assert state is not None
    assert state["suggested_prompts"] == {"title": "Try asking", "prompts": PROMPTS}
    assert state["title"] == "A case question" and state["status"] is None
    assert state["statuses"] == ["is searching…", ""]
    calls = emu.find_calls(team_id="T0002")
    assert [c.method.rsplit(".", 1)[1] for c in calls] == [
        "setSuggestedPrompts",
        "setStatus",
        "setTitle",
        "setStatus",
    ]
    assert all(c.ok for c in calls) and emu.violations == []

    changed = emu.assistant_thread_context_changed(
        channel, ts, context_channel="CCASES", team_id="T0002"
    )
    assert changed["event"]["type"] == "assistant_thread_context_changed"
    assert changed["event"]["assistant_thread"]["thread_ts"] == ts
    assert emu.events == [started, changed]


def test_without_agent_view_the_methods_are_refused(emu: SlackEmulator) -> None:
    started = emu.assistant_thread_started(ALICE)  # the default workspace has no agent view
    thread = started["event"]["assistant_thread"]
    client = WebClient(token=TOKEN, base_url=emu.api_url)
    channel, ts = thread["channel_id"], thread["thread_ts"]
    calls = [
        lambda: client.assistant_threads_setSuggestedPrompts(channel_id=channel, prompts=PROMPTS),
        lambda: client.assistant_threads_setStatus(channel_id=channel, thread_ts=ts, status="…"),
        lambda: client.assistant_threads_setTitle(channel_id=channel, thread_ts=ts, title="t"),
    ]
    for call in calls:
        assert slack_error(call).response["error"] == "not_agent_app"
    assert emu.violations == []  # a classic app falling back is not a misuse
    emu.set_agent_view(True)
    assert calls[2]()["ok"]


def test_arguments_are_checked(emu: SlackEmulator) -> None:
    thread = emu.assistant_thread_started("UOFFICER", team_id="T0002")["event"]
    channel, ts = thread["assistant_thread"]["channel_id"], thread["assistant_thread"]["thread_ts"]
    client = agent(emu)

    def error(method: str, **args: object) -> str:
        return str(slack_error(lambda: client.api_call(method, json=args)).response["error"])

    prompts = "assistant.threads.setSuggestedPrompts"
    assert error(prompts, channel_id=channel, prompts=PROMPTS * 3) == "invalid_arguments"
    assert error(prompts, channel_id=channel, prompts=[{"title": "t"}]) == "invalid_arguments"
    assert error(prompts, channel_id=channel, prompts=[]) == "invalid_arguments"
    assert error(prompts, channel_id=channel) == "invalid_arguments"  # required
    assert error(prompts, channel_id="CNOWHERE", prompts=PROMPTS) == "channel_not_found"
    assert error(prompts, channel_id=channel, prompts=PROMPTS, colour="red") == (
        "invalid_arguments"
    )
    status = "assistant.threads.setStatus"
    many = [f"step {n}" for n in range(11)]
    assert error(status, channel_id=channel, thread_ts=ts, status="s", loading_messages=many) == (
        "invalid_arguments"
    )
    assert error(status, channel_id=channel, thread_ts="1.000001", status="s") == (
        "invalid_thread_ts"
    )
    assert error(status, channel_id=channel, status="s") == "invalid_arguments"  # no thread_ts
    title = "assistant.threads.setTitle"
    assert error(title, channel_id=channel, thread_ts=ts) == "invalid_arguments"
    assert error(title, channel_id=channel, thread_ts=ts, title=" ") == "invalid_arguments"
    assert emu.violations == [
        f"{prompts}: prompts: 6 given, at most 4",
        f"{prompts}: prompts[0].message must be text",
        f"{prompts}: missing required argument 'prompts'",  # an empty list is none
        f"{prompts}: missing required argument 'prompts'",
        f"{prompts}: unknown argument 'colour'",
        f"{status}: loading_messages: 11 given, at most 10",
        f"{status}: no assistant thread 1.000001 in {channel}",
        f"{status}: missing required argument 'thread_ts'",
        f"{title}: missing required argument 'title'",
        f"{title}: title must be non-empty text",
    ]
    # a thread the bot started by posting in the DM is a thread too
    posted = client.chat_postMessage(channel=channel, text="hello")["ts"]
    assert client.assistant_threads_setTitle(channel_id=channel, thread_ts=posted, title="t")
