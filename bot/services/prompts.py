"""The example questions the agent view suggests: entries officers asked about most, then the
knowledge base's own order, never an entry past its review-by date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.knowledge import Entry, KnowledgeBase
from bot.models import Outcome, Question

EXAMPLES = 3
# How far back "asked about most" looks: recent interest, not the whole history.
WINDOW = timedelta(days=90)


# Slack shows a prompt's title as a one-line button: longer titles are cut.
TITLE_FITS = 75


@dataclass(frozen=True)
class Example:
    """One suggested question: an entry's title, which is itself a question it answers."""

    entry_id: str
    title: str
    message: str


def pick(
    entries: Iterable[Entry],
    *,
    today: date,
    asked: Mapping[str, int] | None = None,
    count: int = EXAMPLES,
) -> list[Example]:
    """`count` examples: the entries answered most often (`asked`: entry id → answers), then
    those whose title fits on the prompt, in the knowledge base's order; each on a topic (tag)
    the others do not share while there are enough. Entries past review, and entries that send
    the officer on to a champion anyway, do not make good examples of an answer."""
    asked = asked or {}
    usable = [e for e in entries if not e.refer_to_champion and not e.is_overdue(today)]
    order = {e.id: i for i, e in enumerate(usable)}
    ranked = sorted(
        usable, key=lambda e: (-asked.get(e.id, 0), len(e.title) > TITLE_FITS, order[e.id])
    )
    chosen: list[Entry] = []
    topics: set[str] = set()
    for entry in ranked:
        if len(chosen) < count and not topics & set(entry.tags):
            chosen.append(entry)
            topics |= set(entry.tags)
    chosen += [e for e in ranked if e not in chosen][: count - len(chosen)]
    chosen.sort(key=ranked.index)
    return [Example(e.id, e.title, e.title) for e in chosen]


def suggested(
    *, session: Session, kb: KnowledgeBase, now: datetime, count: int = EXAMPLES
) -> list[Example]:
    """The examples to suggest now, from what officers had answered in the last `WINDOW`."""
    rows = session.execute(
        select(Question.entry_id, func.count())
        .where(
            Question.outcome == Outcome.ANSWERED,
            Question.entry_id.is_not(None),
            Question.asked_at >= now - WINDOW,
        )
        .group_by(Question.entry_id)
    ).all()
    asked = {str(entry_id): int(n) for entry_id, n in rows}
    return pick(kb.entries, today=now.date(), asked=asked, count=count)
