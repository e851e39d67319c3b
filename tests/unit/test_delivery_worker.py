"""The delivery worker: batches what is queued, survives a failed delivery, stops promptly."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bot.delivery import DeliveryWorker


class FakeDelivery:
    """Records what it was asked to deliver; can be made slow or broken."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.calls: list[set[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail_next = False

    def deliver(self, ids: Any = None) -> list[Any]:
        self.calls.append(set(ids))
        while not self.gate.is_set() and not self.stopping.is_set():
            time.sleep(0.01)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("Slack is down")
        return []


def test_what_queues_up_behind_a_delivery_goes_in_one_pass() -> None:
    fake = FakeDelivery()
    worker = DeliveryWorker(fake, threads=1)  # type: ignore[arg-type]
    fake.gate.clear()
    worker.submit([1])
    time.sleep(0.1)  # the first delivery has started and is held
    worker.submit([2])
    worker.submit([3, 4])
    fake.gate.set()
    assert worker.wait_idle(5)
    assert fake.calls == [{1}, {2, 3, 4}]
    worker.close()


def test_a_failed_delivery_does_not_stop_the_worker() -> None:
    fake = FakeDelivery()
    worker = DeliveryWorker(fake, threads=1)  # type: ignore[arg-type]
    fake.fail_next = True
    worker.submit([1])
    assert worker.wait_idle(5)
    worker.submit([2])
    assert worker.wait_idle(5)
    assert {2} in fake.calls
    worker.close()


def test_close_stops_a_long_delivery_and_refuses_more() -> None:
    fake = FakeDelivery()
    worker = DeliveryWorker(fake)  # type: ignore[arg-type]
    fake.gate.clear()  # a delivery that would run for minutes
    worker.submit([1])
    time.sleep(0.05)
    started = time.monotonic()
    worker.close(timeout=5)
    assert time.monotonic() - started < 2
    assert fake.stopping.is_set()
    worker.submit([2])
    assert [c for c in fake.calls if 2 in c] == []


def test_interactive_posts_go_ahead_of_queued_bulk_posts() -> None:
    """Bulk posts leave the workspace's last slots free: with bulk posts queued behind the
    limit, an answer goes at once, and takes its slot ahead of them."""
    from bot.delivery import Pacer

    ticks = [0.0]
    pacer = Pacer(lambda: ticks[0], rate=10.0, burst=20, reserve=5)
    post = "conversations.open+chat.postMessage"
    bulk = [pacer.reserve(post, f"D{n}", bulk=True) for n in range(15)]
    assert bulk == pytest.approx([0.0] * 15)  # the burst, less the reserve
    queued = [pacer.reserve(post, f"D{n}", bulk=True) for n in range(15, 18)]
    assert queued == pytest.approx([0.1, 0.2, 0.3])
    assert pacer.reserve("chat.postMessage", "DOFFICER") == pytest.approx(0.0)
    assert pacer.reserve(post, "D18", bulk=True) == pytest.approx(0.5)  # behind the answer
    # Once the bucket has refilled, bulk again stops short of the reserve; answers do not.
    ticks[0] = 10.0
    assert [pacer.reserve(post, f"E{n}", bulk=True) for n in range(16)][-2:] == pytest.approx(
        [0.0, 0.1]
    )
    assert pacer.reserve("chat.postMessage", "DOFFICER2") == pytest.approx(0.0)


def test_a_workspace_wide_429_lowers_the_rate_and_holds_every_post() -> None:
    from bot.delivery import Pacer

    ticks = [0.0]
    pacer = Pacer(lambda: ticks[0], rate=10.0, burst=20, reserve=5)
    pacer.limited("chat.postMessage", "D1", 2)
    pacer.limited("chat.postMessage", "D2", 2)  # a second channel: the workspace's limit
    assert pacer.rate == pytest.approx(9.0)
    assert pacer.reserve("chat.postMessage", "D3", max_wait=5) == pytest.approx(2.0)
    bulk = pacer.reserve("chat.postMessage", "D4", bulk=True, max_wait=5)
    assert bulk is not None and bulk > 2.0  # bulk waits for the reserve to fill again


def test_broadcast_copies_digests_and_reminders_are_bulk() -> None:
    from bot.delivery.rows import is_bulk

    assert is_bulk("broadcast:3:1:U0001") and is_bulk("broadcast:3:1:post")
    assert is_bulk("broadcast-reminder:3:U0001:auto") and is_bulk("digest:2026-W48")
    assert not is_bulk("offer:12") and not is_bulk("officer:4") and not is_bulk(None)


def test_a_listeners_post_waits_out_a_429_in_the_shared_pacer(emulator: Any) -> None:
    """The listeners' client records Slack's 429 in the pacer the delivery shares, and posts
    again once Retry-After has passed, instead of failing the reply."""
    from bot.delivery import Pacer
    from bot.runtime import make_client

    emulator.add_channel("CBUSY")
    emulator.rate_limit_channels(per_second=1.0, burst=1)
    pacer = Pacer()
    client = make_client(token="xoxb-test-token", api_url=emulator.api_url, pacer=pacer)
    for n in range(2):
        assert client.chat_postMessage(channel="CBUSY", text=f"reply {n}")["ok"]
    statuses = [c.status for c in emulator.find_calls("chat.postMessage")]
    assert statuses == [200, 429, 200]
    # The delivery, sharing the pacer, now keeps a bulk post off that channel for a while.
    assert pacer.free_in("chat.postMessage", "CBUSY", bulk=True) > 0.5
