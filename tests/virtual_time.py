"""Time for a running app's delivery that jumps over its waits instead of sitting them out.

Slack's Retry-After is whole seconds and the backoff after a 5xx doubles from one second, so a
test that makes Slack refuse a post several times would otherwise wait tens of seconds. The
delivery's clock, its sleep and its pacer's monotonic clock all read one offset ahead of real
time; each wait adds its length to the offset at once. Every call the emulation records can be
put back on that timeline (`at`), so a test asserts the schedule (each retry no sooner than
Slack or the backoff allowed) rather than waiting it out. Concurrent waits add up rather than
overlap, so time only ever runs ahead: a retry that came too soon still shows as too soon.
"""

from __future__ import annotations

import bisect
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime


class VirtualTime:
    def __init__(self) -> None:
        self.ahead = 0.0
        self._lock = threading.Lock()
        self._jumps: list[tuple[float, float]] = []  # (time.time() just after a jump, ahead)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.ahead)

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self.ahead += seconds
            self._jumps.append((time.time(), self.ahead))
        time.sleep(0.001)  # the other threads' turn, as a real wait would give them

    def at(self, real: float) -> float:
        """Where an instant recorded as `time.time()` (an emulator's call) falls on this clock."""
        with self._lock:
            index = bisect.bisect_right(self._jumps, (real, float("inf")))
            return real + (self._jumps[index - 1][1] if index else 0.0)


def jump_over_waits(
    runtime: Runtime, virtual: VirtualTime | None = None, *, clock: bool = True
) -> VirtualTime:
    """Give a runtime's delivery (its sweeps and its worker's) the virtual sleep and, with
    `clock`, the virtual clock (a test that fixes the delivery's clock keeps it), and its
    workspace's pacer (shared with the listeners' client) the virtual monotonic clock. Call
    before the test's first post; several runtimes may share one `virtual`."""
    delivery, virtual = runtime.delivery, virtual or VirtualTime()

    def sleep(seconds: float) -> None:
        if not delivery.stopping.is_set():  # a shutdown ends every wait at once
            virtual.sleep(seconds)

    if clock:
        delivery.clock = virtual.now
    delivery.sleep = sleep
    delivery.clients.pacer(None).monotonic = virtual.monotonic
    return virtual
