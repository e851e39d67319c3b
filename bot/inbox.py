"""Where a request's work runs after its ack: the inbox row is claimed, the stored request is
dispatched through the processing app's listeners, and the row is marked done.

The receiving app (`bot.app.create_app`) writes each request's inbox row before its ack
(`bot.unit.listen`) and hands the row's id to a transport:

- `LocalTransport`: this process's work pool runs it (tests, the console, Socket Mode, and
  `champbot serve --no-worker`);
- `bot.worker.PipeTransport`: the id goes down a socket to the worker process that
  `champbot serve` starts beside itself, so that the web process only validates, writes
  the row and acks.

Either way the work is `Processor.process`: claim the row (`bot.services.inbox.claim`),
dispatch its body through the processing app (a second Bolt app, verification off, whose
listeners run their work directly in the calling thread), and mark the row done. The
`Sweeper` retries what a crash left: rows never claimed, and claims gone stale.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.db import once_more_if_lost
from bot.services import inbox

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=2)  # a row nobody has claimed this long after its ack was lost
SWEEP_EVERY = 1.0  # seconds between sweeps of the inbox
PRUNE_EVERY = 60.0  # seconds between deletions of old handled rows

_attempts = itertools.count(1)


@dataclass
class Claim:
    """One attempt at one inbox row, as the processing app's unit of work sees it."""

    inbox_id: int
    claimer: str
    finished: bool = field(default=False)


class Transport(Protocol):
    """How the receiving app hands over a row's work, and a form's outbox rows."""

    def hand_over(self, inbox_id: int) -> None: ...

    def deliver(self, ids: list[int]) -> None: ...


class Processor:
    """Works on inbox rows through `app` (the processing app), one attempt each."""

    def __init__(self, runtime: Runtime, app: App) -> None:
        self.runtime = runtime
        self.app = app
        self.stale_after = timedelta(seconds=runtime.settings.inbox_claim_seconds)
        self._name = f"{socket.gethostname()[:30]}:{os.getpid()}"

    def process(self, inbox_id: int) -> bool:
        """Claim the row and run its work; False if it was not this attempt's to do (done
        already, or under someone else's live claim)."""
        claim = Claim(inbox_id, f"{self._name}:{next(_attempts)}")
        db = self.runtime.db

        def take() -> str | None:
            with db.session() as session:
                return inbox.claim(
                    session=session,
                    inbox_id=inbox_id,
                    claimer=claim.claimer,
                    now=self.runtime.now(),
                    stale_after=self.stale_after,
                )

        body = once_more_if_lost(take)  # a connection broken by a restart is no lost request
        if body is None:
            return False
        try:
            self.app.dispatch(
                BoltRequest(
                    body=body,
                    headers={"content-type": "application/json"},
                    context={"inbox": claim},
                )
            )
        finally:
            # Refused, failed, or matched by no listener: done all the same (a refusal or a
            # failure has been told to the person; trying again would tell them again).
            if not claim.finished:
                with db.session() as session:
                    inbox.finish(
                        session=session,
                        inbox_id=inbox_id,
                        claimer=claim.claimer,
                        now=self.runtime.now(),
                    )
        return True

    def sweep(self) -> int:
        """Claim and work on every row a crash left behind; how many were worked on."""
        with self.runtime.db.session() as session:
            ids = inbox.due(
                session=session,
                now=self.runtime.now(),
                grace=GRACE,
                stale_after=self.stale_after,
            )
        done = 0
        for inbox_id in ids:
            if self.process(inbox_id):
                log.info("inbox row %d taken over by the sweep", inbox_id)
                done += 1
        return done

    def prune(self) -> int:
        with self.runtime.db.session() as session:
            return inbox.prune(session=session, now=self.runtime.now())


class LocalTransport(Transport):
    """The work runs on this process's work pool."""

    def __init__(self, runtime: Runtime, processor: Processor) -> None:
        self._runtime = runtime
        self.processor = processor

    def hand_over(self, inbox_id: int) -> None:
        self._runtime.work_pool.submit(lambda: self.processor.process(inbox_id))

    def deliver(self, ids: list[int]) -> None:
        self._runtime.worker.submit(ids)


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
                self._processor.sweep()
                if clock - pruned_at >= PRUNE_EVERY:
                    pruned_at = clock
                    self._processor.prune()
            except Exception:  # the next sweep tries again
                log.exception("inbox sweep failed; retrying")
