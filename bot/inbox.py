"""The inbox's sweeper: it retries what a crash left, and prunes old rows.

Each request's inbox row is written before its ack and worked on once after it, by
`bot.unit.Processor` (see `bot.unit` for the whole way of a request). A process that dies
between the ack and the hand-over leaves a row nobody claimed; one that dies mid-work leaves a
claim that goes stale. The sweeper, a thread in whichever process runs the work, claims and
works on both, and deletes handled rows once they are past replays
(`bot.services.inbox.prune`).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.services import inbox

if TYPE_CHECKING:
    from bot.unit import Processor

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=2)  # a row nobody has claimed this long after its ack was lost
SWEEP_EVERY = 1.0  # seconds between sweeps of the inbox
PRUNE_EVERY = 60.0  # seconds between deletions of old handled rows


def sweep(processor: Processor) -> int:
    """Claim and work on every row a crash left behind; how many were worked on."""
    runtime = processor.runtime
    with runtime.db.session() as session:
        ids = inbox.due(
            session=session,
            now=runtime.now(),
            grace=GRACE,
            stale_after=processor.stale_after,
        )
    done = 0
    for inbox_id in ids:
        if processor.process(inbox_id):
            log.info("inbox row %d taken over by the sweep", inbox_id)
            done += 1
    return done


def prune(processor: Processor) -> int:
    """Delete the handled rows past replays; how many."""
    with processor.runtime.db.session() as session:
        return inbox.prune(session=session, now=processor.runtime.now())


class Sweeper:
    """A thread that sweeps the inbox every `every` seconds (and prunes it now and then)."""

    def __init__(self, processor: Processor, *, every: float = SWEEP_EVERY) -> None:
        self._processor = processor
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inbox-sweep", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        pruned_at = 0.0
        clock = 0.0
        while not self._stop.wait(self._every):
            clock += self._every
            try:
                sweep(self._processor)
                if clock - pruned_at >= PRUNE_EVERY:
                    pruned_at = clock
                    prune(self._processor)
            except Exception:  # the next sweep tries again
                log.exception("inbox sweep failed; retrying")
