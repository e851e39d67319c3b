"""The app's own pool for listeners' work, so that Bolt's threads only ack (hand-written around
`ThreadPoolExecutor`, which has no bound on what is queued, no "wait until idle", and no close
with a time limit)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

THREADS = 8  # units of work at once: search, database and the reply post, mostly waiting
QUEUED = 64  # units that may wait for a thread; beyond it, Bolt's thread waits to hand one over
# The pool's threads run at a lower priority than the threads that ack (where the system allows
# it, per thread: Linux): on a busy machine an ack then gets a core before a search does.
NICENESS = 5


class WorkPool:
    """Runs listeners' units of work after their ack. Bounded: when `threads + queued` units are
    in hand, `submit` waits for one to finish (Bolt's executor then slows its acks, which is the
    back-pressure wanted, instead of work piling up without limit). `close` lets what was handed
    over finish: every unit acked was promised to run."""

    def __init__(self, *, threads: int = THREADS, queued: int = QUEUED) -> None:
        self._size = max(1, threads)
        self._room = threading.BoundedSemaphore(self._size + max(0, queued))
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None
        self._queued: set[Future[None]] = set()  # handed over, perhaps not started

    def submit(self, work: Callable[[], object]) -> None:
        """Run `work` on the pool soon; after `close`, in the caller's thread."""
        with self._lock:
            closed = self._closed
        if closed:
            self._run(work)  # shutting down: still done, just not handed over
            return
        self._room.acquire()
        with self._lock:
            if self._closed:
                self._room.release()
                closed = True
            else:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self._size, thread_name_prefix="unit", initializer=_lower_priority
                    )
                self._pending += 1
                future = self._executor.submit(self._done_after, work)
                self._queued.add(future)
                future.add_done_callback(self._forget)
        if closed:
            self._run(work)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every unit handed over so far has finished; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self, timeout: float = 30.0, *, leave_queued: bool = False) -> None:
        """Take no more work; wait (up to `timeout`) for the units already handed over.
        `leave_queued`: those not yet started are dropped instead, where each is an inbox row
        that a sweep takes again (the worker process's units), and only the running ones are
        waited for."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor = self._executor
            queued = list(self._queued) if leave_queued else []
        if executor is None:
            return
        left = 0
        for future in queued:
            if future.cancel():  # not started: it never runs, so it is let go of here
                left += 1
                self._let_go()
        if left:
            log.info("stopping: %d units not started are left to the inbox's sweep", left)
        if not self.wait_idle(timeout):
            log.warning("units of work still running after %.0fs at shutdown", timeout)
        executor.shutdown(wait=False)

    @property
    def closed(self) -> bool:
        return self._closed

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._queued.discard(future)

    def _done_after(self, work: Callable[[], object]) -> None:
        try:
            self._run(work)
        finally:
            self._let_go()

    def _let_go(self) -> None:
        """One unit handed over is done with (run, or dropped before it started)."""
        self._room.release()
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    @staticmethod
    def _run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # a unit maps its own errors; this is the last line, never reached
            log.exception("a unit of work failed outside its error mapping")


def _lower_priority() -> None:
    # Not per thread on this system, or not allowed: the pool runs as it is.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
