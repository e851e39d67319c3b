"""Impact figures: what the network's officers asked and how they were answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import CurationItem, Feedback, Outcome, Question


@dataclass(frozen=True)
class QuestionFigures:
    """Counts of questions by outcome and feedback since a date."""

    since: datetime | None
    total: int
    by_outcome: dict[Outcome, int]
    helpful: int
    not_helpful: int
    awaiting_curators: int
    top_entries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered_share(self) -> float:
        """The share of questions answered from the knowledge base."""
        return self.by_outcome.get(Outcome.ANSWERED, 0) / self.total if self.total else 0.0


def question_figures(*, session: Session, since: datetime | None = None) -> QuestionFigures:
    """Figures for questions asked since `since` (all time when None)."""
    where = [Question.asked_at >= since] if since else []
    outcomes = Counter(
        {
            Outcome(o): int(n)
            for o, n in session.execute(
                select(Question.outcome, func.count()).where(*where).group_by(Question.outcome)
            )
        }
    )
    feedback = {
        verdict: count
        for verdict, count in session.execute(
            select(Question.feedback, func.count())
            .where(*where, Question.feedback.is_not(None))
            .group_by(Question.feedback)
        )
    }
    top = session.execute(
        select(Question.entry_id, func.count().label("n"))
        .where(*where, Question.entry_id.is_not(None))
        .group_by(Question.entry_id)
        .order_by(func.count().desc(), Question.entry_id)
        .limit(5)
    )
    awaiting = session.scalar(
        select(func.count()).select_from(CurationItem).where(CurationItem.reviewed_at.is_(None))
    )
    return QuestionFigures(
        since=since,
        total=sum(outcomes.values()),
        by_outcome=dict(outcomes),
        helpful=int(feedback.get(Feedback.HELPFUL, 0)),
        not_helpful=int(feedback.get(Feedback.NOT_HELPFUL, 0)),
        awaiting_curators=int(awaiting or 0),
        top_entries=[(str(e), int(n)) for e, n in top],
    )
