"""A shutdown ends a delivery's waits at once: a row due in a few seconds (after a 429) is
left to the sweep rather than waited for, so a worker process stops when told."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient

from bot.db import Database
from bot.delivery import Delivery
from bot.emulator import SlackEmulator
from bot.models import OutboxMessage, OutboxStatus
from bot.services import outbox
from tests.conftest import BOT_TOKEN


def test_a_shutdown_wakes_a_delivery_waiting_for_a_row_due_again(
    db: Database, emulator: SlackEmulator
) -> None:
    with db.session() as s:
        row_id = outbox.post(session=s, channel="CGENERAL", text="after the 429").id
    emulator.inject("chat.postMessage", status=429, retry_after=4)  # due again in 4 s
    sender = Delivery(db, WebClient(token=BOT_TOKEN, base_url=emulator.api_url))
    done = threading.Event()

    def deliver() -> None:
        sender.deliver([row_id])
        done.set()

    threading.Thread(target=deliver, daemon=True).start()
    emulator.wait_for(lambda e: e.find_calls("chat.postMessage"), timeout=10)
    time.sleep(0.2)  # the delivery is now waiting out the Retry-After
    assert not done.is_set()
    sender.stopping.set()
    assert done.wait(timeout=2), "the delivery went on waiting after the shutdown"
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        assert row is not None
        assert row.status is OutboxStatus.PENDING and row.locked_until is None  # for the sweep
    assert len(emulator.find_calls("chat.postMessage")) == 1  # not tried again
