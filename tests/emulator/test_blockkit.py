"""Block Kit and view checks of the Slack emulation, through the real slack_sdk WebClient."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE, button, modal, section, slack_error


def post(client: WebClient, blocks: list[dict[str, Any]]) -> SlackApiError:
    return slack_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks))


def test_too_many_blocks(emu: SlackEmulator, client: WebClient) -> None:
    assert post(client, [section("x")] * 51).response["error"] == "invalid_blocks"
    assert emu.violations == [
        "chat.postMessage: blocks: 51 blocks, more than the message limit of 50"
    ]
    assert emu.messages("C1") == []


def test_text_too_long(emu: SlackEmulator, client: WebClient) -> None:
    post(client, [section("x" * 3001)])
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    post(client, [fields])
    post(client, [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}])
    error = slack_error(lambda: client.chat_postMessage(channel="C1", text="x" * 40001))
    assert error.response["error"] == "msg_too_long"
    assert [v.split(": ", 2)[1] for v in emu.violations] == [
        "blocks[0].text.text",
        "blocks[0].fields",
        "blocks[0].text.text",
        "text is 40001 characters, over 40000",
    ]


def test_bad_buttons_and_text_objects(emu: SlackEmulator, client: WebClient) -> None:
    actions = {"type": "actions", "elements": [button("b" * 76)]}
    post(client, [actions])
    post(client, [{"type": "actions", "elements": [button("ok", value="v" * 2001)]}])
    post(client, [{"type": "actions", "elements": [button("ok", url="http://x/" + "u" * 3000)]}])
    post(client, [{"type": "actions", "elements": [button("ok", action_id="a" * 256)]}])
    mrkdwn_button = {**button("ok"), "text": {"type": "mrkdwn", "text": "ok"}}
    post(client, [{"type": "actions", "elements": [mrkdwn_button]}])
    post(
        client,
        [{"type": "actions", "elements": [button(str(i), action_id=f"a{i}") for i in range(26)]}],
    )
    post(client, [{"type": "section", "text": {"type": "markdown", "text": "x"}}])
    post(client, [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}])
    post(client, [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}])
    post(client, [{"type": "carousel"}])
    post(client, [section("a", block_id="same"), section("b", block_id="same")])
    post(client, [section("a", block_id="b" * 256)])
    label = {"type": "plain_text", "text": "L"}
    post(client, [{"type": "input", "label": label, "element": {"type": "plain_text_input"}}])
    assert len(emu.violations) == 13
    assert all(": blocks[" in v for v in emu.violations)
    assert "duplicate block_id 'same'" in emu.violations[10]
    assert "input blocks can only be used in modals" in emu.violations[12]
    assert emu.find_calls("chat.postMessage", ok=True) == []


def test_valid_rich_message_passes(emu: SlackEmulator, client: WebClient) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Title", "emoji": True}},
        section("body", accessory=button("Open", url="https://example.org", value="1")),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
        {"type": "actions", "block_id": "acts", "elements": [button("Yes", style="primary")]},
    ]
    client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert emu.violations == []


# ---- views


def test_views_open_update_push_and_publish(emu: SlackEmulator, client: WebClient) -> None:
    field = {"type": "plain_text_input", "action_id": "detail", "multiline": True}
    form = modal(
        callback_id="ask",
        external_id="ask-1",
        submit={"type": "plain_text", "text": "Send"},
        blocks=[
            {"type": "input", "label": {"type": "plain_text", "text": "Detail"}, "element": field}
        ],
    )
    opened = client.views_open(trigger_id="1.2.abc", view=form)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "ask"
    assert emu.view(opened["id"]) == opened
    updated = client.views_update(external_id="ask-1", view=modal(callback_id="done"))["view"]
    assert updated["id"] == opened["id"] and updated["callback_id"] == "done"
    error = slack_error(lambda: client.views_update(view_id="VNOPE", view=modal()))
    assert error.response["error"] == "not_found"
    pushed = client.views_push(trigger_id="1.3.abc", view=modal())["view"]
    assert pushed["id"] != opened["id"]
    home = {"type": "home", "blocks": [section("Your recent questions")]}
    published = client.views_publish(user_id=ALICE, view=home)["view"]
    assert emu.home_view(ALICE) == published and published["type"] == "home"
    again = client.views_publish(user_id=ALICE, view=home)["view"]
    assert again["id"] == published["id"] and again["hash"] != published["hash"]
    assert emu.violations == []


def test_view_misuse(emu: SlackEmulator, client: WebClient) -> None:
    long_title = modal(title={"type": "plain_text", "text": "t" * 25})
    assert slack_error(lambda: client.views_open(trigger_id="1", view=long_title))
    input_block = {
        "type": "input",
        "label": {"type": "plain_text", "text": "L"},
        "element": {"type": "plain_text_input"},
    }
    no_submit = modal(blocks=[input_block])
    assert slack_error(lambda: client.views_open(trigger_id="2", view=no_submit))
    assert slack_error(
        lambda: client.views_open(trigger_id="3", view={"type": "home", "blocks": []})
    )
    assert slack_error(lambda: client.views_publish(user_id=ALICE, view=modal()))
    metadata = modal(private_metadata="m" * 3001)
    assert slack_error(lambda: client.views_open(trigger_id="4", view=metadata))
    client.views_open(trigger_id="5", view=modal())
    error = slack_error(lambda: client.views_open(trigger_id="5", view=modal()))
    assert error.response["error"] == "exchanged_trigger_id"
    assert len(emu.violations) == 6
    assert "trigger_id '5' was already used once" in emu.violations[-1]
