"""How the ack's inbox INSERT reaches the database: on SQLite, a write transaction that begins
IMMEDIATE at its first write and waits for the write lock by polling (the worker process's
writers one at a time, behind the acks); on PostgreSQL, one round trip that commits itself."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import event, func, select

from bot.db import Database
from bot.models import InboxItem, utcnow
from bot.services import inbox


def receive(db: Database, n: int) -> int | None:
    item = inbox.Received(kind="command", body='{"text": "typed"}', signature=f"v0={n:064x}")
    with db.session() as s:
        return inbox.receive(session=s, item=item, now=utcnow())


def traced(session: sqlalchemy.orm.Session) -> list[str]:
    """Every statement SQLite runs on the session's connection from now on (failed tries
    included), as SQLite's trace hook reports them; pragmas (connection settings) left out."""
    statements: list[str] = []
    raw = session.connection().connection.dbapi_connection
    assert raw is not None

    def keep(statement: str) -> None:
        if not statement.startswith("PRAGMA"):
            statements.append(statement)

    raw.set_trace_callback(keep)  # type: ignore[attr-defined]
    return statements


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.ensure_schema()
    yield db
    db.dispose()


def test_a_write_transaction_begins_immediate_at_its_first_write_never_at_a_read(
    fresh: Database,
) -> None:
    with fresh.session() as s:
        statements = traced(s)
        s.execute(select(func.count()).select_from(InboxItem))
        assert not s.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        item = inbox.Received(kind="command", body="{}", signature="v0=" + "a" * 64)
        assert inbox.receive(session=s, item=item, now=utcnow()) is not None
        with s.begin_nested():  # a savepoint inside it begins nothing more
            s.execute(select(InboxItem.id))
    assert [x.split()[0] for x in statements] == [
        "SELECT",
        "BEGIN",
        "INSERT",
        "SAVEPOINT",
        "SELECT",
        "RELEASE",
        "COMMIT",
    ]
    assert statements[1] == "BEGIN IMMEDIATE"
    # A savepoint outside a transaction would begin a deferred one: it begins immediate too.
    with fresh.session() as s:
        statements = traced(s)
        with s.begin_nested():
            s.execute(select(InboxItem.id))
    assert statements[:2] == ["BEGIN IMMEDIATE", "SAVEPOINT sa_savepoint_1"]


def _hold_the_lock(path: str, held: threading.Event, release: threading.Event) -> None:
    import sqlite3

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO inbox (kind, received_at, attempts) VALUES ('x', '2026-01-01', 0)")
    held.set()
    release.wait(10)
    other.execute("COMMIT")
    other.close()


def test_a_writer_waiting_for_the_lock_polls_for_it_instead_of_sleeping_in_sqlite(
    fresh: Database,
) -> None:
    """SQLite's busy handler sleeps 1, 2, 5, … then 100 ms between tries, so a waiter sleeps
    on long after the lock is free; the ack's BEGIN IMMEDIATE is tried again and again."""
    held, release = threading.Event(), threading.Event()
    path = fresh.engine.url.database
    assert path is not None
    holder = threading.Thread(target=_hold_the_lock, args=(path, held, release))
    holder.start()
    held.wait(10)
    with fresh.session() as s:
        statements = traced(s)

        def release_after_three_tries() -> None:  # however slowly a loaded machine runs them
            deadline = time.monotonic() + 10
            while statements.count("BEGIN IMMEDIATE") < 3 and time.monotonic() < deadline:
                time.sleep(0.005)
            release.set()

        threading.Thread(target=release_after_three_tries).start()
        item = inbox.Received(kind="command", body="{}", signature="v0=" + "b" * 64)
        assert inbox.receive(session=s, item=item, now=utcnow()) is not None
    holder.join(10)
    tries = statements.count("BEGIN IMMEDIATE")
    assert tries >= 3, statements  # one per poll while the other connection held the lock
    assert statements[-2:] == [statements[-2], "COMMIT"] and statements[-2].startswith("INSERT")


def test_in_the_background_one_thread_at_a_time_waits_for_the_lock(fresh: Database) -> None:
    """The worker process's writers queue in the process, so that only one of them at a time
    competes with the web process's acks for SQLite's lock."""
    fresh.writes_in_background()
    first_in, first_go = threading.Event(), threading.Event()
    second_trace: list[list[str]] = []

    def first() -> None:
        with fresh.session() as s:
            item = inbox.Received(kind="command", body="{}", signature="v0=" + "c" * 64)
            inbox.receive(session=s, item=item, now=utcnow())
            first_in.set()
            first_go.wait(10)

    def then() -> None:
        with fresh.session() as s:
            second_trace.append(traced(s))
            item = inbox.Received(kind="command", body="{}", signature="v0=" + "d" * 64)
            inbox.receive(session=s, item=item, now=utcnow())

    a = threading.Thread(target=first)
    a.start()
    first_in.wait(10)
    b = threading.Thread(target=then)
    b.start()
    time.sleep(0.3)  # the second writer is now waiting
    tried_meanwhile = len(second_trace[0]) if second_trace else -1
    first_go.set()
    a.join(10)
    b.join(10)
    assert tried_meanwhile == 0  # it did not even try SQLite's lock while the first held it
    assert second_trace[0][0] == "BEGIN IMMEDIATE"
    assert second_trace[0].count("BEGIN IMMEDIATE") == 1  # and got it at its first try
    with fresh.session() as s:
        assert s.scalar(select(func.count()).select_from(InboxItem)) == 2


def test_the_ack_sends_its_insert_and_nothing_else(db: Database) -> None:
    """Before the ack: no SELECT (not even a pool's pre-ping), one statement."""
    receive(db, 1)  # a connection in the pool
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert receive(db, 2) is not None
        assert receive(db, 2) is None  # a repeat: the same one statement, refused
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sent == ["INSERT", "INSERT"]


def test_on_postgresql_the_ack_is_one_round_trip_committed_when_it_returns(
    postgres_db: Database, tmp_path: Path
) -> None:
    db = Database(postgres_db.url)  # a pool of its own, every connection traced by libpq
    trace = tmp_path / "libpq.trace"
    out = trace.open("w")

    @event.listens_for(db.engine, "connect")
    def _trace(dbapi: Any, _record: Any) -> None:
        dbapi.pgconn.trace(out.fileno())

    try:
        receive(db, 10)
        out.flush()
        mark = trace.stat().st_size
        item = inbox.Received(kind="command", body="{}", signature="v0=" + "e" * 64)
        with db.session() as s:
            inbox.receive(session=s, item=item, now=utcnow())
            # Committed by the INSERT itself: another connection sees the row already.
            with postgres_db.session() as other:
                assert other.scalar(
                    select(func.count())
                    .select_from(InboxItem)
                    .where(InboxItem.signature == item.signature)
                )
        out.flush()
        os.fsync(out.fileno())
        sent = [
            line.split("\t")[3]
            for line in trace.read_text()[mark:].splitlines()
            if line.split("\t")[1:2] == ["F"]
        ]
        # One extended-protocol exchange (Parse, Bind, Describe, Execute, Sync): no BEGIN,
        # no COMMIT, no ping.
        assert sent.count("Sync") + sent.count("Query") == 1, sent
        assert "Query" not in sent
    finally:
        db.dispose()
        out.close()
