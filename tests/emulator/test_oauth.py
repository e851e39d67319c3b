"""OAuth v2 installs, org-wide installs, uninstalling and the events Slack sends about them."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk import WebClient

from bot.emulator import Reference, SlackEmulator
from bot.emulator.installs import CLIENT_ID, CLIENT_SECRET
from tests.emulator.support import TOKEN, slack_error

REDIRECT = "https://force.example/slack/oauth_redirect"


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emu:
        emu.add_workspace("T0002", name="Second Force")
        emu.add_user("UADMIN", name="admin", team_id="T0002")
        yield emu


def exchange(emu: SlackEmulator, code: str, **kwargs: str) -> dict:
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **kwargs}
    response = WebClient(base_url=emu.api_url).oauth_v2_access(code=code, **creds)
    return dict(response.data)  # type: ignore[arg-type]


def get(url: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    connection.request("GET", f"{parts.path}?{parts.query}")
    return connection.getresponse()


def test_a_code_is_exchanged_once_for_the_installation(emu: SlackEmulator) -> None:
    assert emu.bot_token("T0002") is None  # not installed yet
    code = emu.issue_code("T0002", user_id="UADMIN", scope="chat:write,im:history")
    body = exchange(emu, code)
    assert body["ok"] is True and body["token_type"] == "bot"
    assert body["access_token"].startswith("xoxb-") and body["scope"] == "chat:write,im:history"
    assert body["team"] == {"id": "T0002", "name": "Second Force"}
    assert body["enterprise"] is None and body["is_enterprise_install"] is False
    assert body["bot_user_id"] == emu.bot_user("T0002") and body["app_id"] == "A0001"
    assert body["authed_user"] == {"id": "UADMIN"}  # no user scopes asked, no user token
    assert emu.bot_token("T0002") == body["access_token"]
    installed = WebClient(token=body["access_token"], base_url=emu.api_url).auth_test()
    assert installed["team_id"] == "T0002" and installed["bot_id"] == "B0002"

    again = slack_error(lambda: exchange(emu, code))
    assert again.response["error"] == "invalid_code"
    assert slack_error(lambda: exchange(emu, "123.nonsense")).response["error"] == "invalid_code"
    # reinstalling keeps the bot token, as Slack does without token rotation
    assert exchange(emu, emu.issue_code("T0002"))["access_token"] == body["access_token"]
    assert emu.find_calls("oauth.v2.access", ok=True)[0].response["access_token"]


def test_user_scopes_give_the_installer_a_user_token(emu: SlackEmulator) -> None:
    body = exchange(emu, emu.issue_code("T0002", user_id="UADMIN", user_scope="users:read"))
    person = body["authed_user"]
    assert person["id"] == "UADMIN" and person["token_type"] == "user"
    assert person["scope"] == "users:read" and person["access_token"].startswith("xoxp-")
    who = WebClient(token=person["access_token"], base_url=emu.api_url).auth_test()
    assert who["user_id"] == "UADMIN" and "bot_id" not in who


def test_wrong_client_credentials_are_refused(emu: SlackEmulator) -> None:
    code = emu.issue_code("T0002")
    bad_secret = slack_error(lambda: exchange(emu, code, client_secret="guess"))
    assert bad_secret.response["error"] == "bad_client_secret"
    bad_id = slack_error(lambda: exchange(emu, code, client_id="9.9"))
    assert bad_id.response["error"] == "invalid_client_id"
    # credentials in the form body instead of HTTP Basic work too, and the code still does
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    assert WebClient(base_url=emu.api_url).api_call("oauth.v2.access", data=form)["ok"]
    unknown = WebClient(base_url=emu.api_url).api_call
    error = slack_error(lambda: unknown("oauth.v2.access", data={**form, "scopes": "x"}))
    assert error.response["error"] == "invalid_arguments"  # checked against the reference
    assert emu.violations == ["oauth.v2.access: unknown argument 'scopes'"]


def test_the_consent_page_redirects_with_a_code_and_the_state(emu: SlackEmulator) -> None:
    emu.configure_oauth(redirect_uris=(REDIRECT,))
    url = emu.authorize_url(team_id="T0002", scope="chat:write", state="s-123")
    response = get(url + "&" + "redirect_uri=" + REDIRECT)
    assert response.status == 302
    location = urlsplit(response.getheader("Location") or "")
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == "s-123"
    mismatch = slack_error(lambda: exchange(emu, query["code"]))
    assert mismatch.response["error"] == "bad_redirect_uri"
    body = exchange(emu, query["code"], redirect_uri=REDIRECT)
    assert body["team"]["id"] == "T0002"

    elsewhere = get(emu.authorize_url(scope="chat:write", redirect_uri="https://evil.example/"))
    assert elsewhere.status == 400 and b"bad_redirect_uri" in elsewhere.read()
    wrong_app = get(url.replace(CLIENT_ID.replace(".", "%2E"), "1").replace(CLIENT_ID, "1"))
    assert wrong_app.status == 400 and b"invalid_client_id" in wrong_app.read()


def test_an_org_wide_install(emu: SlackEmulator) -> None:
    emu.add_enterprise("E0001", name="Police Org")
    emu.add_workspace("T0101", enterprise_id="E0001", name="North")
    emu.add_user("WADMIN", name="orgadmin", team_id="T0101")
    emu.add_channel("CNORTH", team_id="T0101")
    body = exchange(emu, emu.issue_code("E0001", user_id="WADMIN"))
    assert body["is_enterprise_install"] is True and body["team"] is None
    assert body["enterprise"] == {"id": "E0001", "name": "Police Org"}
    assert body["bot_user_id"] == emu.bot_user("T0101")
    org = WebClient(token=body["access_token"], base_url=emu.api_url)
    assert org.auth_test()["is_enterprise_install"] is True
    north = WebClient(token=body["access_token"], base_url=emu.api_url, team_id="T0101")
    north.chat_postMessage(channel="CNORTH", text="org-wide")
    assert emu.find_calls("chat.postMessage")[0].team_id == "T0101"

    tokens_revoked, uninstalled = emu.uninstall("E0001")
    assert tokens_revoked["event"]["tokens"] == {"bot": [emu.bot_user("T0101")]}
    assert uninstalled["authorizations"][0]["is_enterprise_install"] is True
    assert uninstalled["enterprise_id"] == "E0001"
    assert slack_error(org.auth_test).response["error"] == "account_inactive"


def test_uninstalling_revokes_every_token_and_builds_the_events(emu: SlackEmulator) -> None:
    body = exchange(emu, emu.issue_code("T0002", user_id="UADMIN", user_scope="users:read"))
    bot = WebClient(token=body["access_token"], base_url=emu.api_url)
    person = WebClient(token=body["authed_user"]["access_token"], base_url=emu.api_url)
    default = WebClient(token=TOKEN, base_url=emu.api_url)

    revoked, removed = emu.uninstall("T0002")
    assert revoked["type"] == "event_callback" and revoked["team_id"] == "T0002"
    assert revoked["event"]["type"] == "tokens_revoked"
    assert revoked["event"]["tokens"] == {"oauth": ["UADMIN"], "bot": [emu.bot_user("T0002")]}
    assert removed["event"]["type"] == "app_uninstalled" and removed["api_app_id"] == "A0001"
    (authorization,) = removed["authorizations"]
    assert authorization == {
        "enterprise_id": None,
        "team_id": "T0002",
        "user_id": emu.bot_user("T0002"),
        "is_bot": True,
        "is_enterprise_install": False,
    }
    assert revoked["event_id"] != removed["event_id"] and emu.events == [revoked, removed]
    assert slack_error(bot.auth_test).response["error"] == "account_inactive"
    assert slack_error(person.auth_test).response["error"] == "token_revoked"
    assert default.auth_test()["ok"]  # another workspace keeps its install
    assert emu.bot_token("T0002") is None

    again = exchange(emu, emu.issue_code("T0002"))  # installing anew gives a new token
    assert again["access_token"] != body["access_token"]
    assert WebClient(token=again["access_token"], base_url=emu.api_url).auth_test()["ok"]


def test_apps_uninstall_needs_the_app_credentials(emu: SlackEmulator) -> None:
    token = exchange(emu, emu.issue_code("T0002"))["access_token"]
    client = WebClient(token=token, base_url=emu.api_url)
    wrong = slack_error(lambda: client.apps_uninstall(client_id=CLIENT_ID, client_secret="no"))
    assert wrong.response["error"] == "bad_client_secret" and client.auth_test()["ok"]
    assert client.apps_uninstall(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)["ok"]
    assert slack_error(client.auth_test).response["error"] == "account_inactive"
    assert [e["event"]["type"] for e in emu.events] == ["tokens_revoked", "app_uninstalled"]


def test_the_errors_answered_are_the_references() -> None:
    ref = Reference.load()
    oauth = {"invalid_code", "bad_client_secret", "invalid_client_id", "bad_redirect_uri"}
    assert oauth <= ref.errors("oauth.v2.access")
    assert {"bad_client_secret", "invalid_client_id"} <= ref.errors("apps.uninstall")
    assert {"invalid_auth", "token_revoked", "account_inactive"} <= ref.errors("auth.test")
    assert "team_not_found" in ref.errors("chat.postMessage")
    for method in ("setStatus", "setTitle", "setSuggestedPrompts"):
        assert "invalid_thread_ts" in ref.errors(f"assistant.threads.{method}")
    assert "not_agent_app" in ref.errors("assistant.threads.setSuggestedPrompts")
