"""A restart of PostgreSQL breaks every pooled connection; the first request after it must not
be refused for that. Ending the backend of the pool's one connection (`pg_terminate_backend`)
breaks it as a restart would, without touching anyone else's connections."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from bot.acks import GroupCommit
from bot.db import Database
from bot.models import InboxItem, utcnow
from bot.services import inbox


def arrival(n: int) -> inbox.Arrival:
    item = inbox.Received(kind="command", body='{"text": "typed"}', signature=f"v0={n:064x}")
    return inbox.Arrival(item, utcnow())


@pytest.fixture
def own_pool(pg: Database) -> Iterator[Database]:
    """A database of its own engine (its pool breakable alone), on the test's schema."""
    db = Database(pg.engine.url.render_as_string(hide_password=False))
    yield db
    db.dispose()


def break_pooled_connection(db: Database, admin: Database) -> None:
    """End the backend of the one connection in `db`'s pool, and wait until it has gone."""
    with db.engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert db.engine.pool.checkedin() == 1
    with admin.engine.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with admin.engine.connect() as conn:
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
        if not alive:
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} did not end")


def test_an_ack_after_a_restart_is_received_on_a_new_connection(
    own_pool: Database, pg: Database
) -> None:
    acks = GroupCommit(own_pool)
    first = acks.receive(arrival(1))
    break_pooled_connection(own_pool, pg)
    second = acks.receive(arrival(2))
    assert first is not None and second is not None and second != first
    with pg.session() as s:
        assert s.scalars(select(InboxItem.id).order_by(InboxItem.id)).all() == [first, second]


def test_a_claim_after_a_restart_is_taken_on_a_new_connection(
    own_pool: Database, pg: Database
) -> None:
    from bot.unit import Processor

    with pg.session() as s:
        (inbox_id,) = inbox.receive_many(session=s, items=[arrival(1)])
    assert inbox_id is not None

    class Runtime:  # what `Processor` reads of the runtime
        db = own_pool
        now = staticmethod(utcnow)

        class settings:
            inbox_claim_seconds = 60

    dispatched: list[object] = []

    class App:
        def dispatch(self, request: object) -> None:
            dispatched.append(request)

    processor = Processor(Runtime(), App())  # type: ignore[arg-type]
    with own_pool.session() as s:  # the pool's one connection, then broken
        s.execute(text("SELECT 1"))
    break_pooled_connection(own_pool, pg)
    assert processor.process(inbox_id) is True
    assert len(dispatched) == 1
    with pg.session() as s:
        assert inbox.is_handled(session=s, inbox_id=inbox_id)
