"""The Slack emulation, driven by the real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from bot.emulator import Reference, SlackEmulator, refgen
from tests.emulator.support import ALICE, BOB, CAROL, TOKEN, modal, section, slack_error

SHARED_REF = refgen.DEFAULT_SRC

# ---- valid calls


def test_a_valid_post_is_answered_like_slack_and_recorded(
    emu: SlackEmulator, client: WebClient
) -> None:
    assert emu.api_url.startswith("http://127.0.0.1:") and emu.api_url.endswith("/api/")
    resp = client.chat_postMessage(channel="CGENERAL", text="hello", blocks=[section("*hello*")])
    assert resp["ok"] and resp["channel"] == "CGENERAL"
    assert resp["message"]["text"] == "hello" and resp["message"]["user"] == emu.bot_user_id
    seconds, micros = resp["ts"].split(".")
    assert len(seconds) == 10 and len(micros) == 6
    (call,) = emu.find_calls("chat.postMessage")
    assert call.ok and call.args["channel"] == "CGENERAL" and call.response["ts"] == resp["ts"]
    assert [m["text"] for m in emu.messages("CGENERAL")] == ["hello"]
    assert emu.violations == []


def test_auth_test_and_users(emu: SlackEmulator, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["user_id"], auth["team_id"]) == ("UBOT", "T0001") == (emu.bot_user_id, emu.team_id)
    user = client.users_info(user=BOB)["user"]
    assert user["tz"] == "America/New_York" and user["tz_offset"] in (-18000, -14400)
    assert user["real_name"] == "Bob B" and user["is_bot"] is False
    assert client.users_lookupByEmail(email="b@x.test")["user"]["id"] == BOB
    assert {ALICE, BOB, CAROL, "UBOT"} <= {m["id"] for m in client.users_list()["members"]}
    assert slack_error(lambda: client.users_info(user="UNOBODY")).response["error"] == (
        "user_not_found"
    )
    assert emu.violations == []  # a failed lookup is not a misuse


def test_dms_threads_edits_and_deletes(emu: SlackEmulator, client: WebClient) -> None:
    dm = client.conversations_open(users=ALICE)["channel"]["id"]
    assert dm.startswith("D") and dm == emu.im_channel(ALICE)
    assert client.conversations_open(users=ALICE)["already_open"] is True
    group = client.conversations_open(users=[ALICE, BOB])["channel"]
    assert group["id"].startswith("G") and group["is_mpim"] is True
    first = client.chat_postMessage(channel=ALICE, text="to alice")  # a user ID opens the DM
    assert first["channel"] == dm
    reply = client.chat_postMessage(channel=dm, text="in thread", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    client.chat_update(channel=dm, ts=first["ts"], text="edited")
    client.reactions_add(channel=dm, name="eyes", timestamp=first["ts"])
    link = client.chat_getPermalink(channel=dm, message_ts=first["ts"])["permalink"]
    assert dm in link
    parent, child = emu.messages(ALICE)
    assert parent["text"] == "edited" and parent["edits"][0]["text"] == "to alice"
    assert parent["reply_count"] == 1 and child["thread_ts"] == first["ts"]
    client.chat_delete(channel=dm, ts=reply["ts"])
    assert [m["ts"] for m in emu.messages(dm)] == [first["ts"]]
    error = slack_error(lambda: client.chat_update(channel=ALICE, ts=first["ts"], text="x"))
    assert error.response["error"] == "channel_not_found"  # chat.update needs the D… id
    assert emu.violations == []


def test_ephemeral_conversations_and_join(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postEphemeral(channel="CGENERAL", user=ALICE, text="only you")
    assert client.conversations_info(channel="CGENERAL")["channel"]["is_member"] is True
    assert client.conversations_join(channel="CGENERAL")["warning"] == "already_in_channel"
    assert ALICE in client.conversations_members(channel="CGENERAL")["members"]
    dm = emu.im_channel(BOB)
    error = slack_error(lambda: client.chat_postEphemeral(channel=dm, user=ALICE, text="x"))
    assert error.response["error"] == "user_not_in_channel"
    assert emu.violations == []


def test_only_what_was_added_exists(emu: SlackEmulator, client: WebClient) -> None:
    for channel in ("CNOPE", "UNOPE", "#nope", "DNOPE"):
        error = slack_error(lambda c=channel: client.chat_postMessage(channel=c, text="x"))
        assert error.response["error"] == "channel_not_found"
    emu.add_channel("CTEAM", name="team", members=[ALICE])
    emu.add_channel("COTHER", name="other", members=[ALICE], bot_member=False)
    assert client.chat_postMessage(channel="#team", text="x")["channel"] == "CTEAM"
    error = slack_error(lambda: client.chat_postMessage(channel="COTHER", text="x"))
    assert error.response["error"] == "not_in_channel"
    assert client.conversations_members(channel="CTEAM")["members"] == [ALICE, "UBOT"]
    assert [c.ok for c in emu.calls] == [False, False, False, False, True, False, True]
    assert emu.violations == []  # failed calls, not misuse


def test_auto_create_learns_well_formed_ids() -> None:
    with SlackEmulator(token=TOKEN, auto_create=True) as emu:
        client = WebClient(token=TOKEN, base_url=emu.api_url)
        assert client.chat_postMessage(channel="CANY", text="x")["channel"] == "CANY"
        assert client.chat_postMessage(channel="UANY", text="x")["channel"].startswith("D")
        error = slack_error(lambda: client.chat_postMessage(channel="#nope", text="x"))
        assert error.response["error"] == "channel_not_found"
        assert emu.violations == []


# ---- the method reference


def test_unknown_method(emu: SlackEmulator, client: WebClient) -> None:
    error = slack_error(lambda: client.api_call("chat.postMesage", json={"channel": "C1"}))
    assert error.response.status_code == 200 and error.response["error"] == "unknown_method"
    assert emu.violations == ["chat.postMesage: unknown method (not in Slack's method reference)"]


def test_missing_required_argument(emu: SlackEmulator, client: WebClient) -> None:
    error = slack_error(lambda: client.api_call("chat.postMessage", json={"text": "hi"}))
    assert error.response["error"] == "channel_not_found"
    error = slack_error(lambda: client.api_call("chat.delete", params={"channel": "C1"}))
    assert error.response["error"] == "message_not_found"
    assert emu.violations == [
        "chat.postMessage: missing required argument 'channel'",
        "chat.delete: missing required argument 'ts'",
    ]


def test_unknown_argument(emu: SlackEmulator, client: WebClient) -> None:
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="x", colour="red"))
    assert error.response["error"] == "invalid_arguments"
    assert emu.violations == ["chat.postMessage: unknown argument 'colour'"]
    assert emu.messages("C1") == []


def test_argument_group_rules(emu: SlackEmulator, client: WebClient) -> None:
    empty = {"channel": "C1", "text": ""}
    error = slack_error(lambda: client.api_call("chat.postMessage", json=empty))
    assert error.response["error"] == "no_text"
    both = {"channel": "C1", "text": "a", "markdown_text": "**a**"}
    error = slack_error(lambda: client.api_call("chat.postMessage", json=both))
    assert error.response["error"] == "markdown_text_conflict"
    error = slack_error(
        lambda: client.views_open(trigger_id="1.2.t", interactivity_pointer="p", view=modal())
    )
    assert error.response["error"] == "invalid_arguments"
    error = slack_error(lambda: client.api_call("views.open", json={"view": modal()}))
    assert error.response["error"] == "invalid_arguments"
    assert len(emu.violations) == 4
    assert "only one of trigger_id, interactivity_pointer" in emu.violations[2]
    assert "exactly one of trigger_id, interactivity_pointer" in emu.violations[3]


def test_form_and_query_string_arguments(emu: SlackEmulator, client: WebClient) -> None:
    blocks = json.dumps([section("form")])
    resp = client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "f", "blocks": blocks}
    )
    assert resp["ok"] and emu.messages("C1")[0]["blocks"][0]["text"]["text"] == "form"
    url = emu.api_url + "users.info?user=" + ALICE
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["user"]["name"] == "alice"
    error = slack_error(
        lambda: client.api_call("conversations.info", data={"channel": "C1", "limit": "x"})
    )
    assert error.response["error"] == "invalid_arguments"
    assert emu.violations == ["conversations.info: unknown argument 'limit'"]


def test_bad_tokens(emu: SlackEmulator) -> None:
    error = slack_error(lambda: WebClient(base_url=emu.api_url).auth_test())
    assert error.response["error"] == "not_authed"
    error = slack_error(lambda: WebClient(token="xoxb-wrong", base_url=emu.api_url).auth_test())
    assert error.response["error"] == "invalid_auth"
    error = slack_error(lambda: WebClient(token="xoxp-" + TOKEN, base_url=emu.api_url).auth_test())
    assert error.response["error"] == "invalid_auth"
    assert len(emu.violations) == 3 and all(v.startswith("auth.test: ") for v in emu.violations)
    assert [c.ok for c in emu.find_calls("auth.test")] == [False, False, False]


def test_the_team_id_bolt_adds_is_accepted_for_this_workspace_only(emu: SlackEmulator) -> None:
    ours = WebClient(token=TOKEN, base_url=emu.api_url, team_id=emu.team_id)
    assert ours.chat_postMessage(channel="C1", text="x")["ok"]
    assert emu.find_calls("chat.postMessage")[0].args["team_id"] == "T0001"
    other = WebClient(token=TOKEN, base_url=emu.api_url, team_id="T0002")
    assert slack_error(lambda: other.chat_postMessage(channel="C1", text="x"))
    assert emu.violations == ["chat.postMessage: unknown argument 'team_id'"]


def test_other_methods_in_the_reference_answer_ok(emu: SlackEmulator, client: WebClient) -> None:
    assert client.pins_add(channel="C1", timestamp="1.2")["ok"]
    (call,) = emu.calls
    assert call.method == "pins.add" and call.ok and emu.violations == []


# ---- faults and rate limits


def test_injected_429_is_retried_and_delivered_once(emu: SlackEmulator) -> None:
    emu.inject("chat.postMessage", status=429, retry_after=1, times=1)
    client = WebClient(token=TOKEN, base_url=emu.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="once")
    assert time.monotonic() - started >= 1.0
    first, second = emu.find_calls("chat.postMessage")
    assert (first.ok, first.status, first.error, first.injected) == (
        False,
        429,
        "ratelimited",
        True,
    )
    assert second.ok and [m["text"] for m in emu.messages("C1")] == ["once"]
    assert emu.violations == []


def test_injected_500(emu: SlackEmulator, client: WebClient) -> None:
    emu.inject("chat.postMessage", status=500, times=2)
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 500
    retrying = WebClient(token=TOKEN, base_url=emu.api_url)
    retrying.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=2))
    retrying.chat_postMessage(channel="C1", text="delivered")
    assert [c.ok for c in emu.find_calls("chat.postMessage")] == [False, False, True]
    assert [m["text"] for m in emu.messages("C1")] == ["delivered"]


def test_injected_slack_error(emu: SlackEmulator, client: WebClient) -> None:
    emu.inject("chat.postMessage", status=200, error="is_archived")
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C1", text="x")).response["error"]
        == "is_archived"
    )
    with pytest.raises(ValueError):
        emu.inject("chat.postMesage")


def test_rate_limits(emu: SlackEmulator, client: WebClient) -> None:
    emu.rate_limit("users.info", per_minute=60, burst=2)
    client.users_info(user=ALICE)
    client.users_info(user=ALICE)
    error = slack_error(lambda: client.users_info(user=ALICE))
    assert error.response.status_code == 429 and int(error.response.headers["Retry-After"]) >= 1
    emu.rate_limit_channels(per_second=1, burst=2)
    for channel in ("C1", "C1", "C2"):
        client.chat_postMessage(channel=channel, text="x")
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "1"
    assert emu.violations == []


# ---- response_url


def test_response_url_posts(emu: SlackEmulator, client: WebClient) -> None:
    url = emu.response_url("ask")
    WebhookClient(url).send(text="hi", response_type="ephemeral", blocks=[section("hi")])
    (response,) = emu.responses
    assert response.ok and response.tag == "ask" and response.body["text"] == "hi"
    assert emu.response_url("ask") != url
    bad = WebhookClient(url).send(
        text="x", blocks=[{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]
    )
    assert bad.status_code == 400
    assert WebhookClient(url).send(text="").status_code == 400
    unknown = WebhookClient(emu.base_url + "/response/999-nope").send(text="x")
    assert unknown.status_code == 404
    assert [r.ok for r in emu.responses] == [True, False, False, False]
    assert len(emu.violations) == 3 and all(v.startswith("response_url: ") for v in emu.violations)


def test_response_url_replaces_and_deletes_the_original(
    emu: SlackEmulator, client: WebClient
) -> None:
    ts = client.chat_postMessage(channel="C1", text="original")["ts"]
    url = emu.response_url("click", channel="C1", message_ts=ts)
    WebhookClient(url).send(text="replaced", replace_original=True)
    (message,) = emu.messages("C1")
    assert message["text"] == "replaced" and message["edits"][0]["text"] == "original"
    WebhookClient(url).send(text="", delete_original=True)
    assert emu.messages("C1") == []
    for _ in range(4):
        WebhookClient(url).send(text="again")
    assert emu.violations == ["response_url: response_url 'click' used more than 5 times"]


# ---- the Python API


def test_wait_for_listeners_and_reset(emu: SlackEmulator, client: WebClient) -> None:
    seen: list[str] = []
    stop = emu.on_call(lambda call: seen.append(call.method))
    client.chat_postMessage(channel="C1", text="x")
    assert emu.wait_for(lambda e: e.find_calls("chat.postMessage"))[0].ok
    stop()
    client.auth_test()
    assert seen == ["chat.postMessage"]
    with pytest.raises(TimeoutError, match=r"chat\.postMessage ok"):
        emu.wait_for(lambda e: e.find_calls("views.open"), timeout=0.1)
    dm = emu.im_channel(ALICE)
    emu.reset()
    assert emu.calls == [] and emu.messages("C1") == [] and emu.im_channel(ALICE) == dm
    assert client.users_info(user=ALICE)["ok"]


# ---- the vendored reference


def test_reference_patches_replace_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / "methods" / "x").mkdir(parents=True)
    (tmp_path / "methods" / "_patches" / "x").mkdir(parents=True)
    base = {
        "name": "x.y",
        "args": {"a": {"required": True}, "b": {"required": False}},
        "arg_groups": [{"args": ["a"], "mutually_exclusive": False}],
    }
    patch = {"arg_groups": [{"args": ["a", "b"], "mutually_exclusive": True, "desc": "one"}]}
    (tmp_path / "methods" / "x" / "x.y.json").write_text(json.dumps(base))
    (tmp_path / "methods" / "_patches" / "x" / "x.y.json").write_text(json.dumps(patch))
    ref = Reference.load(tmp_path)
    (group,) = ref.methods["x.y"].arg_groups
    assert group.args == ("a", "b") and group.mutually_exclusive and group.required
    assert [p.error for p in ref.check("x.y", {"a": 1, "b": 2})] == ["invalid_arguments"]


def test_vendored_reference_has_every_method() -> None:
    ref = Reference.load()
    assert len(ref.methods) > 300 and ref.source["commit"] == "f4837c0c"
    assert ref.methods["chat.postMessage"].required == ["channel"]
    assert [g.args for g in ref.methods["views.update"].arg_groups] == [("external_id", "view_id")]


@pytest.mark.skipif(
    not (SHARED_REF / "methods").is_dir(),
    reason=f"the slack-api-ref checkout is not at {SHARED_REF}, so there is nothing to compare",
)
def test_vendored_reference_matches_a_regeneration() -> None:
    regenerated = refgen.render(refgen.build(SHARED_REF))
    assert refgen.OUTPUT.read_text(encoding="utf-8") == regenerated, (
        "bot/emulator/slack_api_ref.json is stale: run python -m bot.emulator.refgen"
    )
