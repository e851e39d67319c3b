"""Group commit of the acks' inbox rows (`bot.acks`): requests that arrive while a commit is
under way are committed together, in one INSERT, each caller answered for its own row, a
repeat refusing only itself, and nobody answered before the commit that holds their row."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from bot.acks import GroupCommit, NotReceived
from bot.db import Database
from bot.models import InboxItem, utcnow
from bot.services import inbox


def arrival(**keys: Any) -> inbox.Arrival:
    return inbox.Arrival(inbox.Received(kind="command", body='{"text": "typed"}', **keys), utcnow())


def signed(n: int) -> inbox.Arrival:
    return arrival(signature=f"v0={n:064x}")


def count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(InboxItem)) or 0)


@contextmanager
def first_insert_held(db: Database) -> Iterator[tuple[threading.Event, threading.Event, list[str]]]:
    """Holds the first inbox INSERT (until `go` is set) once it has begun (`held` is set);
    records every inbox INSERT sent."""
    held, go = threading.Event(), threading.Event()
    inserts: list[str] = []

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO inbox"):
            inserts.append(statement)
            if len(inserts) == 1:
                held.set()
                assert go.wait(10)

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        yield held, go, inserts
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)


def test_acks_that_arrive_during_a_commit_share_the_next_one(db: Database) -> None:
    acks = GroupCommit(db)
    answers: dict[int, int | None] = {}
    seen_when_answered: dict[int, bool] = {}

    def ack(n: int) -> None:
        answers[n] = got = acks.receive(signed(n))
        with db.session() as s:  # committed by the time the caller has its answer
            seen_when_answered[n] = (
                s.scalar(select(InboxItem.signature).where(InboxItem.id == got)) == f"v0={n:064x}"
            )

    with first_insert_held(db) as (held, go, inserts):
        first = threading.Thread(target=ack, args=(0,))
        first.start()
        assert held.wait(10)
        others = [threading.Thread(target=ack, args=(n,)) for n in range(1, 8)]
        for t in others:
            t.start()
        time.sleep(0.3)  # all seven are waiting for the first commit
        assert answers == {}
        go.set()
        for t in (first, *others):
            t.join(10)
    assert len(inserts) == 2  # the first alone, then the seven in one statement
    assert acks.batches == 2
    assert sorted(answers) == list(range(8))
    assert len({answers[n] for n in range(8)}) == 8 and None not in answers.values()
    assert all(seen_when_answered.values()) and len(seen_when_answered) == 8
    assert count(db) == 8


def test_in_one_batch_a_repeat_refuses_only_itself(db: Database) -> None:
    digest = inbox.repeat_digest(b"secret", "T1", "U1", "C1", "/faq", "what is an spo")
    with db.session() as s:
        before = inbox.receive_many(session=s, items=[signed(99)])[0]
    assert before is not None
    items = [
        signed(1),
        signed(1),  # a replay of the one before it
        signed(99),  # a replay of one received earlier
        arrival(signature=f"v0={2:064x}", event_id="Ev1"),
        arrival(signature=f"v0={3:064x}", event_id="Ev1"),  # Slack's retry of that event
        arrival(signature=f"v0={4:064x}", repeat=digest),
        arrival(signature=f"v0={5:064x}", repeat=digest),  # the same command sent twice
        arrival(),  # no key at all (Socket Mode): never refused
        arrival(),
        signed(6),
    ]
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as s:
            got = inbox.receive_many(session=s, items=items)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sent == ["INSERT"]  # one statement for all of them, whatever their NULL columns
    refused = [n for n, inbox_id in enumerate(got) if inbox_id is None]
    assert refused == [1, 2, 4, 6]
    kept = [inbox_id for inbox_id in got if inbox_id is not None]
    assert len(set(kept)) == 6
    with db.session() as s:
        stored = {i: sig for i, sig in s.execute(select(InboxItem.id, InboxItem.signature))}
    assert len(stored) == 7
    for n in (0, 3, 5, 9):  # each id is its own arrival's row
        assert stored[got[n]] == items[n].item.signature  # type: ignore[index]
    assert stored[got[7]] is None and stored[got[8]] is None


def test_a_failed_commit_fails_every_caller_in_it_and_keeps_none_of_its_rows(
    db: Database,
) -> None:
    acks = GroupCommit(db)
    errors: dict[int, BaseException] = {}

    def ack(n: int) -> None:
        try:
            acks.receive(signed(n))
        except NotReceived as error:
            errors[n] = error

    def fail_second(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO inbox") and len(inserts) == 2:
            raise OSError("disk gone")

    with first_insert_held(db) as (held, go, inserts):
        event.listen(db.engine, "before_cursor_execute", fail_second)
        try:
            first = threading.Thread(target=ack, args=(0,))
            first.start()
            assert held.wait(10)
            others = [threading.Thread(target=ack, args=(n,)) for n in range(1, 4)]
            for t in others:
                t.start()
            time.sleep(0.3)
            go.set()
            for t in (first, *others):
                t.join(10)
        finally:
            event.remove(db.engine, "before_cursor_execute", fail_second)
    assert sorted(errors) == [1, 2, 3]
    assert all(isinstance(e.__cause__, OSError) for e in errors.values())
    assert count(db) == 1
    assert acks.receive(signed(1)) is not None  # the next commit goes through


def test_a_batch_takes_at_most_max_batch_rows(db: Database) -> None:
    size = 3
    acks = GroupCommit(db, max_batch=size)
    with first_insert_held(db) as (held, go, inserts):
        threads = [threading.Thread(target=acks.receive, args=(signed(n),)) for n in range(8)]
        threads[0].start()
        assert held.wait(10)
        for t in threads[1:]:
            t.start()
        time.sleep(0.3)
        go.set()
        for t in threads:
            t.join(10)
    assert count(db) == 8
    assert acks.batches == 1 + 3  # the first alone, then 7 in batches of 3, 3 and 1
    assert [s.count("), (") + 1 for s in inserts] == [1, 3, 3, 1]
