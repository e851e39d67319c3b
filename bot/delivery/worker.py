"""A delivery worker per process: listener threads hand it outbox ids after their commit and go
back to Bolt, so no listener thread waits on Slack's pacing (a broadcast can take minutes)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable

from bot.delivery.sender import Delivery

log = logging.getLogger(__name__)

THREADS = 2  # one long broadcast occupies one; the other keeps officers' notices instant
DRAIN = 1.0  # seconds a shutdown waits for the rows already handed over (a broadcast: no more)


class DeliveryWorker:
    """Delivers queued outbox ids on its own threads, started on first use. Whatever it cannot
    send, or had no time to send before `close`, stays in the outbox for the clock's sweep."""

    def __init__(self, delivery: Delivery, *, threads: int = THREADS) -> None:
        self.delivery = delivery
        self._size = max(1, threads)
        self._queue: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._closed = False

    def submit(self, ids: Iterable[int]) -> None:
        """Deliver these rows soon, on the worker's threads."""
        batch = list(ids)
        if not batch:
            return
        with self._lock:
            if self._closed:
                return  # shutting down: the sweep sends them
            if not self._threads:
                self._start()
            self._pending += 1
        self._queue.put(batch)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until everything submitted so far has been attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self, timeout: float = 10.0, *, drain: float = DRAIN) -> None:
        """Stop the threads, after up to `drain` seconds for what was handed over (answers
        just committed go out before a graceful shutdown): a delivery still under way then
        gives its unsent rows back to the outbox."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        if threads and drain > 0:
            self.wait_idle(timeout=drain)
        self.delivery.stopping.set()
        for _ in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout=timeout)
            if thread.is_alive():
                log.warning("a delivery thread did not stop within %.0fs", timeout)

    def _start(self) -> None:
        for n in range(self._size):
            thread = threading.Thread(target=self._run, name=f"delivery-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batches, stop = [first], False
            # What else is already waiting goes in the same delivery: a burst is one pass.
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batches.append(more)
            try:
                self.delivery.deliver({i for batch in batches for i in batch})
            except Exception:  # the sweep retries; the worker must outlive any one failure
                log.exception("immediate delivery failed; the sweep will retry")
            finally:
                with self._idle:
                    self._pending -= len(batches)
                    self._idle.notify_all()
            if stop:
                return
