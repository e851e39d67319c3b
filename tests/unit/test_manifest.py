"""The app manifest asks for exactly the scopes the code uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main
from bot.knowledge import load_entries
from bot.manifest import (
    AGENT_VIEW_EVENTS,
    AGENT_VIEW_METHODS,
    BOT_EVENTS,
    BOT_SCOPES,
    EVENT_SCOPES,
    METHOD_SCOPES,
    manifest,
)
from bot.services.outbox import METHODS, slack_methods
from tests.conftest import KB_DIR, ROOT

REFERENCE_EVENTS = ROOT.parent / "shared" / "slack-api-ref" / "events"


def test_the_manifest_asks_only_for_scopes_something_needs() -> None:
    scopes = manifest(url="https://champbot.example.org")["oauth_config"]["scopes"]["bot"]
    assert scopes == BOT_SCOPES
    needed = {"commands"}
    needed |= {
        s for m, group in METHOD_SCOPES.items() if m not in AGENT_VIEW_METHODS for s in group
    }
    needed |= {s for e in BOT_EVENTS for s in EVENT_SCOPES[e]}
    assert set(scopes) == needed
    # assistant:write only where the agent view is asked for (champbot manifest --agent-view)
    assert "assistant:write" not in scopes
    # History is read only to look for the bot's own post whose outcome is unknown (the
    # delivery's lookups); nothing lists DMs.
    history = {"channels:history", "groups:history", "im:history", "mpim:history"}
    assert set(METHOD_SCOPES["conversations.history"]) == history
    assert "im:read" not in scopes


def test_every_method_the_outbox_makes_has_its_scope_listed() -> None:
    called = {part for method in METHODS for part in slack_methods(method)} - {"response_url"}
    assert called <= METHOD_SCOPES.keys()


def test_event_scopes_agree_with_slacks_reference() -> None:
    if not REFERENCE_EVENTS.is_dir():
        pytest.skip(f"Slack's API reference is not at {REFERENCE_EVENTS}")
    for event in BOT_EVENTS + AGENT_VIEW_EVENTS:
        data = json.loads((REFERENCE_EVENTS / f"{event}.json").read_text())
        wanted = {s.replace(".", ":") for s in data["scopes"]}  # app_mentions.read → :read
        assert wanted == set(EVENT_SCOPES[event]), event


def _printed(capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, Any]:
    assert main(["manifest", "--url", "https://champbot.example.org", *flags]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_the_agent_view_manifest_adds_its_feature_scope_and_events(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAMPBOT_KB_DIR", str(KB_DIR))
    plain = _printed(capsys)
    agent = _printed(capsys, "--agent-view")
    assert "assistant_view" not in plain["features"]
    assert plain["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert plain["settings"]["event_subscriptions"]["bot_events"] == BOT_EVENTS

    view = agent["features"]["assistant_view"]
    assert "Stalking Champions" in view["assistant_description"]
    prompts = view["suggested_prompts"]
    assert len(prompts) == 4 and prompts[-1]["title"] == "Ask a champion about a case"
    titles = {e.title for e in load_entries(KB_DIR)}
    assert all(p["message"] in titles and p["title"] for p in prompts[:3])
    scopes = agent["oauth_config"]["scopes"]["bot"]
    assert set(scopes) == set(BOT_SCOPES) | {"assistant:write"}
    events = agent["settings"]["event_subscriptions"]["bot_events"]
    assert events == [*BOT_EVENTS, "assistant_thread_started", "assistant_thread_context_changed"]
    # everything else is the same app
    assert {k: v for k, v in agent["features"].items() if k != "assistant_view"} == plain[
        "features"
    ]


def test_an_agent_view_without_prompts_is_refused() -> None:
    with pytest.raises(ValueError):
        manifest(url="https://champbot.example.org", agent_view=True, description="x")
