"""The audit trail of what the clock does, and of every question and curation item: who (the
clock is `system`), what, when, which ids; never the text anyone typed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import (
    AuditEvent,
    Broadcast,
    BroadcastCategory,
    BroadcastStatus,
    CurationItem,
    CurationReason,
    Member,
    Offer,
    Role,
    Surface,
    utcnow,
)
from bot.services import audit, curation, questions, requests, roster, sweeps
from bot.services.broadcasts import mark_due
from bot.services.broadcasts import sweep as broadcast_sweep
from tests.conftest import SERVICE_SETTINGS as SETTINGS

CASE = "he keeps turning up at her work and sent 40 texts last night"
UNCOVERED = "can we seize a stalker's drone"


def rows(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as s:
        found = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        s.expunge_all()
        return found


def no_text_anywhere(db: Database, *typed: str) -> None:
    """No audit row holds any part of what was typed (its first three words or more)."""
    with db.session() as s:
        details = [f"{a.subject_id} {a.detail}" for a in s.scalars(select(AuditEvent))]
    for text in typed:
        head = " ".join(text.split()[:3])
        assert not [d for d in details if head in d], f"typed text in the audit: {head!r}"


def champions(db: Database, *ids: str) -> None:
    with db.session() as s:
        for uid in ids:
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)


def open_request(db: Database, now: datetime) -> tuple[int, str | None]:
    with db.session() as s:
        req, routed = requests.create(
            session=s, settings=SETTINGS, asker_id="UOFFICER1", text=CASE, now=now
        )
        return req.id, routed.offered_to


def test_an_expired_offer_is_audited_as_the_clocks_with_its_ids(db: Database) -> None:
    champions(db, "UCHAMP1", "UCHAMP2")
    start = utcnow()
    rid, first = open_request(db, start)
    later = start + timedelta(seconds=SETTINGS.offer_timeout + 1)
    with db.session() as s:
        (offer_id,) = sweeps.due_offers(session=s, now=later)
        assert sweeps.act_offer_expired(session=s, settings=SETTINGS, offer_id=offer_id, now=later)
    (row,) = rows(db, "request.offer_expired")
    assert (row.actor_id, row.subject_type, row.subject_id) == ("system", "request", str(rid))
    assert row.detail == f"offer {offer_id} to {first}" and row.at == later
    with db.session() as s:  # a second clock finds nothing left to do, and writes nothing
        assert not sweeps.act_offer_expired(
            session=s, settings=SETTINGS, offer_id=offer_id, now=later
        )
    assert len(rows(db, "request.offer_expired")) == 1
    no_text_anywhere(db, CASE)


def test_sla_warnings_and_escalations_are_audited_once(db: Database) -> None:
    champions(db, "UCHAMP1")
    start = utcnow()
    rid, first = open_request(db, start)
    with db.session() as s:
        offer_id = s.scalar(select(Offer.id).where(Offer.request_id == rid))
    warn_at = start + timedelta(seconds=SETTINGS.claim_sla * 0.8)
    due_at = start + timedelta(seconds=SETTINGS.claim_sla + 1)
    for _ in range(2):  # two clocks: one row each
        with db.session() as s:
            sweeps.act_warning(session=s, settings=SETTINGS, request_id=rid, now=warn_at)
        with db.session() as s:
            sweeps.act_escalation(session=s, settings=SETTINGS, request_id=rid, now=due_at)
    (warned,) = rows(db, "request.sla_warning")
    assert (warned.actor_id, warned.subject_id, warned.at) == ("system", str(rid), warn_at)
    assert warned.detail == f"offer {offer_id} to {first}"
    (escalated,) = rows(db, "request.escalated")
    assert (escalated.actor_id, escalated.subject_id, escalated.at) == ("system", str(rid), due_at)
    no_text_anywhere(db, CASE)


def test_nobody_available_is_audited_once_per_round(db: Database) -> None:
    start = utcnow()
    rid, offered = open_request(db, start)  # nobody on the roster
    assert offered is None
    with db.session() as s:  # the clock looks again: still nobody, and nobody told twice
        assert not sweeps.act_reroute(session=s, settings=SETTINGS, request_id=rid, now=start)
    (row,) = rows(db, "request.nobody_available")
    assert (row.actor_id, row.subject_id, row.detail, row.at) == (
        "system",
        str(rid),
        "round 1",
        start,
    )


def test_away_ending_is_audited(db: Database) -> None:
    champions(db, "UCHAMP1")
    now = utcnow()
    with db.session() as s:
        member = roster.get(session=s, slack_user_id="UCHAMP1")
        assert member is not None
        member.away_until, member.on_duty = now - timedelta(minutes=1), False
        member_id = member.id
    for _ in range(2):
        with db.session() as s:
            sweeps.act_return(session=s, member_id=member_id, now=now)
    (row,) = rows(db, "availability.away_ended")
    assert (row.actor_id, row.subject_type, row.subject_id, row.at) == (
        "system",
        "member",
        "UCHAMP1",
        now,
    )
    with db.session() as s:
        assert s.get(Member, member_id).on_duty  # type: ignore[union-attr]


def test_a_scheduled_broadcast_going_out_and_old_drafts_forgotten_are_audited(
    db: Database,
) -> None:
    now = utcnow()
    with db.session() as s:
        for status, created, send_at in (
            (BroadcastStatus.SCHEDULED, now - timedelta(hours=2), now - timedelta(minutes=1)),
            (BroadcastStatus.SCHEDULED, now, now + timedelta(hours=1)),  # not yet due
            (BroadcastStatus.DRAFT, now - timedelta(days=2), None),  # forgotten
            (BroadcastStatus.DRAFT, now, None),  # kept: still being previewed
        ):
            s.add(
                Broadcast(
                    author_id="ULEAD1",
                    category=BroadcastCategory("national_policy"),
                    title="CPS guidance",
                    body="Read it before charging.",
                    status=status,
                    created_at=created,
                    send_at=send_at,
                )
            )
    with db.session() as s:
        due = s.scalar(select(Broadcast.id).where(Broadcast.send_at <= now))
    for _ in range(2):  # two clocks, or a clock and `/broadcast list`
        with db.session() as s:
            mark_due(session=s, now=now)
    (went,) = rows(db, "broadcast.due")
    assert (went.actor_id, went.subject_type, went.subject_id) == ("system", "broadcast", str(due))
    with db.session() as s:
        broadcast_sweep(session=s, settings=SETTINGS, now=now)
    (forgot,) = rows(db, "broadcast.drafts_forgotten")
    assert forgot.actor_id == "system" and forgot.detail.startswith("1 drafts")
    no_text_anywhere(db, "Read it before charging.", "CPS guidance")


def test_every_question_and_curation_item_is_audited_without_its_text(
    db: Database, kb: KnowledgeBase
) -> None:
    with db.session() as s:
        answered = questions.ask(
            session=s,
            kb=kb,
            asker_id="UOFFICER1",
            text="what does the FOUR mnemonic stand for",
            surface=Surface.DM,
            subject="stalking",
        )
        missed = questions.ask(
            session=s,
            kb=kb,
            asker_id="UOFFICER2",
            text=UNCOVERED,
            surface=Surface.FAQ,
            subject="stalking",
        )
    asked = {(a.actor_id, a.subject_id): a.detail for a in rows(db, "question.ask")}
    assert asked == {
        ("UOFFICER1", str(answered.question_id)): "dm; answered",
        ("UOFFICER2", str(missed.question_id)): "faq; not_covered",
    }
    with db.session() as s:  # the officer says the answer did not help: kept a second way
        questions.give_feedback(
            session=s, question_id=answered.question_id, user_id="UOFFICER1", helpful=False
        )
        items = {i.question_id: i.id for i in s.scalars(select(CurationItem))}
    kept = {(a.actor_id, a.subject_id, a.detail) for a in rows(db, "curation.add")}
    assert kept == {
        ("UOFFICER2", str(items[missed.question_id]), f"question {missed.question_id}; no_match"),
        (
            "UOFFICER1",
            str(items[answered.question_id]),
            f"question {answered.question_id}; not_helpful",
        ),
    }
    with db.session() as s:  # a repeat keeps nothing new, and audits nothing new
        curation.keep_for_curators(
            s, answered.question_id, CurationReason.NOT_HELPFUL, actor_id="UOFFICER1"
        )
    assert len(rows(db, "curation.add")) == 2
    no_text_anywhere(db, UNCOVERED, "what does the FOUR mnemonic")


def test_a_purge_is_audited_with_its_counts(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        audit.purged(session=s, what="questions.text", count=12, at=now)
        audit.purged(session=s, what="outbox.payload", count=0, at=now, detail="older than 90 d")
    found = {
        (a.actor_id, a.subject_type, a.subject_id, a.detail) for a in rows(db, "retention.purge")
    }
    assert found == {
        ("system", "retention", "questions.text", "12 rows"),
        ("system", "retention", "outbox.payload", "0 rows; older than 90 d"),
    }
