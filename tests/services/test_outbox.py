"""The outbox: edits coalesce, withdrawals cancel, refs are typed, the migration holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.services import outbox, refs


def _rows(db: Database) -> list[OutboxMessage]:
    with db.everywhere() as s:  # the rows of every workspace
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        s.expunge_all()
        return rows


def _sent(db: Database, ref: refs.Ref) -> None:
    with db.session() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.ref == ref))
        assert row is not None
        row.status, row.ts, row.channel = OutboxStatus.SENT, "1.0", "C1"


def test_edits_of_a_sent_message_coalesce_until_one_is_claimed(db: Database) -> None:
    ref = refs.queue_card(7)
    with db.session() as s:
        outbox.post(session=s, channel="C1", text="v1", ref=ref)
    _sent(db, ref)
    with db.session() as s:
        first = outbox.update(session=s, target_ref=ref, text="v2")
        second = outbox.update(session=s, target_ref=ref, text="v3")
        assert first is not None and second is not None and first.id == second.id
        # The rewritten edit is handed to delivery again, after this transaction.
        assert s.info["outbox_ids"].count(first.id) == 2
    _, edit = _rows(db)
    assert edit.method == "chat.update" and json.loads(edit.payload)["text"] == "v3"
    # Once a delivery has claimed the edit it is never rewritten: the next edit is a new row.
    with db.session() as s:
        claimed = s.get(OutboxMessage, edit.id)
        assert claimed is not None
        claimed.locked_until = utcnow()
    with db.session() as s:
        outbox.update(session=s, target_ref=ref, text="v4")
    assert [json.loads(r.payload)["text"] for r in _rows(db)] == ["v1", "v3", "v4"]


def test_an_edit_of_a_queued_post_rewrites_the_post(db: Database) -> None:
    ref = refs.offer(3)
    with db.session() as s:
        outbox.post(session=s, channel="U1", text="offered", ref=ref)
        outbox.update(session=s, target_ref=ref, text="taken")
        assert outbox.update(session=s, target_ref=refs.offer(4), text="x") is None
    (row,) = _rows(db)
    assert json.loads(row.payload) == {"channel": "U1", "text": "taken", "blocks": []}


def test_withdrawing_cancels_queued_rows_and_refuses_once_any_is_out(db: Database) -> None:
    prefix = refs.broadcast_prefix(5, 1)
    with db.session() as s:
        outbox.post(session=s, channel="C1", text="post", ref=refs.broadcast_post(5, 1))
        outbox.post(session=s, channel="U1", text="copy", ref=refs.broadcast_dm(5, 1, "U1"))
        outbox.post(session=s, channel="U2", text="copy", ref=refs.broadcast_dm(5, 1, "U2"))
        outbox.post(session=s, channel="C1", text="other", ref=refs.broadcast_post(5, 2))
    with db.session() as s:
        assert outbox.withdraw(session=s, prefix=prefix)
        assert outbox.live_refs(session=s, prefix=refs.broadcast_dm_prefix(5, 1)) == []
    statuses = [(r.ref, r.status, r.error) for r in _rows(db)]
    assert statuses == [
        ("broadcast:5:1:post", OutboxStatus.CANCELLED, None),
        ("broadcast:5:1:dm:U1", OutboxStatus.CANCELLED, None),
        ("broadcast:5:1:dm:U2", OutboxStatus.CANCELLED, None),
        ("broadcast:5:2:post", OutboxStatus.PENDING, None),  # another revision: untouched
    ]
    _sent(db, refs.broadcast_post(5, 2))
    with db.session() as s:
        outbox.post(session=s, channel="U1", text="copy", ref=refs.broadcast_dm(5, 2, "U1"))
    # Part of it is out: withdraw says so, and the caller's rollback (a refusal) undoes it.
    with pytest.raises(RuntimeError), db.session() as s:
        if not outbox.withdraw(session=s, prefix=refs.broadcast_prefix(5, 2)):
            raise RuntimeError("being sent")
    with db.session() as s:
        assert outbox.live_refs(session=s, prefix=refs.broadcast_dm_prefix(5, 2)) == [
            "broadcast:5:2:dm:U1"
        ]


def test_refs_name_each_kind_of_message_apart() -> None:
    made = [
        refs.offer(1),
        refs.queue_card(1),
        refs.officer_routed(1),
        refs.consult(1, 1),
        refs.consult(1, 2),
        refs.helped(1),
        refs.broadcast_post(1, 1),
        refs.broadcast_post(1, 2),
        refs.broadcast_dm(1, 1, "U1"),
        refs.broadcast_reminder(1, "U1", "lead"),
        refs.broadcast_reminder(1, "U1", "auto"),
        refs.digest("2026-W49"),
        refs.kb_review("U1", 2026, 9),
    ]
    assert len(set(made)) == len(made)
    assert all(len(ref) <= 80 for ref in made)  # the column's width
    assert refs.broadcast_dm(1, 1, "U1").startswith(refs.broadcast_dm_prefix(1, 1))
    assert refs.broadcast_post(1, 1).startswith(refs.broadcast_prefix(1, 1))
    assert not refs.broadcast_post(1, 1).startswith(refs.broadcast_dm_prefix(1, 1))
    assert refs.kb_review("U1", 2026, 9) == "kb-review:U1:2026-W09"


def _migrate_withdrawn_rows(db: Database) -> None:
    cfg = db._alembic_config()
    command.downgrade(cfg, "0003")
    try:
        with db.engine.begin() as conn:
            for status, error in (("failed", "cancelled"), ("failed", "channel_not_found")):
                conn.execute(
                    text(
                        "INSERT INTO outbox (created_at, method, payload, status, attempts, "
                        "next_attempt_at, error) VALUES (CURRENT_TIMESTAMP, 'chat.postMessage', "
                        "'{}', :status, 0, CURRENT_TIMESTAMP, :error)"
                    ),
                    {"status": status, "error": error},
                )
        command.upgrade(cfg, "head")
        assert [(r.status, r.error) for r in _rows(db)] == [
            (OutboxStatus.CANCELLED, None),
            (OutboxStatus.FAILED, "channel_not_found"),  # a real failure stays one
        ]
        with db.session() as s:  # the new status is allowed by the column's check
            outbox.post(session=s, channel="C1", text="x", ref=refs.digest("2026-W01"))
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE outbox SET status = 'cancelled' WHERE ref = 'digest:2026-W01'")
            )
        command.downgrade(cfg, "0003")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT status, error FROM outbox ORDER BY id")).all()
        assert [tuple(r) for r in back] == [
            ("failed", "cancelled"),
            ("failed", "channel_not_found"),
            ("failed", "cancelled"),
        ]
    finally:
        command.upgrade(cfg, "head")


def test_the_migration_gives_withdrawn_rows_their_own_status(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
    db.upgrade()
    try:
        _migrate_withdrawn_rows(db)
    finally:
        db.dispose()


def test_the_migration_on_postgresql(pg: Database) -> None:
    _migrate_withdrawn_rows(pg)


def test_an_edit_of_a_withdrawn_post_fails_at_once_and_calls_nothing(
    db: Database, emulator: SlackEmulator
) -> None:
    from bot.delivery import Delivery
    from bot.runtime import make_client

    ref = refs.broadcast_post(6, 1)
    with db.session() as s:
        outbox.post(session=s, channel="CNETWORK", text="post", ref=ref)
    with db.session() as s:
        assert outbox.withdraw(session=s, prefix=refs.broadcast_prefix(6, 1))
        edit = outbox.update(session=s, target_ref=ref, text="edited")
        assert edit is not None and edit.method == "chat.update"
        edit_id = edit.id
    emulator.reset()
    client = make_client(token="xoxb-test-token", api_url=emulator.api_url)
    (outcome,) = Delivery(db, client).deliver([edit_id])
    assert not outcome.sent and outcome.error == "target_message_cancelled"
    # Failed for an operator to see, not left waiting for a post that will never go.
    row = next(r for r in _rows(db) if r.id == edit_id)
    assert row.status is OutboxStatus.FAILED
    assert emulator.calls == []
