"""The delivery's side of an unknown outcome, against the emulation: which failures make a
row unsure, how it is looked for (history, a thread's replies, a DM opened by user ID), and
what is done when it cannot be looked for; response_url rows past their URL's life."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.db import Database
from bot.delivery import Delivery
from bot.delivery.pacing import LOOKUP_BURST, Pacer
from bot.delivery.reconcile import mark
from bot.emulator import SlackEmulator
from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.services import outbox, refs
from tests.conftest import BOT_TOKEN, OFFICER


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)  # rows queued in the test are due

    def __call__(self) -> datetime:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def delivery(db: Database, emu: SlackEmulator, clock: Clock) -> Delivery:
    client = WebClient(token=BOT_TOKEN, base_url=emu.api_url)
    return Delivery(db, client, clock=clock, sleep=lambda _: None)


def queue(db: Database, **kwargs: Any) -> int:
    with db.session() as s:
        return outbox.post(session=s, **kwargs).id


def row(db: Database, row_id: int) -> OutboxMessage:
    with db.session() as s:
        found = s.get(OutboxMessage, row_id)
        assert found is not None
        s.expunge(found)
        return found


def calls(emu: SlackEmulator) -> list[tuple[str, int]]:
    return [(c.method, c.status) for c in emu.calls]


def test_a_500_makes_the_next_try_look_first_and_a_429_does_not(
    db: Database, emulator: SlackEmulator
) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    first = queue(db, channel="CGENERAL", text="one", ref=refs.queue_card(1))
    emulator.inject("chat.postMessage", status=500)
    sender.deliver([first])
    assert row(db, first).unsure_since is not None and row(db, first).status is OutboxStatus.PENDING
    clock.move(5)
    sender.deliver([first])
    assert calls(emulator) == [
        ("chat.postMessage", 500),
        ("auth.test", 200),  # who this bot is, asked once: only its own posts count
        ("conversations.history", 200),  # not there: Slack had not posted it
        ("chat.postMessage", 200),
    ]
    assert sender.lookups.counts["missing"] == 1
    emulator.reset()
    second = queue(db, channel="CGENERAL", text="two", ref=refs.queue_card(2))
    emulator.inject("chat.postMessage", status=429, retry_after=1)
    sender.deliver([second])
    assert row(db, second).unsure_since is None  # a 429 is a refusal: nothing to look for
    clock.move(5)
    sender.deliver([second])
    assert calls(emulator) == [("chat.postMessage", 429), ("chat.postMessage", 200)]


def test_a_copy_of_its_metadata_posted_by_another_app_is_not_taken_for_the_post(
    db: Database, emulator: SlackEmulator
) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    first = queue(db, channel="CGENERAL", text="the real one", ref=refs.queue_card(1))
    emulator.inject("chat.postMessage", status=500)  # never posted: the outcome is unknown
    sender.deliver([first])
    # Another app in the channel posts a message carrying the same metadata.
    emulator.user_message("CGENERAL", "UOTHERAPP", "a copy", metadata=mark(first, None))
    clock.move(5)
    sender.deliver([first])
    assert [m["text"] for m in emulator.messages("CGENERAL")] == ["a copy", "the real one"]
    assert row(db, first).ts == emulator.messages("CGENERAL")[1]["ts"]
    assert sender.lookups.counts["missing"] == 1 and sender.lookups.counts["found"] == 0


def test_a_post_slack_made_before_its_500_is_found_not_posted_again(
    db: Database, emulator: SlackEmulator
) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    to_user = queue(db, channel=OFFICER, text="to a user id", ref=refs.officer_routed(1))
    client = WebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    parent = client.chat_postMessage(channel="CGENERAL", text="a question")["ts"]
    in_thread = queue(db, channel="CGENERAL", text="in a thread", thread_ts=parent)
    emulator.inject("chat.postMessage", status=500, applied=True, times=2)
    sender.deliver([to_user, in_thread])
    clock.move(5)
    sender.deliver([to_user, in_thread])
    dm = emulator.im_channel(OFFICER)
    assert [m["text"] for m in emulator.messages(dm)] == ["to a user id"]
    assert [m["text"] for m in emulator.messages("CGENERAL")] == ["a question", "in a thread"]
    assert (row(db, to_user).channel, row(db, to_user).ts) == (dm, emulator.messages(dm)[0]["ts"])
    assert row(db, in_thread).ts == emulator.messages("CGENERAL")[1]["ts"]
    looked = {c.method for c in emulator.calls if c.method.startswith("conversations.")}
    # The DM addressed by user ID is opened to read it; the thread's replies are read.
    assert looked == {"conversations.open", "conversations.history", "conversations.replies"}
    assert sender.lookups.counts["found"] == 2
    assert len(emulator.find_calls("chat.postMessage")) == 3  # the parent, and one try each


def test_a_claim_left_by_a_dead_sender_is_looked_for(db: Database, emulator: SlackEmulator) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    posted = queue(db, channel="CGENERAL", text="posted before the crash")
    lost = queue(db, channel="CGENERAL", text="never reached Slack")
    dead = clock.now - timedelta(seconds=1)  # both claims ran out a second ago
    with db.session() as s:
        s.execute(update(OutboxMessage).values(locked_until=dead, attempts=1))
    client = WebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    client.chat_postMessage(
        channel="CGENERAL", text="posted before the crash", metadata=mark(posted, None)
    )
    sender.deliver()
    texts = [m["text"] for m in emulator.messages("CGENERAL")]
    assert texts == ["posted before the crash", "never reached Slack"]
    assert row(db, posted).status is OutboxStatus.SENT and row(db, lost).status is OutboxStatus.SENT
    assert sender.lookups.counts["found"] == 1 and sender.lookups.counts["missing"] == 1
    # The history was read from a claim's length before the claim ran out (less the skew).
    oldest = {float(c.args["oldest"]) for c in emulator.find_calls("conversations.history")}
    assert oldest == {(dead - timedelta(seconds=60 + 30)).timestamp()}


def test_a_row_that_cannot_be_looked_for_is_sent_again(
    db: Database, emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    row_id = queue(db, channel="CGENERAL", text="hello")
    emulator.inject("chat.postMessage", status=500)
    emulator.inject("conversations.history", status=200, error="missing_scope")
    sender.deliver([row_id])
    clock.move(5)
    sender.deliver([row_id])
    assert row(db, row_id).status is OutboxStatus.SENT
    assert "cannot look for it (missing_scope)" in caplog.text


def test_lookups_are_paced_at_slacks_tier_3() -> None:
    now = [0.0]
    pacer = Pacer(monotonic=lambda: now[0])
    waits = [
        pacer.reserve("conversations.history", "C1", max_wait=60) for _ in range(LOOKUP_BURST + 2)
    ]
    assert waits[:LOOKUP_BURST] == [0.0] * LOOKUP_BURST
    assert waits[LOOKUP_BURST] == pytest.approx(60 / 50)  # then 50 a minute
    assert waits[LOOKUP_BURST + 1] == pytest.approx(2 * 60 / 50)
    assert pacer.reserve("conversations.history", "C1", max_wait=1) is None


def test_a_response_url_past_its_life_goes_as_a_dm_or_not_at_all(
    db: Database, emulator: SlackEmulator
) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    with db.session() as s:
        reply = outbox.respond(
            session=s, url=emulator.response_url("r"), text="answer", user=OFFICER
        ).id
        redraw = outbox.respond(
            session=s, url=emulator.response_url("e"), text="x", replace=True
        ).id
    clock.move(31 * 60)
    sender.deliver([reply, redraw])
    assert emulator.responses == []  # an expired URL is not tried
    assert (
        row(db, reply).method == "chat.postMessage" and row(db, reply).status is OutboxStatus.SENT
    )
    assert [m["text"] for m in emulator.messages(OFFICER)] == ["answer"]
    assert (row(db, redraw).status, row(db, redraw).error) == (OutboxStatus.FAILED, "expired_url")


def test_an_edit_in_place_and_a_delete_already_done(db: Database, emulator: SlackEmulator) -> None:
    clock = Clock()
    sender = delivery(db, emulator, clock)
    client = WebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    ts = client.chat_postMessage(channel="CGENERAL", text="before")["ts"]
    with db.session() as s:
        edit = outbox.edit_message(session=s, channel="CGENERAL", ts=ts, text="after").id
        gone = outbox.enqueue(
            session=s, method="chat.delete", payload={"channel": "CGENERAL", "ts": "9.000001"}
        ).id
    sender.deliver([edit, gone])
    assert emulator.messages("CGENERAL")[0]["text"] == "after"
    with db.session() as s:
        statuses = {i: st for i, st in s.execute(select(OutboxMessage.id, OutboxMessage.status))}
    assert statuses == {edit: OutboxStatus.SENT, gone: OutboxStatus.SENT}
