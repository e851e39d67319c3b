"""Weekly reminders to knowledge owners about entries past review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import OutboxMessage, Role
from bot.services import curation, roster


def test_owners_hear_once_a_week(db: Database, kb: KnowledgeBase) -> None:
    with db.session() as s:
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with db.session() as s:
        assert curation.remind_owners(session=s, kb=kb, now=now) == 0  # nothing overdue yet
    later = datetime.combine(
        max(e.review_by for e in kb.entries), datetime.min.time(), tzinfo=UTC
    ) + timedelta(days=3)
    with db.session() as s:
        assert curation.remind_owners(session=s, kb=kb, now=later) == 1
    with db.session() as s:
        assert curation.remind_owners(session=s, kb=kb, now=later + timedelta(hours=6)) == 0
    with db.session() as s:
        assert curation.remind_owners(session=s, kb=kb, now=later + timedelta(days=7)) == 1
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [r.ref.split(":")[1] for r in rows if r.ref] == ["ULEAD1", "ULEAD1"]
    assert f"{len(kb.entries)} knowledge base entries are past review" in rows[0].payload
