"""The emulator's event envelopes and assistant methods as a real Bolt app meets them over HTTP."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App, Assistant
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore

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
        # Bolt acks first and runs each listener after, on its own thread, in either order.
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.shutdown()
    assert answers == [200, 200]
    assert sorted((s["type"], s["team"]) for s in seen) == [
        ("app_uninstalled", "T0002"),
        ("tokens_revoked", "T0002"),
    ]
    revoked = next(s for s in seen if s["type"] == "tokens_revoked")
    assert revoked["event"]["tokens"] == {"bot": [emu.bot_user("T0002")]}
    assert emu.bot_token("T0002") is None and emu.bot_token("T0001") == TOKEN


def fetch(url: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}", headers={"Cookie": cookie})
    response = connection.getresponse()
    headers = {k.lower(): v for k, v in response.getheaders()}
    return response.status, headers, response.read().decode()


def install_through_bolt(base: str, team: str) -> int:
    """A person's browser: the app's install page, Slack's consent, back to the app."""
    status, headers, _ = fetch(f"{base}/slack/install")
    assert status == 302, "the install page redirects to the consent page"
    cookie = headers["set-cookie"].split(";", 1)[0]
    status, headers, _ = fetch(headers["location"] + f"&team={team}")
    assert status == 302
    status, _, _ = fetch(headers["location"], cookie)
    return status


def test_bolt_installs_the_app_through_the_oauth_round_trip(
    emu: SlackEmulator, tmp_path: Path
) -> None:
    emu.add_enterprise("E0001", name="Police Org")
    emu.add_workspace("T0101", enterprise_id="E0001", name="North")
    emu.add_workspace("T0003", name="Third Force")
    store = FileInstallationStore(base_dir=str(tmp_path / "installs"))
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=emu.api_url),
        oauth_settings=OAuthSettings(
            client_id=emu.client_id,
            client_secret=emu.client_secret,
            scopes=["chat:write", "commands"],
            installation_store=store,
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path)),
            authorization_url=emu.authorization_url,
            install_page_rendering_enabled=False,
        ),
    )
    server, url = serve(app)
    base = url.rsplit("/slack/", 1)[0]
    # the app's configured redirect URL, where Slack sends the person back with the code
    emu.configure_oauth(redirect_uris=(f"{base}/slack/oauth_redirect",))
    try:
        assert install_through_bolt(base, "T0003") == 200
        assert install_through_bolt(base, "E0001") == 200
    finally:
        server.shutdown()
    third = store.find_installation(enterprise_id=None, team_id="T0003")
    assert third is not None and third.bot_token == emu.bot_token("T0003")
    assert third.bot_id == "B0003" and third.team_name == "Third Force"
    org = store.find_installation(enterprise_id="E0001", team_id=None, is_enterprise_install=True)
    assert org is not None and org.is_enterprise_install is True
    assert org.bot_token == emu.bot_token("E0001") and org.enterprise_name == "Police Org"
    exchanged = emu.find_calls("oauth.v2.access")
    assert [c.ok for c in exchanged] == [True, True] and emu.violations == []
