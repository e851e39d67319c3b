"""Message metadata, history with `include_all_metadata`, and the faults a retry cannot see
through: a post that took effect and was then answered 500, and a call held in flight."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator import SlackEmulator
from tests.emulator.support import ALICE, TOKEN, slack_error

MARK = {"event_type": "champbot_outbox", "event_payload": {"id": 7}}


def _client(emu: SlackEmulator) -> WebClient:
    # No retry handlers at all: each test sees exactly what one call was answered.
    return WebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])


def test_metadata_is_kept_and_shown_only_when_history_asks_for_it(emu: SlackEmulator) -> None:
    client = _client(emu)
    posted = client.chat_postMessage(channel="C1", text="hello", metadata=MARK)
    client.chat_postMessage(channel="C1", text="no metadata")
    plain = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in plain] == ["no metadata", "hello"]
    assert all("metadata" not in m for m in plain)
    full = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == MARK and full[1]["ts"] == posted["ts"]
    # An edit without metadata keeps it; an empty object removes it.
    client.chat_update(channel="C1", ts=posted["ts"], text="edited")
    assert emu.messages("C1")[0]["metadata"] == MARK
    client.chat_update(channel="C1", ts=posted["ts"], text="edited", metadata={})
    assert "metadata" not in emu.messages("C1")[0]
    assert emu.violations == []


def test_history_is_bounded_by_oldest_and_thread_replies_carry_metadata(
    emu: SlackEmulator,
) -> None:
    client = _client(emu)
    first = client.chat_postMessage(channel="C2", text="before")["ts"]
    parent = client.chat_postMessage(channel="C2", text="parent")["ts"]
    client.chat_postMessage(channel="C2", text="reply", thread_ts=parent, metadata=MARK)
    later = client.conversations_history(channel="C2", oldest=first, include_all_metadata=True)
    assert [m["text"] for m in later["messages"]] == ["parent"]  # replies are not top level
    replies = client.conversations_replies(
        channel="C2", ts=parent, oldest=first, include_all_metadata=True
    )["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply"]
    assert replies[1]["metadata"] == MARK


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("not json", "invalid_metadata_format"),
        ({"event_type": "has space", "event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "ok_type"}, "invalid_metadata_schema"),
        ({"event_type": "ok_type", "event_payload": {"x": "y" * 9000}}, "metadata_too_large"),
    ],
)
def test_malformed_metadata_is_refused_as_slack_would(
    running: SlackEmulator, metadata: object, error: str
) -> None:
    running.reset()
    client = _client(running)
    refused = slack_error(
        lambda: client.chat_postMessage(channel="C1", text="x", metadata=metadata)
    )
    assert refused.response["error"] == error
    assert running.messages("C1") == []
    assert running.violations  # a misuse: a test making it fails
    running.reset()


def test_a_post_that_took_effect_can_be_answered_500(emu: SlackEmulator) -> None:
    client = _client(emu)
    emu.inject("chat.postMessage", status=500, applied=True, channel=ALICE)
    emu.inject("chat.postMessage", status=500, channel="C1")
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C1", text="not applied")
    assert failed.value.response.status_code == 500
    assert emu.messages("C1") == []
    client.chat_postMessage(channel="C2", text="other channel: no fault")
    with pytest.raises(SlackApiError) as lost:
        client.chat_postMessage(channel=ALICE, text="applied", metadata=MARK)
    assert lost.value.response.status_code == 500
    # The post is there, with its metadata, though its answer said it failed.
    (message,) = emu.messages(ALICE)
    assert message["text"] == "applied" and message["metadata"] == MARK
    calls = emu.find_calls("chat.postMessage")
    assert [(c.status, c.injected) for c in calls] == [(500, True), (200, False), (500, True)]
    with pytest.raises(ValueError, match="5xx"):
        emu.inject("chat.postMessage", status=429, applied=True)


def test_a_held_call_waits_for_its_release(emu: SlackEmulator) -> None:
    client = _client(emu)
    applied = emu.hold("chat.postMessage", applied=True, channel="C1")
    dropped = emu.hold("chat.postMessage", applied=False, channel="C2")
    answers: dict[str, object] = {}

    def post(channel: str) -> None:
        try:
            answers[channel] = client.chat_postMessage(channel=channel, text=channel)["ok"]
        except SlackApiError as exc:
            answers[channel] = exc.response.status_code

    threads = [threading.Thread(target=post, args=(c,)) for c in ("C1", "C2")]
    for t in threads:
        t.start()
    assert applied.wait_reached() and dropped.wait_reached()
    # Held in flight: the first is already in the channel, the second never will be; other
    # calls are answered meanwhile.
    assert [m["text"] for m in emu.messages("C1")] == ["C1"] and emu.messages("C2") == []
    assert client.chat_postMessage(channel="CGENERAL", text="meanwhile")["ok"]
    assert answers == {}
    applied.release()
    dropped.release()
    for t in threads:
        t.join(timeout=5)
    assert answers == {"C1": True, "C2": 500}
    assert emu.messages("C2") == []


@pytest.mark.parametrize("sent", [0, 10], ids=["headers-only", "part-of-the-body"])
def test_a_request_cut_off_before_its_body_arrived_is_never_acted_on(
    emu: SlackEmulator, sent: int
) -> None:
    """http.client sends a request's headers and its body in two writes: a caller killed
    between them leaves headers promising a body that never comes. Slack acts on no such
    request, so neither does the emulator (before, it read an empty body and recorded a
    `chat.postMessage` with no channel and no text)."""
    import socket
    from urllib.parse import urlsplit

    body = b'{"channel": "C1", "text": "never whole"}'
    where = urlsplit(emu.api_url)
    with socket.create_connection((where.hostname, where.port), timeout=5) as raw:
        raw.sendall(
            b"POST /api/chat.postMessage HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\n"
            b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
            b"Content-Type: application/json; charset=utf-8\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:sent]
        )
        raw.shutdown(socket.SHUT_WR)  # the caller is gone: nothing more will come
        assert raw.recv(1024) == b""  # no answer: the connection is simply closed
    # The server is still answering, and the cut-off request left no trace.
    _client(emu).chat_postMessage(channel="C1", text="whole")
    assert [c.args.get("text") for c in emu.find_calls("chat.postMessage")] == ["whole"]
    assert [m["text"] for m in emu.messages("C1")] == ["whole"]
    assert emu.violations == []
