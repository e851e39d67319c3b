"""Keeping the knowledge base true: questions kept for the curators, and weekly reminders to
owners of entries past review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.knowledge import Entry, KnowledgeBase
from bot.models import CurationItem, CurationReason, Question
from bot.notify.curation import remind_owner
from bot.services import roster
from bot.services.audit import record


def overdue(kb: KnowledgeBase, *, now: datetime) -> list[Entry]:
    """Entries past their review-by date, oldest due first."""
    today = now.date()
    return sorted((e for e in kb.entries if e.is_overdue(today)), key=lambda e: e.review_by)


def remind_owners(
    *, session: Session, kb: KnowledgeBase, now: datetime, reviewers: Sequence[str] = ()
) -> int:
    """Tell each owner, once per ISO week, which of their entries are past review.

    A force that names its own reviewers (`kb-owners` in `/champbot settings`, else
    CHAMPBOT_KB_REVIEW_OWNERS) has every overdue entry sent to them. Otherwise an entry goes to
    its owner, and one whose owner has no Slack ID to the leads. The outbox ref names the owner
    and the week, so a second sweep or a second clock in the same week adds nothing.
    """
    due = overdue(kb, now=now)
    if not due:
        return 0
    by_owner: dict[str, list[Entry]] = defaultdict(list)
    for entry in due:
        if reviewers:
            for reviewer in reviewers:
                by_owner[reviewer].append(entry)
        elif entry.owner_slack_id:
            by_owner[entry.owner_slack_id].append(entry)
        else:
            for lead in roster.leads(session=session):
                by_owner[lead].append(entry)
    return sum(
        remind_owner(session=session, owner=owner, entries=entries, now=now)
        for owner, entries in sorted(by_owner.items())
    )


def keep_for_curators(
    session: Session, question_id: int, reason: CurationReason, *, actor_id: str
) -> None:
    """Keep a question for the curators once per reason, audited as `actor_id`'s doing."""
    exists = session.scalar(
        select(CurationItem.id).where(
            CurationItem.question_id == question_id, CurationItem.reason == reason
        )
    )
    if exists:
        return
    item = CurationItem(question_id=question_id, reason=reason)
    try:
        with session.begin_nested():  # two clicks at once: the unique constraint decides
            session.add(item)
    except IntegrityError:
        return
    audit_kept(session, item, actor_id=actor_id)


def audit_kept(session: Session, item: CurationItem, *, actor_id: str) -> None:
    """The audit row of a question kept for the curators (ids and the reason, never its text)."""
    record(
        session=session,
        actor_id=actor_id,
        action="curation.add",
        subject_type="curation",
        subject_id=item.id,
        detail=f"question {item.question_id}; {item.reason.value}",
    )


def for_curators(*, session: Session, limit: int = 50) -> list[tuple[CurationItem, Question]]:
    """Questions awaiting the curators, newest first."""
    rows = session.execute(
        select(CurationItem, Question)
        .join(Question, CurationItem.question_id == Question.id)
        .where(CurationItem.reviewed_at.is_(None))
        .order_by(CurationItem.created_at.desc(), CurationItem.id.desc())
        .limit(limit)
    )
    return [(item, question) for item, question in rows]
