"""Retention: after the purge no table holds typed text older than the limit, and the bot's
Slack messages that quoted it are redacted; every text column is accounted for."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, Enum, String, func, select, text, update
from sqlalchemy.types import TypeDecorator

from bot.config import Settings
from bot.db import Database
from bot.domain.cpd import ActivityForm
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import (
    AuditEvent,
    Base,
    OutboxMessage,
    OutboxStatus,
    Question,
    Request,
    RequestStatus,
    Role,
    Surface,
    utcnow,
)
from bot.runtime import Runtime
from bot.scheduler import purge_expired_text
from bot.services import inbox, outbox, questions, refs, requests, retention, roster
from bot.services.retention import steps
from tests import seeding
from tests.conftest import CHAMPION, LEAD, OFFICER, OTHER_OFFICER, SERVICE_SETTINGS, settings_for
from tests.seeding import log_cpd

MARKER = "zqxmarker"
CHAMPION2 = "UCHAMP2"
LIVE = f"my victim says her ex {MARKER} keeps following her home, what should i charge him with"
POSTS = ("chat.postMessage", "conversations.open+chat.postMessage")


def text_columns() -> Iterator[tuple[str, str]]:
    """Every column of every table that can hold a string: (table, column). Enums are checked
    against their values by the database, so they cannot hold typed text."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, TypeDecorator):
                kind = kind.impl_instance
            if isinstance(kind, Enum):
                continue
            if isinstance(kind, (String, JSON)):
                yield table.name, column.name


def registered() -> set[str]:
    return {f"{r.table}.{c}" for r in retention.REGISTRY for c in r.columns}


def test_every_text_column_is_purged_kept_on_purpose_or_never_typed_text() -> None:
    purged, never, kept = registered(), set(retention.NOT_TYPED_TEXT), set(retention.KEPT)
    assert not (purged & never) and not (purged & kept) and not (never & kept)
    columns = {f"{t}.{c}" for t, c in text_columns() if c not in retention.NOT_TYPED_TEXT_ANYWHERE}
    undeclared = columns - purged - never - kept
    assert undeclared == set(), (
        "declare each in bot/services/retention/registry.py: purged (REGISTRY), KEPT or "
        f"NOT_TYPED_TEXT: {sorted(undeclared)}"
    )
    # And nothing is declared that is not there (a renamed column is declared afresh).
    assert (purged | never | kept) - columns == set()
    assert {"requests.text", "requests.outcome_note", "questions.text", "outbox.payload"} <= purged


@dataclass
class World:
    runtime: Runtime
    db: Database
    emu: SlackEmulator
    stale_open: int
    stale_claimed: int
    resolved_lately: int
    recent: int


def _runtime(emulator: SlackEmulator, db: Database, kb: KnowledgeBase, **env: object) -> Runtime:
    return Runtime(settings=settings_for(emulator, db, **env), db=db, kb=kb)


def build(emulator: SlackEmulator, db: Database, kb: KnowledgeBase, **env: object) -> World:
    """Every flow that stores typed text, the officers' and champions' words carrying MARKER:
    most of it 100 days ago; one request resolved (its outcome and added detail typed) 5 days
    ago; one request of yesterday without the marker, which must be left alone."""
    runtime = _runtime(emulator, db, kb, **env)
    settings = runtime.settings
    now = utcnow()
    old, lately = now - timedelta(days=100), now - timedelta(days=5)
    with db.session() as s:
        for uid in (CHAMPION, CHAMPION2):
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
    with db.session() as s:  # a request a crash left in the inbox, 100 days ago
        inbox.receive(
            session=s,
            item=inbox.Received(
                kind="event_callback",
                body=json.dumps({"event": {"text": f"he follows her {MARKER}"}}),
                signature="v0=left-by-a-crash",
                event_id="EvLEFT",
            ),
            now=old,
        )
    with db.session() as s:  # a champion's own CPD note, 100 days ago
        log_cpd(
            s,
            CHAMPION,
            ActivityForm(
                title="Stalking risk refresher",
                held_on=old.date(),
                hours="2",
                note=f"spoke about {MARKER}",
            ),
            key=None,
            now=old,
        )
    ask = dict(settings=settings, kb=kb, surface=Surface.DM, now=old)
    with db.session() as s:
        questions.handle(session=s, asker_id=OFFICER, text=f"what is an SPO {MARKER}", **ask)  # type: ignore[arg-type]
        questions.handle(
            session=s, asker_id=OFFICER, text=f"{MARKER} what about tax returns", **ask
        )  # type: ignore[arg-type]
        stale_open = questions.handle(session=s, asker_id=OFFICER, text=LIVE, **ask).request  # type: ignore[arg-type]
        claimed = questions.handle(session=s, asker_id=OTHER_OFFICER, text=LIVE, **ask).request  # type: ignore[arg-type]
        assert stale_open is not None and claimed is not None
        seeding.claim(s, settings, claimed.id, CHAMPION2, now=old)
        requests.add_detail(
            session=s,
            settings=settings,
            request_id=claimed.id,
            user_id=OTHER_OFFICER,
            detail=f"he sent {MARKER} flowers",
        )
        late = questions.handle(session=s, asker_id=OFFICER, text=LIVE, **ask).request  # type: ignore[arg-type]
        assert late is not None
        ids = (stale_open.id, claimed.id, late.id)
    with db.session() as s:
        # Five days ago: detail added into the queue, then claimed, then resolved.
        requests.add_detail(
            session=s, settings=settings, request_id=late.id, user_id=OFFICER, detail=MARKER
        )
        seeding.claim_and_resolve(
            s,
            settings,
            late.id,
            CHAMPION,
            outcome=f"advised s2A and an SPO {MARKER}",
            claimed_at=lately,
            resolved_at=lately,
        )
    with db.session() as s:
        recent = questions.handle(
            session=s,
            settings=settings,
            kb=kb,
            surface=Surface.DM,
            asker_id=OFFICER,
            text="my victim says her ex keeps calling her, what should i charge him with",
            now=now - timedelta(days=1),
        ).request
        assert recent is not None
    runtime.delivery.deliver()
    return World(runtime, db, emulator, *ids, recent.id)


def marker_cells(db: Database) -> list[str]:
    """Every (table.column #row) whose value holds MARKER, in every text column of every table."""
    found = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for t, c in text_columns() if t == table.name]
            if not columns:
                continue
            for row in conn.execute(select(*(table.c[c] for c in columns))).mappings():
                found += [f"{table.name}.{c}" for c in columns if MARKER in str(row[c] or "")]
    return found


def seed_the_rest(db: Database) -> None:
    """Registered columns no flow above reached get MARKER in every row (a new table needs rows
    seeded here, or by a flow in `build`)."""
    reached = set(marker_cells(db))
    with db.engine.begin() as conn:
        for name in sorted(registered() - reached):
            table_name, column = name.split(".")
            table = Base.metadata.tables[table_name]
            if not conn.scalar(select(func.count()).select_from(table)):
                pytest.fail(f"no row of {table_name} to seed: add its flow to build()")
            conn.execute(table.update().values({column: MARKER}))
    assert registered() <= set(marker_cells(db))


def sent_quoting_posts(db: Database, request_id: int) -> list[OutboxMessage]:
    with db.session() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.quotes == refs.quoting_request(request_id),
                    OutboxMessage.method.in_(POSTS),
                    OutboxMessage.status == OutboxStatus.SENT,
                )
            )
        )


def slack_message(emu: SlackEmulator, row: OutboxMessage) -> dict[str, object]:
    assert row.channel and row.ts
    (message,) = [m for m in emu.messages(row.channel) if m["ts"] == row.ts]
    return {k: v for k, v in message.items() if k != "edits"}  # what Slack shows now


def test_no_stored_typed_text_older_than_the_limit_survives_the_purge(
    db: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    world = build(emulator, db, kb)
    seed_the_rest(db)
    # One post Slack took without its answer being recorded: its ts is unknown.
    unknown = sent_quoting_posts(db, world.stale_open)[0]
    with db.session() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == unknown.id).values(ts=None))
    recent_before = {r.id: r.payload for r in sent_quoting_posts(db, world.recent)}
    quoting_before = {
        rid: [r for r in sent_quoting_posts(db, rid) if r.id != unknown.id]
        for rid in (world.stale_open, world.stale_claimed, world.resolved_lately)
    }

    purge_expired_text(world.runtime)

    assert marker_cells(db) == []
    with db.session() as s:
        for rid in (world.stale_open, world.stale_claimed):
            req = s.get(Request, rid)
            assert req is not None and req.status is RequestStatus.CANCELLED and req.stale_at
        kept = s.get(Request, world.recent)
        assert kept is not None and kept.text and kept.status is RequestStatus.OPEN
        # The recent request's messages are untouched.
        assert {r.id: r.payload for r in sent_quoting_posts(db, world.recent)} == recent_before
        # The figures stay: what each question was, and the resolved request's times.
        assert s.scalar(select(func.count()).select_from(Question)) == 6
        late = s.get(Request, world.resolved_lately)
        assert late is not None and late.resolved_at and late.text is None
        stale_told = [
            json.loads(p)
            for p in s.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.method == "chat.postMessage")
            )
            if "reached the 90-day retention period" in p
        ]
        # The lead (of both), each officer and the champion who held the claimed one, once.
        assert sorted(t["channel"] for t in stale_told) == sorted(
            [LEAD, LEAD, OFFICER, OTHER_OFFICER, CHAMPION2]
        )
        audit = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")))
        stale_audit = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "request.stale")
        )
    assert stale_audit == 2
    details = {f"{a.subject_type}:{a.subject_id}": a.detail for a in audit}
    assert "requests=1" in details[f"request:{world.stale_open}"]
    assert "slack_ts_unknown=1" in details[f"request:{world.stale_open}"]
    redacted = sum(
        int(d.split("slack_redacted=")[1].split()[0])
        for d in details.values()
        if "slack_redacted=" in d
    )
    assert redacted == sum(len(rows) for rows in quoting_before.values())

    # The edits go out with the sweep's delivery, and Slack shows the redacted form.
    world.runtime.delivery.deliver()
    for rows in quoting_before.values():
        for row in rows:
            shown = json.dumps(slack_message(emulator, row))
            assert MARKER not in shown
            assert "removed under the 90-day retention policy" in shown
    # The one whose ts was unknown could not be edited: still as posted (and counted above).
    assert MARKER in json.dumps(slack_message(emulator, unknown))

    # A second purge finds nothing more to do, and edits nothing twice.
    before = db_count(db, AuditEvent)
    calls = len(emulator.calls)
    purge_expired_text(world.runtime)
    world.runtime.delivery.deliver()
    assert db_count(db, AuditEvent) == before and len(emulator.calls) == calls


def db_count(db: Database, model: type[Base]) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_outbox_rows_past_retention_are_blanked_whatever_they_copy(db: Database) -> None:
    now = utcnow()
    settings = replace(settings_for_service(db), retention_days=90)
    with db.session() as s:
        done = outbox.post(session=s, channel=OFFICER, text=f"You asked: {MARKER}")
        scheduled = outbox.post(
            session=s, channel="CNETWORK", text="policy", due_at=now + timedelta(days=3)
        )
        fresh = outbox.post(session=s, channel=OFFICER, text=f"fresh {MARKER}")
        ids = (done.id, scheduled.id, fresh.id)
    with db.session() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids[:2]))
            .values(created_at=now - timedelta(days=91))
        )
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_((done.id, fresh.id)))
            .values(status=OutboxStatus.SENT, ts="1.000001")
        )
    with db.session() as s:
        counts = retention.REGISTRY[2].steps[0](s, settings, now)  # type: ignore[operator]
    assert counts == {"outbox": 1}
    with db.session() as s:
        rows = {r.id: r for r in s.scalars(select(OutboxMessage))}
        assert rows[done.id].payload == "{}" and rows[done.id].purged_at
        # A scheduled post not yet due is still to send; a row within retention is kept.
        assert "policy" in rows[scheduled.id].payload and rows[scheduled.id].purged_at is None
        assert MARKER in rows[fresh.id].payload
        (audit,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
        assert (audit.subject_type, audit.subject_id, audit.detail) == (
            "table",
            "outbox",
            "outbox=1",
        )


def settings_for_service(db: Database) -> Settings:
    return replace(SERVICE_SETTINGS, database_url=db.url)


def test_with_redaction_off_the_text_goes_but_slack_is_not_edited(
    db: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    world = build(emulator, db, kb, CHAMPBOT_REDACT_SLACK="off")
    assert world.runtime.settings.redact_slack is False
    purge_expired_text(world.runtime)
    assert marker_cells(db) == []
    with db.session() as s:
        edits = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.ref.startswith("redact:"))
        )
    assert edits == 0


def test_a_row_being_sent_is_left_and_taken_by_the_next_purge(
    db: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    world = build(emulator, db, kb)
    (card,) = [
        r for r in sent_quoting_posts(db, world.stale_open) if r.ref == f"queue:{world.stale_open}"
    ]
    with db.session() as s:  # a sender has it this moment (a retry of the post, say)
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == card.id)
            .values(status=OutboxStatus.PENDING, locked_until=utcnow() + timedelta(seconds=60))
        )
    purge_expired_text(world.runtime)
    with db.session() as s:
        row = s.get(OutboxMessage, card.id)
        assert row is not None and MARKER in row.payload and row.purged_at is None
        assert world.stale_open in steps.due_requests(
            session=s, settings=world.runtime.settings, now=utcnow()
        )
        s.execute(  # the sender records Slack's answer
            update(OutboxMessage)
            .where(OutboxMessage.id == card.id)
            .values(status=OutboxStatus.SENT, locked_until=None)
        )
    purge_expired_text(world.runtime)
    assert marker_cells(db) == []
    with db.session() as s:
        (edit,) = s.scalars(
            select(OutboxMessage).where(OutboxMessage.ref == refs.redaction(card.id))
        )
        assert edit.target_ref == card.ref and edit.method == "chat.update"


def test_two_clocks_purging_at_once_purge_and_edit_each_thing_once(
    pg: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    world = build(emulator, pg, kb)
    posts = sum(
        len(sent_quoting_posts(pg, rid))
        for rid in (world.stale_open, world.stale_claimed, world.resolved_lately)
    )
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def clock() -> None:
        runtime = _runtime(emulator, pg, kb)
        barrier.wait()
        try:
            purge_expired_text(runtime)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert marker_cells(pg) == []
    with pg.session() as s:
        edits = list(
            s.scalars(
                select(OutboxMessage.target_ref).where(OutboxMessage.ref.startswith("redact:"))
            )
        )
        stale = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "request.stale")
        )
        told = [
            p
            for p in s.scalars(select(OutboxMessage.payload))
            if "reached the 90-day retention period" in p
        ]
        details = list(
            s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "retention.purge"))
        )
    assert len(edits) == len(set(edits)) == posts
    assert stale == 2 and len(told) == 5
    # The audit rows of the two clocks add up to each request purged once.
    assert sum(d.count("requests=1") for d in details) == 3


def test_retentions_edits_wait_behind_answers_as_bulk() -> None:
    from bot.delivery.rows import is_bulk

    assert is_bulk(refs.redaction(7)) and not is_bulk(refs.queue_card(7))


def _backfill(db: Database) -> None:
    from alembic import command

    cfg = db._alembic_config()
    command.downgrade(cfg, "0006")
    try:
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO requests (id, asker_id, topics, immediate_risk, status, round, "
                    "claims, created_at, sla_due_at) VALUES (4, 'U1', '', false, 'open', 1, 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO offers (id, request_id, champion_id, round, status, offered_at, "
                    "expires_at) VALUES (9, 4, 'U2', 1, 'pending', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            rows = [
                ("queue:4", None),
                ("consult:4:1", None),
                ("offer:9", None),
                (None, "offer:9"),
                (None, "queue:4"),
                ("digest:2026-W01", None),
                (None, None),
            ]
            for ref, target in rows:
                conn.execute(
                    text(
                        "INSERT INTO outbox (created_at, method, payload, status, attempts, "
                        "next_attempt_at, ref, target_ref) VALUES (CURRENT_TIMESTAMP, "
                        "'chat.postMessage', '{}', 'sent', 1, CURRENT_TIMESTAMP, :r, :t)"
                    ),
                    {"r": ref, "t": target},
                )
        command.upgrade(cfg, "head")
        with db.engine.connect() as conn:
            quotes = [q for (q,) in conn.execute(text("SELECT quotes FROM outbox ORDER BY id"))]
        assert quotes == ["request:4"] * 5 + [None, None]
    finally:
        command.upgrade(cfg, "head")


def test_the_migration_names_the_request_each_earlier_row_copies(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
    db.upgrade()
    try:
        _backfill(db)
    finally:
        db.dispose()


def test_the_migration_on_postgresql(pg: Database) -> None:
    _backfill(pg)


def test_an_answer_that_quoted_the_question_is_redacted_with_it(
    db: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    runtime = _runtime(emulator, db, kb)
    with db.session() as s:
        asked = questions.handle(
            session=s,
            settings=runtime.settings,
            kb=kb,
            asker_id=OFFICER,
            text=f"what is an SPO {MARKER}",
            surface=Surface.MENTION,
            now=utcnow() - timedelta(days=91),
        ).asked
        assert asked.question_id is not None
        answer = outbox.post(
            session=s,
            channel="CGENERAL",
            text=f"You asked: {MARKER}",
            quotes=refs.quoting_question(asked.question_id),
        )
    runtime.delivery.deliver()
    purge_expired_text(runtime)
    assert marker_cells(db) == []
    with db.session() as s:
        row = s.get(OutboxMessage, answer.id)
        assert row is not None and row.ref == refs.message(answer.id)  # named, to be edited
        (edit,) = s.scalars(select(OutboxMessage).where(OutboxMessage.target_ref == row.ref))
        assert edit.ref == refs.redaction(answer.id)
        (audit,) = s.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "question", AuditEvent.action == "retention.purge"
            )
        )
        assert audit.detail == "outbox=1 questions=1 slack_redacted=1"
    runtime.delivery.deliver()
    assert row.channel and row.ts
    assert "question this answered was removed" in json.dumps(
        next(m for m in emulator.messages(row.channel) if m["ts"] == row.ts)["blocks"]
    )


def test_a_tables_own_purge_becomes_a_step_with_its_audit_row(db: Database) -> None:
    now, seen = utcnow(), []

    def purge(session: object, before: datetime) -> int:
        seen.append(before)
        return len(seen) - 1  # nothing the first time, one row the second

    step = retention.by_age("inbox", purge)
    settings = settings_for_service(db)
    for _ in range(2):
        with db.session() as s:
            step(s, settings, now)
    assert seen == [now - timedelta(days=90)] * 2
    with db.session() as s:
        (audit,) = s.scalars(select(AuditEvent))
        assert (audit.subject_id, audit.detail) == ("inbox", "inbox=1")


def test_a_request_is_as_old_as_the_question_it_came_from(
    db: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    runtime = _runtime(emulator, db, kb)
    now = utcnow()
    with db.session() as s:
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        asked = questions.handle(
            session=s,
            settings=runtime.settings,
            kb=kb,
            asker_id=OFFICER,
            text=f"what is an SPO {MARKER}",
            surface=Surface.DM,
            now=now - timedelta(days=91),
        ).asked
        assert asked.question_id is not None
        # *Ask a champion* under that answer, yesterday: the request copies the question.
        req, _ = requests.from_question(
            session=s,
            settings=runtime.settings,
            question_id=asked.question_id,
            user_id=OFFICER,
            now=now - timedelta(days=1),
        )
    purge_expired_text(runtime)
    assert marker_cells(db) == []
    with db.session() as s:
        closed = s.get(Request, req.id)
        assert closed is not None and closed.stale_at and closed.text is None
