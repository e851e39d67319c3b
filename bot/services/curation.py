"""Keeping the knowledge base true: weekly reminders to owners of entries past review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.knowledge import Entry, KnowledgeBase
from bot.notify.curation import remind_owner
from bot.services import roster


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
