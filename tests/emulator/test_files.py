"""Slack's file upload as the emulator serves it: getUploadURLExternal, the POST of the bytes to
the URL it gives (on loopback), and completeUploadExternal sharing the file; and table blocks."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE

PDF = b"%PDF-1.7\n" + b"x" * 5000


def test_upload_v2_shares_the_file_in_a_dm(emu: SlackEmulator, client: WebClient) -> None:
    dm = emu.im_channel(ALICE)
    done = client.files_upload_v2(
        content=PDF, filename="impact.pdf", title="Impact report", channel=dm
    )
    assert done["file"]["title"] == "Impact report"
    url_call = emu.find_calls("files.getUploadURLExternal")[0]
    assert url_call.response["upload_url"].startswith(emu.base_url + "/upload/v1/")
    (stored,) = emu.uploaded_files()
    assert stored.content == PDF and stored.completed and stored.shares == [dm]
    (shared,) = [m for m in emu.messages(dm) if m.get("files")]
    assert shared["files"][0]["id"] == stored.id and shared["files"][0]["size"] == len(PDF)
    assert shared["user"] == emu.bot_user_id


def test_a_complete_without_an_upload_is_refused(emu: SlackEmulator, client: WebClient) -> None:
    ticket = client.files_getUploadURLExternal(filename="impact.pdf", length=len(PDF))
    with pytest.raises(SlackApiError) as refused:
        client.files_completeUploadExternal(
            files=[{"id": ticket["file_id"], "title": "x"}], channel_id="CGENERAL"
        )
    assert refused.value.response["error"] == "file_not_found"
    # Nor can a file be completed twice, or one that was never announced.
    urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=PDF, method="POST"))
    client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="CGENERAL")
    for file_id in (ticket["file_id"], "FNOSUCH"):
        with pytest.raises(SlackApiError) as again:
            client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CGENERAL")
        assert again.value.response["error"] == "file_not_found"
    assert len([m for m in emu.messages("CGENERAL") if m.get("files")]) == 1
    emu.reset()  # the refusals above were the point: they are no misuse to report


def test_the_reference_checks_both_methods(emu: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as no_length:
        client.api_call("files.getUploadURLExternal", params={"filename": "a.pdf"})
    assert no_length.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as unknown:
        client.api_call(
            "files.completeUploadExternal", params={"files": "[]", "channel": "CGENERAL"}
        )
    assert unknown.value.response["error"] == "invalid_arguments"
    assert any("unknown argument 'channel'" in v for v in emu.violations)
    emu.reset()


def test_an_upload_url_is_used_once_and_a_fault_can_be_injected(
    emu: SlackEmulator, client: WebClient
) -> None:
    ticket = client.files_getUploadURLExternal(filename="impact.pdf", length=len(PDF))
    emu.inject("upload_url", status=503)
    post = urllib.request.Request(ticket["upload_url"], data=PDF, method="POST")
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(post)
    assert failed.value.code == 503
    with urllib.request.urlopen(post) as answer:
        assert answer.read() == f"OK - {len(PDF)}".encode()
    with pytest.raises(urllib.error.HTTPError) as twice:
        urllib.request.urlopen(post)
    assert twice.value.code == 400
    assert emu.violations and "used twice" in emu.violations[0]
    emu.reset()


def _table(rows: list[list[str]]) -> list[dict[str, object]]:
    return [
        {
            "type": "table",
            "column_settings": [{"is_wrapped": True}, {"align": "right"}],
            "rows": [[{"type": "raw_text", "text": cell} for cell in row] for row in rows],
        }
    ]


def test_table_blocks_are_checked(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="CGENERAL", text="t", blocks=_table([["Figure", "Nov"]]))
    bad = [
        _table([["x"] * 21]),
        _table([["x"]] * 101),
        _table([["x"]]) + _table([["y"]]),
        [{"type": "table", "rows": [[{"type": "plain_text", "text": "x"}]]}],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": ""}]]}],
    ]
    for blocks in bad:
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="CGENERAL", text="t", blocks=json.dumps(blocks))
        assert refused.value.response["error"] == "invalid_blocks"
    emu.reset()
