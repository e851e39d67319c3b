"""The emulator's event envelopes and assistant methods as a real Bolt app meets them over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App, Assistant
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.emulator import SlackEmulator
from bot.slack_requests import SlackSender
from tests.emulator.support import ALICE, TOKEN

SECRET = "bolt-signing-secret"
SECOND = "xoxb-second-force"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emu:
        emu.add_user(ALICE, name="alice")
        emu.add_workspace("T0002", bot_token=SECOND, agent_view=True)
        emu.add_user("UOFFICER", name="officer", team_id="T0002")
        yield emu


def serve(app: App) -> tuple[WSGIServer, str]:
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/slack/events"


def bolt_app(emu: SlackEmulator, seen: list[dict[str, Any]]) -> App:
    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        token = emu.bot_token(team_id or "T0001")
        if token is None:
            raise LookupError(f"no installation for {team_id}")
        info = WebClient(token=token, base_url=emu.api_url).auth_test()
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=info, bot_token=token, user_token=None
        )

    app = App(
        signing_secret=SECRET,
        authorize=authorize,
        client=WebClient(base_url=emu.api_url),
        request_verification_enabled=True,
    )

    @app.event("tokens_revoked")
    @app.event("app_uninstalled")
    def _installation(event: dict[str, Any], context: dict[str, Any]) -> None:
        seen.append({"type": event["type"], "team": context.get("team_id"), "event": event})

    assistant = Assistant()

    @assistant.thread_started
    def _started(say: Any, set_suggested_prompts: Any, context: Any) -> None:
        say("Ask me about stalking case law")
        set_suggested_prompts(prompts=[{"title": "A case", "message": "Ask a champion"}])
        seen.append({"type": "started", "team": context.team_id})

    app.assistant(assistant)
    return app


def test_bolt_takes_the_assistant_event_and_its_calls_pass(emu: SlackEmulator) -> None:
    seen: list[dict[str, Any]] = []
    server, url = serve(bolt_app(emu, seen))
    try:
        sender = SlackSender(url, SECRET, team_id="T0002", bot_user_id=emu.bot_user("T0002"))
        started = emu.assistant_thread_started("UOFFICER", team_id="T0002")
        assert sender.post_json(started).status == 200
        emu.wait_for(lambda e: e.find_calls("assistant.threads.setSuggestedPrompts"))
    finally:
        server.shutdown()
    assert seen == [{"type": "started", "team": "T0002"}]
    thread = started["event"]["assistant_thread"]
    state = emu.assistant_thread(thread["channel_id"], thread["thread_ts"], team_id="T0002")
    assert state is not None and state["suggested_prompts"]["prompts"][0]["title"] == "A case"
    calls = [c for c in emu.calls if c.method != "auth.test"]
    assert [(c.method, c.team_id, c.ok) for c in calls] == [
        ("chat.postMessage", "T0002", True),
        ("assistant.threads.setSuggestedPrompts", "T0002", True),
    ]
    assert emu.violations == []


def test_bolt_takes_the_uninstall_events_for_their_workspace(emu: SlackEmulator) -> None:
    seen: list[dict[str, Any]] = []
    server, url = serve(bolt_app(emu, seen))
    try:
        sender = SlackSender(url, SECRET, team_id="T0002")
        envelopes = emu.uninstall("T0002")  # the tokens are revoked before the events go
        # Bolt runs these two events without an installation, as Slack sends them after it
        answers = [sender.post_json(envelope).status for envelope in envelopes]
    finally:
        server.shutdown()
    assert answers == [200, 200]
    assert [(s["type"], s["team"]) for s in seen] == [
        ("tokens_revoked", "T0002"),
        ("app_uninstalled", "T0002"),
    ]
    assert seen[0]["event"]["tokens"] == {"bot": [emu.bot_user("T0002")]}
    assert emu.bot_token("T0002") is None and emu.bot_token("T0001") == TOKEN
