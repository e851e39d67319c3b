"""`kill -9` of the served app while a post is in flight: before Slack has it, and after
Slack has it but before the outbox row records its ts. After a restart nothing is lost and
nothing is doubled: the row whose claim the dead process left is looked for in Slack first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.delivery.reconcile import EVENT_TYPE
from bot.emulator import SlackEmulator
from bot.models import OutboxMessage, OutboxStatus, Role
from bot.services import roster
from bot.slack_requests import SlackSender
from tests.conftest import CHAMPION, OFFICER, SIGNING_SECRET
from tests.e2e.processes import Process

GENERAL = "whats the difference between stalking and harassment?"
LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"
LEASE = 3  # seconds before a dead sender's claim is taken up (60 in production)


@pytest.fixture
def served(
    emulator: SlackEmulator, db: Database, tmp_path: Path, encodings_cache: Path
) -> Iterator[Process]:
    with db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
    process = Process(emulator, db, tmp_path, encodings=encodings_cache)
    process.env["CHAMPBOT_DELIVERY_LEASE"] = str(LEASE)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _row(db: Database, prefix: str) -> OutboxMessage | None:
    with db.session() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.ref.startswith(prefix)))
        if row is not None:
            s.expunge(row)
        return row


def _sent(emu: SlackEmulator, db: Database, prefix: str) -> OutboxMessage:
    def done(_: SlackEmulator) -> OutboxMessage | None:
        row = _row(db, prefix)
        return row if row is not None and row.status is OutboxStatus.SENT else None

    return emu.wait_for(done, timeout=30)


def _copies(emu: SlackEmulator, row: OutboxMessage) -> list[str]:
    """The ts of every message in the row's conversation that the row posted."""
    assert row.channel
    return [
        m["ts"]
        for m in emu.messages(row.channel)
        if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
        and m["metadata"]["event_payload"]["id"] == row.id
    ]


@pytest.mark.parametrize(
    ("what", "slack_has_it"),
    [("answer", True), ("answer", False), ("offer", True), ("offer", False), ("queue", True)],
    ids=[
        "answer-after-slack-posted",
        "answer-before-slack-posted",
        "offer-after-slack-posted",
        "offer-before-slack-posted",
        "queue-card-after-slack-posted",
    ],
)
def test_a_kill_in_flight_loses_nothing_and_doubles_nothing(
    served: Process, emulator: SlackEmulator, db: Database, what: str, slack_has_it: bool
) -> None:
    slack = SlackSender(f"http://127.0.0.1:{served.port}/slack/events", SIGNING_SECRET)
    dm = emulator.im_channel(OFFICER)
    target = {"answer": dm, "offer": CHAMPION, "queue": "CQUEUE"}[what]
    held = emulator.hold("chat.postMessage", applied=slack_has_it, channel=target)
    slack.dm(user=OFFICER, channel=dm, text=GENERAL if what == "answer" else LIVE)
    assert held.wait_reached(timeout=30)
    served.kill()  # the call is in flight: the row is claimed, its ts not recorded
    held.release()
    prefix = f"{what}:"
    left = _row(db, prefix)
    assert left is not None and left.status is OutboxStatus.PENDING and left.locked_until
    posts_before = len(emulator.find_calls("chat.postMessage", ok=True))

    served.start()
    row = _sent(emulator, db, prefix)
    copies = _copies(emulator, row)
    assert copies == [row.ts]  # exactly one message in Slack, and the row has its ts
    history = [
        c
        for c in emulator.find_calls("conversations.history", ok=True)
        if c.args.get("channel") == row.channel
    ]
    assert len(history) == 1  # looked for once, before deciding
    again = [
        c
        for c in emulator.find_calls("chat.postMessage", ok=True)[posts_before:]
        if c.args.get("channel") in (row.channel, target)
        and (c.args.get("metadata") or {}).get("event_payload", {}).get("id") == row.id
    ]
    # Slack had it: found, not posted again. Slack never had it: posted once, after the look.
    assert len(again) == (0 if slack_has_it else 1)

    # Whatever else the dead process had claimed (the request's other notices) arrives once too.
    def all_sent(_: SlackEmulator) -> list[OutboxMessage] | None:
        with db.session() as s:
            rows = list(s.scalars(select(OutboxMessage)))
            s.expunge_all()
        return rows if {r.status for r in rows} == {OutboxStatus.SENT} else None

    for other in emulator.wait_for(all_sent, timeout=30):
        if other.method == "chat.postMessage":
            assert _copies(emulator, other) == [other.ts], other.ref
