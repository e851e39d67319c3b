"""Group commit of the acks' inbox rows: requests that arrive together share one commit.

Every request the receiving app acks is first committed to the inbox (`bot.unit.listen`),
and its commit waits for the disk (SQLite with `synchronous=FULL`, PostgreSQL's WAL flush).
Eight requests at once each committing on their own wait for each other: on SQLite one
writer at a time, each holding the write lock through its own fsync, so the eighth waits for
seven; on PostgreSQL eight backends, each a round trip and a turn on the cores.

`GroupCommit.receive` is called by each request's thread. The first to arrive while no
commit is under way commits at once, alone; those that arrive while it commits wait, and the
first of them, woken before the callers just answered, then commits all that have gathered
in one transaction: one INSERT of every row (`bot.services.inbox.receive_many`), one commit,
one fsync. Each caller returns when the commit that holds its row has returned (the row is
on the disk before its ack, as before) with its own answer: its row's id, or None if it
repeats an earlier request or one in the same batch (a repeat refuses only itself). If the
commit fails, every caller in it gets `NotReceived` (the error chained), and none of its
rows is there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.db import Database, once_more_if_lost
from bot.services import inbox

MAX_BATCH = 64  # rows in one INSERT at most (SQLite allows 32,766 bound values: 9 a row)


@dataclass
class _Waiting:
    arrival: inbox.Arrival
    turn: threading.Event = field(default_factory=threading.Event)  # done, or to commit next
    done: bool = False
    inbox_id: int | None = None
    error: BaseException | None = field(default=None)


class GroupCommit:
    """Commits the inbox rows of concurrent requests together (see the module's docstring)."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._committing = False
        self.batches = 0  # commits made, for tests and benchmarks

    def receive(self, arrival: inbox.Arrival) -> int | None:
        """Commit the request's inbox row (with any that arrive meanwhile); its id, or None if
        it repeats one received before. Returns once the row is committed."""
        mine = _Waiting(arrival)
        with self._lock:
            self._queue.append(mine)
            waits, self._committing = self._committing, True
        if waits:
            mine.turn.wait()  # until its row is committed, or it is its turn to commit
            if mine.done:
                return _answer(mine)
        with self._lock:  # this thread commits its own row and whatever else waits
            self._queue.remove(mine)
            batch = [mine, *self._queue[: self._max_batch - 1]]
            del self._queue[: self._max_batch - 1]
        following = None
        try:
            self._commit(batch)
        finally:
            with self._lock:
                for waiting in batch:
                    waiting.done = True
                if self._queue:  # the first still waiting commits next (still `_committing`)
                    following = self._queue[0]
                else:
                    self._committing = False
            # The next committer is woken first, before the callers just answered (who will
            # want the GIL to send their acks), so that its commit begins at once.
            if following is not None:
                following.turn.set()
            for waiting in batch:
                waiting.turn.set()
        return _answer(mine)

    def _commit(self, batch: list[_Waiting]) -> None:
        def insert() -> list[int | None]:
            with self._db.connection() as connection:
                return inbox.receive_many(session=connection, items=[w.arrival for w in batch])

        try:
            # After a restart of PostgreSQL the pool's first connection is found broken; the
            # rows are inserted again on a new one rather than the acks refused.
            ids = once_more_if_lost(insert)
            self.batches += 1
        except BaseException as error:
            for waiting in batch:
                waiting.error = error
            if not isinstance(error, Exception):
                raise
            return
        for waiting, inbox_id in zip(batch, ids, strict=True):
            waiting.inbox_id = inbox_id


class NotReceived(RuntimeError):
    """The commit that held this request's row failed (its cause is chained): not received."""


def _answer(waiting: _Waiting) -> int | None:
    if waiting.error is not None:
        raise NotReceived("the inbox commit failed") from waiting.error
    return waiting.inbox_id
