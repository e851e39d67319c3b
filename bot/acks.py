"""Group commit of the acks' inbox rows: requests that arrive together share one commit.

Every request the receiving app acks is first committed to the inbox (`bot.unit.listen`),
and its commit waits for the disk (SQLite with `synchronous=FULL`, PostgreSQL's WAL flush).
Eight requests at once each committing on their own wait for each other: on SQLite one
writer at a time, each holding the write lock through its own fsync, so the eighth waits for
seven; on PostgreSQL eight backends, each a round trip and a turn on the cores.

`GroupCommit.receive` is called by each request's thread. The first to arrive while no
commit is under way commits at once, alone; those that arrive while it commits wait, and the
first of them then commits all that have gathered in one transaction: one INSERT of every
row (`bot.services.inbox.receive_many`), one commit, one fsync. Each caller returns when the
commit that holds its row has returned (the row is on the disk before its ack, as before)
with its own answer: its row's id, or None if it repeats an earlier request or one in the
same batch (a repeat refuses only itself). If the commit fails, every caller in it gets
`NotReceived` (the error chained), and none of its rows is there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.db import Database
from bot.services import inbox

MAX_BATCH = 64  # rows in one INSERT at most (SQLite allows 32,766 bound values: 9 a row)


@dataclass
class _Waiting:
    arrival: inbox.Arrival
    done: bool = False
    inbox_id: int | None = None
    error: BaseException | None = field(default=None)


class GroupCommit:
    """Commits the inbox rows of concurrent requests together (see the module's docstring)."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._changed = threading.Condition()
        self._queue: list[_Waiting] = []
        self._committing = False
        self.batches = 0  # commits made, for tests and benchmarks

    def receive(self, arrival: inbox.Arrival) -> int | None:
        """Commit the request's inbox row (with any that arrive meanwhile); its id, or None if
        it repeats one received before. Returns once the row is committed."""
        mine = _Waiting(arrival)
        with self._changed:
            self._queue.append(mine)
            while not mine.done and self._committing:
                self._changed.wait()
            if mine.done:
                return _answer(mine)
            # No commit under way: this thread commits its own row and whatever else waits.
            self._committing = True
            self._queue.remove(mine)
            batch = [mine, *self._queue[: self._max_batch - 1]]
            del self._queue[: self._max_batch - 1]
        try:
            self._commit(batch)
        finally:
            with self._changed:
                for waiting in batch:
                    waiting.done = True
                self._committing = False
                self._changed.notify_all()  # the next waiting thread commits the rest
        return _answer(mine)

    def _commit(self, batch: list[_Waiting]) -> None:
        try:
            with self._db.session() as session:
                ids = inbox.receive_many(session=session, items=[w.arrival for w in batch])
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
