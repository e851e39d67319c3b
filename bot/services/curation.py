"""Keeping the knowledge base true: weekly reminders to owners of entries past review."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.knowledge import Entry, KnowledgeBase
from bot.models import OutboxMessage
from bot.services import outbox
from bot.services.notices import leads
from bot.views.requests import plain


def overdue(kb: KnowledgeBase, *, now: datetime) -> list[Entry]:
    """Entries past their review-by date, oldest due first."""
    today = now.date()
    return sorted((e for e in kb.entries if e.is_overdue(today)), key=lambda e: e.review_by)


def remind_owners(*, session: Session, kb: KnowledgeBase, now: datetime) -> int:
    """Tell each owner, once per ISO week, which of their entries are past review.

    An entry whose owner has no Slack ID is sent to the leads. The outbox ref names the owner
    and the week, so a second sweep or a second clock in the same week adds nothing.
    """
    due = overdue(kb, now=now)
    if not due:
        return 0
    by_owner: dict[str, list[Entry]] = defaultdict(list)
    for entry in due:
        if entry.owner_slack_id:
            by_owner[entry.owner_slack_id].append(entry)
        else:
            for lead in leads(session):
                by_owner[lead].append(entry)
    year, week, _ = now.isocalendar()
    sent = 0
    for owner, entries in sorted(by_owner.items()):
        lines = "\n".join(
            f"• `{e.id}`: {e.title} (review was due {e.review_by:%d %b %Y})" for e in entries[:40]
        )
        message = plain(
            f":calendar: *{len(entries)} knowledge base "
            f"{'entry is' if len(entries) == 1 else 'entries are'} past review.* Answers "
            f"using them are marked as overdue until they are checked against their sources "
            f"and given a new review-by date.\n{lines}"
        )
        ref = f"kb-review:{owner}:{year}-W{week:02d}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref)):
            continue  # already told this week
        try:
            with session.begin_nested():
                outbox.post(
                    session=session,
                    channel=owner,
                    text=message.text,
                    blocks=message.blocks,
                    ref=ref,
                )
        except IntegrityError:
            continue  # another clock told them a moment ago
        sent += 1
    return sent
