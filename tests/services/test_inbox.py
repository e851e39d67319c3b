"""The inbox's rules: one row per request, repeats refused by the insert, claims that only one
worker wins, stale claims retaken, done rows forgotten."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.db import Database
from bot.models import InboxItem, utcnow
from bot.services import inbox

STALE = timedelta(seconds=60)


def received(db: Database, *, now: datetime | None = None, **keys: str) -> int | None:
    item = inbox.Received(kind="event_callback", body='{"text": "typed"}', **keys)  # type: ignore[arg-type]
    with db.session() as s:
        return inbox.receive(session=s, item=item, now=now or utcnow())


def claim(db: Database, inbox_id: int, who: str, at: object = None) -> str | None:
    with db.session() as s:
        return inbox.claim(
            session=s,
            inbox_id=inbox_id,
            claimer=who,
            now=at or utcnow(),  # type: ignore[arg-type]
            stale_after=STALE,
        )


def test_a_signature_or_an_event_id_is_taken_once(db: Database) -> None:
    first = received(db, signature="v0=" + "a" * 64, event_id="Ev1")
    assert first is not None
    assert received(db, signature="v0=" + "a" * 64) is None  # a replay
    assert received(db, signature="v0=" + "b" * 64, event_id="Ev1") is None  # Slack's retry
    assert received(db, signature="v0=" + "c" * 64, event_id="Ev2") is not None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(InboxItem)) == 2


def test_identical_commands_are_one_within_a_slot_and_two_slots_apart_are_not(
    db: Database,
) -> None:
    digest = inbox.repeat_digest(b"secret", "T1", "U1", "C1", "/ask", "what is an spo")
    base = utcnow().replace(microsecond=0)
    base = base - timedelta(seconds=int(base.timestamp()) % 2)  # the start of a 2 s slot

    def send(offset: float) -> int | None:
        item = inbox.Received(kind="command", body="{}", repeat=digest, slot=2)
        with db.session() as s:
            return inbox.receive(session=s, item=item, now=base + timedelta(seconds=offset))

    assert send(1.9) is not None
    assert send(2.1) is None  # 0.2 s later, across a slot boundary: still one
    assert send(5.95) is not None  # two slots on: a new command
    other = inbox.repeat_digest(b"secret", "T1", "U2", "C1", "/ask", "what is an spo")
    with db.session() as s:
        item = inbox.Received(kind="command", body="{}", repeat=other, slot=2)
        assert inbox.receive(session=s, item=item, now=base + timedelta(seconds=6)) is not None


def test_a_claim_is_won_once_finished_only_by_its_holder_and_retaken_when_stale(
    db: Database,
) -> None:
    row = received(db)
    assert row is not None
    now = utcnow()
    assert claim(db, row, "w1", now) == '{"text": "typed"}'
    assert claim(db, row, "w2", now + timedelta(seconds=5)) is None  # a live claim
    assert claim(db, row, "w2", now + STALE + timedelta(seconds=1)) is not None  # stale: retaken
    with db.session() as s:
        assert not inbox.finish(session=s, inbox_id=row, claimer="w1", now=now)  # lost it
        assert inbox.finish(session=s, inbox_id=row, claimer="w2", now=now)
    with db.session() as s:
        done = s.get(InboxItem, row)
        assert done is not None and done.handled_at is not None and done.body is None
        assert done.attempts == 2
    assert claim(db, row, "w3", now + STALE * 3) is None  # done: never again


def test_the_sweep_sees_rows_left_unclaimed_or_with_stale_claims(db: Database) -> None:
    now = utcnow()
    fresh, lost, stale, live = (received(db, now=now - timedelta(seconds=s)) for s in (0, 5, 0, 0))
    assert None not in (fresh, lost, stale, live)
    claim(db, stale, "dead", now - STALE - timedelta(seconds=1))  # type: ignore[arg-type]
    claim(db, live, "alive", now)  # type: ignore[arg-type]
    with db.session() as s:
        due = inbox.due(session=s, now=now, grace=timedelta(seconds=2), stale_after=STALE)
    assert due == sorted([lost, stale])  # type: ignore[type-var]


def test_a_row_that_killed_its_worker_each_time_is_given_up(db: Database) -> None:
    row = received(db)
    assert row is not None
    at = utcnow()
    for n in range(inbox.MAX_ATTEMPTS):
        assert claim(db, row, f"w{n}", at + STALE * 2 * n) is not None
    assert claim(db, row, "last", at + STALE * 2 * inbox.MAX_ATTEMPTS) is None
    with db.session() as s:
        assert inbox.is_handled(session=s, inbox_id=row)


def test_prune_keeps_recent_rows_and_purge_drops_everything_before(db: Database) -> None:
    now = utcnow()
    old = received(db, now=now - timedelta(hours=2), event_id="EvOld")
    pending_old = received(db, now=now - timedelta(hours=2), event_id="EvPending")
    recent = received(db, now=now, event_id="EvNew")
    for row in (old, recent):
        claim(db, row, "w", now)  # type: ignore[arg-type]
        with db.session() as s:
            inbox.finish(session=s, inbox_id=row, claimer="w", now=now)  # type: ignore[arg-type]
    with db.session() as s:
        assert inbox.prune(session=s, now=now) == 1  # the old handled row only
    with db.session() as s:
        assert s.get(InboxItem, old) is None and s.get(InboxItem, pending_old) is not None
        assert inbox.purge(s, now - timedelta(minutes=1)) == 1  # the old unhandled one
    with db.session() as s:
        assert [r.id for r in s.scalars(select(InboxItem))] == [recent]


def test_simultaneous_claims_let_exactly_one_worker_through(pg: Database) -> None:
    row = received(pg)
    assert row is not None
    barrier = threading.Barrier(8)
    won: list[bool] = []

    def take(n: int) -> None:
        barrier.wait()
        won.append(claim(pg, row, f"w{n}") is not None)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == [False] * 7 + [True]
