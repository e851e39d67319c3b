"""The delivery worker: batches what is queued, survives a failed delivery, stops promptly."""

from __future__ import annotations

import threading
import time
from typing import Any

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
