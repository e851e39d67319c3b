"""Broadcast rules on SQLite and PostgreSQL, and two clocks sending on PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from bot.models import (
    Acknowledgement,
    AuditEvent,
    Broadcast,
    BroadcastStatus,
    Digest,
    OutboxMessage,
    OutboxStatus,
    Request,
    Role,
    utcnow,
)
from bot.services import NotAllowed, ServiceError, broadcasts, digest, roster
from bot.services.broadcasts import Form, InvalidBroadcast
from bot.views import broadcasts as views
from bot.views import digest as digest_views
from tests import seeding

if TYPE_CHECKING:
    from bot.emulator import SlackEmulator

SETTINGS = Settings.from_env(
    {"CHAMPBOT_NETWORK_CHANNEL": "CNETWORK", "CHAMPBOT_ACK_REMINDER_HOURS": "48"}, dotenv=None
)
LEAD, ADMIN, OFFICER = "ULEAD1", "UADMIN1", "UOFFICER1"
CHAMPS = ["UCHAMP1", "UCHAMP2", "UCHAMP3"]


def seed(db: Database, champions: list[str] = CHAMPS) -> None:
    with db.session() as s:
        for uid in champions:
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        roster.add(session=s, slack_user_id=ADMIN, role=Role.ADMIN)


def form(**overrides: Any) -> Form:
    values: dict[str, Any] = {
        "category": "national_policy",
        "title": "New CPS guidance on stalking charges",
        "message": "Read it before charging. *Key change*: s2A first.",
        "links": "https://www.cps.gov.uk/legal-guidance/stalking CPS guidance",
        "ask_ack": True,
        "time_zone": "Europe/London",
    }
    values.update(overrides)
    return Form(**values)


def send(
    db: Database, now: datetime, *, user: str = LEAD, **overrides: Any
) -> tuple[int, list[int]]:
    """Draft, preview and confirm a broadcast; its id and the outbox rows it wrote."""
    with db.session() as s:
        preview = broadcasts.save_draft(
            session=s,
            settings=SETTINGS,
            author_id=user,
            caller=seeding.member(s, user),
            form=form(**overrides),
            now=now,
        )
        draft_id = preview.draft.id
    with db.session() as s:
        b = broadcasts.confirm(
            session=s,
            settings=SETTINGS,
            draft_id=draft_id,
            user_id=user,
            caller=seeding.member(s, user),
            now=now,
        )
        return b.id, list(s.info.get("outbox_ids", []))


def rows(db: Database, prefix: str | None = "broadcast:") -> list[OutboxMessage]:
    """Outbox rows whose ref starts with `prefix` (every row when None), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if prefix is not None:
        query = query.where(OutboxMessage.ref.startswith(prefix))
    with db.session() as s:
        return list(s.scalars(query))


def payload(row: OutboxMessage) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row.payload)
    return data


def mark_sent(db: Database) -> None:
    """As if the delivery had sent everything queued."""
    with db.session() as s:
        for row in s.scalars(select(OutboxMessage)):
            row.status, row.ts, row.channel = OutboxStatus.SENT, "1.0", "CNETWORK"


def actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_only_leads_and_admins_may_broadcast_and_the_refusal_names_them(db: Database) -> None:
    seed(db)
    now = utcnow()
    for user in (OFFICER, CHAMPS[0]):
        with db.session() as s, pytest.raises(NotAllowed) as refused:
            broadcasts.save_draft(
                session=s,
                settings=SETTINGS,
                author_id=user,
                caller=seeding.member(s, user),
                form=form(),
                now=now,
            )
        assert "leads and admins" in str(refused.value)
        assert f"<@{LEAD}>" in str(refused.value) and f"<@{ADMIN}>" in str(refused.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 0
    broadcast_id, _ = send(db, now, user=ADMIN)
    assert broadcast_id > 0


def test_every_field_is_checked_and_each_problem_is_on_its_field(db: Database) -> None:
    seed(db)
    now = utcnow()
    bad = form(
        category=None,
        title="   ",
        message="x" * 3001,
        links="not a link\nhttps://ok.example.org",
        send_at=now - timedelta(minutes=5),
    )
    with db.session() as s, pytest.raises(InvalidBroadcast) as invalid:
        broadcasts.save_draft(
            session=s,
            settings=SETTINGS,
            author_id=LEAD,
            caller=seeding.member(s, LEAD),
            form=bad,
            now=now,
        )
    errors = invalid.value.errors
    assert set(errors) == {"category", "title", "message", "links", "send_at"}
    assert "3,001" in errors["message"] and "passed" in errors["send_at"]
    four = "\n".join(f"https://example.org/{i}" for i in range(4))
    for field, value, expected in [
        ("links", four, "up to 3 links"),
        ("links", "javascript:alert(1)", "not a web address"),
        ("title", "t" * 151, "150 characters"),
        ("send_at", now + timedelta(days=400), "within the next year"),
    ]:
        with db.session() as s, pytest.raises(InvalidBroadcast) as invalid:
            broadcasts.save_draft(
                session=s,
                settings=SETTINGS,
                author_id=LEAD,
                caller=seeding.member(s, LEAD),
                form=form(**{field: value}),
                now=now,
            )
        assert expected in invalid.value.errors[field]


def test_the_lead_text_keeps_formatting_but_pings_and_mentions_are_neutralised() -> None:
    shown = views.lead_mrkdwn(
        "*Bold* <!channel> <!here|here> @everyone <@U999> <#C1> "
        "see <https://x.org/a?b=1&c=2|the guide>"
    )
    assert "<!" not in shown and "<@" not in shown and "<#" not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;@U999&gt;" in shown
    assert "@\u2060everyone" in shown
    assert "*Bold*" in shown and "<https://x.org/a?b=1&amp;c=2|the guide>" in shown


def test_send_now_writes_the_post_and_a_dm_per_champion_once(db: Database) -> None:
    seed(db)
    now = utcnow()
    broadcast_id, queued = send(db, now, dm_champions=True)
    sent = utcnow()
    written = rows(db)
    assert [r.ref for r in written] == [
        f"broadcast:{broadcast_id}:1:post",
        *[f"broadcast:{broadcast_id}:1:dm:{uid}" for uid in CHAMPS],
    ]
    assert {r.id for r in written} <= set(queued)
    post = payload(written[0])
    assert post["channel"] == "CNETWORK"
    assert "0 of 3 champions have acknowledged" in json.dumps(post["blocks"])
    assert all(r.next_attempt_at <= sent for r in written)  # due at once, however slow the send
    told = [r for r in rows(db, None) if payload(r).get("channel") == LEAD]
    assert len(told) == 1 and "is posted in <#CNETWORK>" in told[0].payload
    assert actions(db)[-1] == "broadcast.send"
    # Confirming the same preview again (a double click, a retry) sends nothing more.
    with db.session() as s:
        draft = s.get(Broadcast, broadcast_id)
        assert draft is not None and draft.status is BroadcastStatus.SENT
        broadcasts.confirm(
            session=s,
            settings=SETTINGS,
            draft_id=broadcast_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
        assert not s.info.get("outbox_ids")
    assert len(rows(db)) == 4


def test_a_scheduled_broadcast_is_queued_for_its_time_and_can_be_edited_moved_and_cancelled(
    db: Database,
) -> None:
    seed(db)
    now = utcnow()
    at = now + timedelta(hours=3)
    broadcast_id, _ = send(db, now, send_at=at)
    (post,) = rows(db)
    assert post.next_attempt_at == at and post.status is OutboxStatus.PENDING
    with db.session() as s:
        scheduled, recent = broadcasts.listing(session=s, now=now)
        assert [i.broadcast.id for i in scheduled] == [broadcast_id] and recent == []

    def edit(**changes: Any) -> None:
        with db.session() as s:
            preview = broadcasts.save_draft(
                session=s,
                settings=SETTINGS,
                author_id=LEAD,
                caller=seeding.member(s, LEAD),
                form=form(send_at=at, **changes),
                now=now,
                edit_of=broadcast_id,
            )
            draft_id = preview.draft.id
        with db.session() as s:
            broadcasts.confirm(
                session=s,
                settings=SETTINGS,
                draft_id=draft_id,
                user_id=LEAD,
                caller=seeding.member(s, LEAD),
                now=now,
            )

    # New wording: the queued post is rewritten in place, nothing is added.
    edit(title="Revised CPS guidance")
    (post,) = rows(db)
    assert "Revised CPS guidance" in post.payload and post.next_attempt_at == at
    # A new time: the queued post is withdrawn and a new one queued for the new time.
    at = now + timedelta(hours=5)
    edit(title="Revised CPS guidance")
    old, new = rows(db)
    assert old.status is OutboxStatus.CANCELLED and old.error is None
    assert new.ref == f"broadcast:{broadcast_id}:2:post" and new.next_attempt_at == at
    # Cancelling withdraws it too; a broadcast already cancelled is not cancelled twice.
    with db.session() as s:
        broadcasts.cancel(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
    assert all(r.status is OutboxStatus.CANCELLED for r in rows(db))
    with db.session() as s, pytest.raises(ServiceError, match="already cancelled"):
        broadcasts.cancel(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
    assert (
        actions(db)[-4:]
        == [
            "broadcast.schedule",
            "broadcast.edit",
            "broadcast.edit",
            "broadcast.cancel",
        ][-4:]
    )


def test_a_broadcast_being_sent_can_no_longer_be_moved_or_cancelled(db: Database) -> None:
    seed(db)
    now = utcnow()
    at = now + timedelta(hours=1)
    broadcast_id, _ = send(db, now, send_at=at)
    (post,) = rows(db)
    with db.session() as s:  # a sender has claimed the post
        row = s.get(OutboxMessage, post.id)
        assert row is not None
        row.locked_until = at + timedelta(seconds=60)
    with db.session() as s, pytest.raises(ServiceError, match="being sent right now"):
        broadcasts.cancel(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
    (post,) = rows(db)
    assert post.status is OutboxStatus.PENDING  # the refusal changed nothing
    with db.session() as s:
        assert s.get(Broadcast, broadcast_id).status is BroadcastStatus.SCHEDULED  # type: ignore[union-attr]


def test_editing_a_sent_broadcast_edits_the_posted_message(db: Database) -> None:
    seed(db)
    now = utcnow()
    broadcast_id, _ = send(db, now)
    mark_sent(db)
    with db.session() as s:
        preview = broadcasts.save_draft(
            session=s,
            settings=SETTINGS,
            author_id=LEAD,
            caller=seeding.member(s, LEAD),
            form=form(message="Corrected: s2A *and* s4A."),
            now=now,
            edit_of=broadcast_id,
        )
        assert preview.shown.id == broadcast_id and preview.shown.edited_at is not None
        draft_id = preview.draft.id
    with db.session() as s:
        broadcasts.confirm(
            session=s,
            settings=SETTINGS,
            draft_id=draft_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
    with db.session() as s:
        (edit,) = s.scalars(select(OutboxMessage).where(OutboxMessage.method == "chat.update"))
        assert edit.target_ref == f"broadcast:{broadcast_id}:1:post"
        assert "Corrected" in edit.payload and "edited" in edit.payload
        # The broadcast itself, not the used-up draft, is what lists show.
        _, recent = broadcasts.listing(session=s, now=now)
        assert [i.broadcast.id for i in recent] == [broadcast_id]


def test_acknowledgements_count_once_per_champion_and_edits_coalesce(db: Database) -> None:
    seed(db)
    now = utcnow()
    broadcast_id, _ = send(db, now, dm_champions=True)

    def ack(user: str) -> broadcasts.AckResult:
        with db.session() as s:
            return broadcasts.acknowledge(
                session=s,
                settings=SETTINGS,
                broadcast_id=broadcast_id,
                user_id=user,
                caller=seeding.member(s, user),
                now=now,
            )

    first = ack(CHAMPS[0])
    assert first.new and (first.acked, first.total) == (1, 3)
    again = ack(CHAMPS[0])
    assert not again.new and again.acked == 1
    ack(CHAMPS[1])
    with db.session() as s, pytest.raises(NotAllowed, match="Only champions"):
        broadcasts.acknowledge(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=LEAD,
            caller=seeding.member(s, LEAD),
            now=now,
        )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Acknowledgement)) == 2
        edits = list(
            s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.method == "chat.update",
                    OutboxMessage.target_ref == f"broadcast:{broadcast_id}:1:post",
                )
            )
        )
    # The post is still queued (nothing delivered here), so the count is rewritten into it.
    (post,) = [r for r in rows(db) if r.ref and r.ref.endswith(":post")]
    assert edits == [] and "2 of 3 champions have acknowledged" in post.payload
    copies = {r.ref: r.payload for r in rows(db) if r.ref and ":dm:" in r.ref}
    assert "You acknowledged this" in copies[f"broadcast:{broadcast_id}:1:dm:{CHAMPS[0]}"]
    assert "You acknowledged this" not in copies[f"broadcast:{broadcast_id}:1:dm:{CHAMPS[2]}"]
    assert actions(db).count("broadcast.acknowledge") == 2

    # Once the post has gone, acknowledgements edit it, and a waiting edit absorbs the next.
    mark_sent(db)
    ack(CHAMPS[2])
    with db.session() as s:
        (edit,) = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.method == "chat.update", OutboxMessage.target_ref.endswith(":post")
            )
        )
        assert "3 of 3 champions have acknowledged" in edit.payload


def test_reminders_one_from_a_lead_and_one_from_the_bot(db: Database) -> None:
    seed(db)
    now = utcnow()
    broadcast_id, _ = send(db, now)
    with db.session() as s:
        broadcasts.acknowledge(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=CHAMPS[0],
            caller=seeding.member(s, CHAMPS[0]),
            now=now,
        )
    with db.session() as s:
        pending = broadcasts.not_acknowledged(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            caller=seeding.member(s, LEAD),
        )
        assert [uid for uid, _ in pending.missing] == CHAMPS[1:]
    with db.session() as s, pytest.raises(NotAllowed):
        broadcasts.remind(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=OFFICER,
            caller=seeding.member(s, OFFICER),
            now=now,
        )

    def remind() -> int:
        with db.session() as s:
            return broadcasts.remind(
                session=s,
                settings=SETTINGS,
                broadcast_id=broadcast_id,
                user_id=LEAD,
                caller=seeding.member(s, LEAD),
                now=now,
            )

    assert remind() == 2
    assert remind() == 0  # one reminder each from a lead
    reminders = rows(db, "broadcast-reminder:")
    assert {payload(r)["channel"] for r in reminders} == set(CHAMPS[1:])
    assert f"<@{LEAD}> asks you to read" in reminders[0].payload

    def sweep(at: datetime) -> int:
        with db.session() as s:
            return broadcasts.sweep(session=s, settings=SETTINGS, now=at)

    assert sweep(now + timedelta(hours=47)) == 0  # not yet due
    # Due, but the lead reminded them less than a day ago: the bot leaves them alone...
    with db.session() as s:
        s.get(Broadcast, broadcast_id).sent_at = now - timedelta(hours=30)  # type: ignore[union-attr]
    assert sweep(now + timedelta(hours=19)) == 0
    # ...and its one reminder round is spent.
    assert sweep(now + timedelta(hours=100)) == 0
    assert len(rows(db, "broadcast-reminder:")) == 2


def test_the_bot_reminds_everyone_who_has_not_acknowledged_once(db: Database) -> None:
    seed(db)
    now = utcnow()
    broadcast_id, _ = send(db, now)
    with db.session() as s:
        broadcasts.acknowledge(
            session=s,
            settings=SETTINGS,
            broadcast_id=broadcast_id,
            user_id=CHAMPS[1],
            caller=seeding.member(s, CHAMPS[1]),
            now=now,
        )
    later = now + timedelta(hours=48, minutes=1)
    with db.session() as s:
        assert broadcasts.sweep(session=s, settings=SETTINGS, now=later) == 2
    with db.session() as s:
        assert broadcasts.sweep(session=s, settings=SETTINGS, now=later) == 0
    sent = rows(db, "broadcast-reminder:")
    assert sorted(payload(r)["channel"] for r in sent) == [CHAMPS[0], CHAMPS[2]]
    assert all("haven't acknowledged" in r.payload for r in sent)
    assert actions(db)[-1] == "broadcast.auto_remind"


def test_the_weekly_digest_goes_once_with_the_weeks_broadcasts_and_figures(
    db: Database,
) -> None:
    seed(db)
    # Monday 2 November 2026, 08:00 in London is 08:00 UTC (GMT).
    monday = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    send(db, monday - timedelta(days=2), category="trend", title="Rise in tracker apps")
    send(db, monday - timedelta(days=9), title="Last week's news")  # before the period
    with db.session() as s:
        for minutes in (10, 20, 60):
            made = monday - timedelta(days=1, hours=minutes)
            s.add(
                Request(
                    asker_id=OFFICER,
                    text="x",
                    created_at=made,
                    first_claimed_at=made + timedelta(minutes=minutes),
                    sla_due_at=made,
                )
            )
    with db.session() as s:
        assert not digest.send_digest(
            session=s, settings=SETTINGS, now=monday - timedelta(minutes=1)
        )
    with db.session() as s:
        assert digest.send_digest(session=s, settings=SETTINGS, now=monday + timedelta(minutes=5))
    with db.session() as s:
        assert not digest.send_digest(session=s, settings=SETTINGS, now=monday + timedelta(hours=2))
        (row,) = s.scalars(select(Digest))
        assert row.week == "2026-W45"
    (post,) = rows(db, "digest:")
    text = json.dumps(payload(post))
    assert payload(post)["channel"] == "CNETWORK"
    assert "Rise in tracker apps" in text and "Last week" not in text
    assert "Requests for a champion: 3 (3 claimed)" in text
    assert "Median time to a champion: 20 min" in text
    # A clock that comes back days later does not send last week's digest late.
    with db.session() as s:
        assert not digest.send_digest(session=s, settings=SETTINGS, now=monday + timedelta(days=3))


def test_digest_time_follows_the_clocks_in_london() -> None:
    settings = Settings.from_env({"CHAMPBOT_DIGEST_CRON": "mon 08:00"}, dotenv=None)
    summer = datetime(2026, 6, 1, 7, 1, tzinfo=UTC)  # 08:01 BST
    due = digest.digest_week(settings=settings, now=summer)
    assert due is not None and due.end == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    assert digest.digest_week(settings=settings, now=summer - timedelta(minutes=2)) is None
    off = Settings.from_env({"CHAMPBOT_DIGEST_CRON": "off"}, dotenv=None)
    assert digest.digest_week(settings=off, now=summer) is None


def test_two_clocks_send_each_due_broadcast_and_digest_exactly_once(
    pg: Database, emulator: SlackEmulator
) -> None:
    from bot.knowledge import KnowledgeBase
    from bot.runtime import Runtime
    from bot.scheduler import sweep
    from tests.conftest import KB_DIR, settings_for
    from tests.virtual_time import VirtualTime, jump_over_waits

    for uid in CHAMPS:
        emulator.add_user(uid, name=uid.lower())
    seed(pg)
    now = utcnow()
    ids = [
        send(pg, now, title=f"Broadcast {i}", send_at=now + timedelta(minutes=i + 1))[0]
        for i in range(12)
    ]
    ids.append(
        send(pg, now, title="With copies", send_at=now + timedelta(minutes=2), dm_champions=True)[0]
    )
    kb = KnowledgeBase.load(KB_DIR)
    later = now + timedelta(hours=1)
    clocks, virtual = [], VirtualTime()
    for _ in range(2):
        # Two processes: each its own engine, delivery and pacing (its channel's pace jumped
        # over, not sat out: what is proved here is exactly once).
        db = Database(pg.url)
        runtime = Runtime(settings=settings_for(emulator, db), db=db, kb=kb, clock=lambda: later)
        jump_over_waits(runtime, virtual, clock=False)
        clocks.append(runtime)
    barrier = threading.Barrier(2)
    monday = datetime(2026, 11, 2, 8, 5, tzinfo=UTC)

    def clock(runtime: Runtime) -> None:
        barrier.wait()
        sweep(runtime)
        sweep(runtime)
        barrier.wait()
        with runtime.work() as s:
            digest.send_digest(session=s, settings=runtime.settings, now=monday)

    threads = [threading.Thread(target=clock, args=(r,)) for r in clocks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for runtime in clocks:
        runtime.db.dispose()
    posted = [c for c in emulator.find_calls("chat.postMessage") if c.ok]
    to_channel = [c for c in posted if c.args.get("channel") == "CNETWORK"]
    titles = [json.dumps(c.args.get("blocks")) for c in to_channel]
    for i in range(12):
        assert sum(f'"Broadcast {i}"' in t for t in titles) == 1
    assert sum('"With copies"' in t for t in titles) == 1
    copies = [c for c in posted if c.args.get("channel") in CHAMPS]
    assert sorted(c.args["channel"] for c in copies) == CHAMPS
    digests = [c for c in emulator.find_calls("chat.postMessage") if "the week to" in str(c.args)]
    assert len(digests) == 1 and digests[0].ok
    with pg.session() as s:
        assert s.scalar(select(func.count()).select_from(Digest)) == 1
        statuses = set(s.scalars(select(Broadcast.status).where(Broadcast.id.in_(ids))))
        assert statuses == {BroadcastStatus.SENT}
        assert s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        ) == len(posted)


def test_delivery_paces_one_channel_and_serves_the_others_meanwhile() -> None:
    """Posts to one channel go at about one a second after a short burst, in order; posts to
    other channels are not held up behind them."""
    from bot.delivery import BURST, Pacer

    ticks = [0.0]
    pacer = Pacer(lambda: ticks[0])
    waits = [pacer.reserve("chat.postMessage", "CBUSY") for _ in range(BURST + 1)]
    assert waits[:BURST] == [0.0] * BURST and waits[BURST] == 1.0
    assert pacer.reserve("chat.postMessage", "COTHER") == 0.0
    assert pacer.reserve("chat.update", "CBUSY") == 0.0  # edits are not paced per channel
    pacer.limited("chat.postMessage", "CA", 3)
    assert pacer.reserve("chat.postMessage", "CA") is None  # held for longer than a lane waits
    assert pacer.reserve("chat.postMessage", "CB") == 0.0  # one channel's 429 holds only it
    pacer.limited("chat.postMessage", "CB", 3)  # a second channel: the workspace limit
    assert pacer.reserve("chat.postMessage", "CC") is None
    ticks[0] = 3.0
    assert pacer.reserve("chat.postMessage", "CC") == 0.0


def test_every_broadcast_view_is_within_slacks_limits() -> None:
    """The form, preview, lists, copies and digest pass the emulation's Block Kit checks, even
    for the longest message the form takes, written to expand as much as escaping can."""
    from bot.emulator.blockkit import check_message, check_view
    from bot.models import BroadcastCategory

    now = utcnow()

    def make(broadcast_id: int, status: BroadcastStatus) -> Broadcast:
        return Broadcast(
            id=broadcast_id,
            author_id=LEAD,
            category=BroadcastCategory.TRAINING,
            title="T" * 150,
            body="<&>" * 1000,
            links=json.dumps([[f"https://example.org/{i}?a=1&b=2", "L" * 75] for i in range(3)]),
            send_at=now + timedelta(hours=1),
            ask_ack=True,
            dm_champions=True,
            status=status,
            time_zone="Europe/London",
            created_at=now,
        )

    b = make(7, BroadcastStatus.SCHEDULED)
    scheduled = [views.Listed(make(i, BroadcastStatus.SCHEDULED), 0, 20) for i in range(10)]
    sent = [views.Listed(make(100 + i, BroadcastStatus.SENT), 3, 20) for i in range(10)]
    links = broadcasts.links_of(b)
    modals = [
        views.form_modal(),
        views.form_modal(values=views.form_values(b, links), zone="Asia/Kolkata", editing=7),
        views.form_modal(values=views.form_values(b, links), editing=7, sent=True),
        views.preview_modal(
            draft_id=9,
            draft=b,
            links=links,
            total=20,
            acked=0,
            network_channel="CNETWORK",
            zone="Europe/London",
            now=now,
        ),
        views.pending_modal(b, [(f"U{i:07d}", None) for i in range(400)], acked=3, total=403),
        views.reminded_modal(17),
        views.notice_modal("x" * 5000),
    ]
    for modal in modals:
        assert check_view(modal, method="views.open") == []
    assert (
        check_view(
            {"type": "home", "blocks": views.home_blocks(scheduled, sent)},
            method="views.publish",
        )
        == []
    )
    messages = [
        views.broadcast_message(b, links, acked=7, total=20),
        views.broadcast_dm(b, links),
        views.broadcast_dm(b, links, acknowledged_at=now),
        views.reminder_dm(b, links, by=LEAD),
        views.lead_confirmation(b, network_channel="CNETWORK"),
        views.list_reply(scheduled, sent, zone="Europe/London"),
        digest_views.digest_message(
            start=now - timedelta(days=7),
            end=now,
            zone="Europe/London",
            sent=[b] * 40,
            figures=digest_views.DigestFigures(10, 7, 3, 2, 600.0),
            network_name="Stalking Champions",
        ),
    ]
    for reply in messages:
        assert check_message({"text": reply.text, "blocks": reply.blocks}) == []
    assert views.ack_count_text(7, 20) == "7 of 20 champions have acknowledged"
    assert views.ack_count_text(0, 1) == "0 of 1 champion has acknowledged"


def test_a_malformed_digest_time_is_refused_at_start_up() -> None:
    from bot.config import ConfigError

    for bad in ("monday", "mon 25:00", "someday 08:00", "mon 08:00 Mars/Olympus"):
        with pytest.raises(ConfigError, match="CHAMPBOT_DIGEST_CRON"):
            Settings.from_env({"CHAMPBOT_DIGEST_CRON": bad}, dotenv=None)
