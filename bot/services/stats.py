"""Impact figures: what the network's officers asked and how they were answered."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.figures import QuestionFigures, RequestFigures, percentile
from bot.models import CurationItem, Feedback, Outcome, Question, Request, RequestStatus

__all__ = [
    "QuestionFigures",
    "RequestFigures",
    "percentile",
    "question_figures",
    "request_figures",
]


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
        answered=outcomes.get(Outcome.ANSWERED, 0),
        helpful=int(feedback.get(Feedback.HELPFUL, 0)),
        not_helpful=int(feedback.get(Feedback.NOT_HELPFUL, 0)),
        awaiting_curators=int(awaiting or 0),
        top_entries=[(str(e), int(n)) for e, n in top],
    )


def request_figures(*, session: Session, since: datetime | None = None) -> RequestFigures:
    """Figures for requests created since `since` (all time when None)."""
    where = [Request.created_at >= since] if since else []
    rows = list(
        session.execute(
            select(
                Request.status,
                Request.created_at,
                Request.first_claimed_at,
                Request.resolved_at,
                Request.escalated_at,
                Request.helped,
                Request.champion_id,
            ).where(*where)
        )
    )
    statuses = Counter(RequestStatus(r[0]) for r in rows)
    claim = [(r[2] - r[1]).total_seconds() for r in rows if r[2] is not None]
    resolve = [(r[3] - r[1]).total_seconds() for r in rows if r[3] is not None]
    champions = Counter(str(r[6]) for r in rows if r[6] and r[0] is RequestStatus.RESOLVED)
    return RequestFigures(
        since=since,
        total=len(rows),
        claimed=sum(1 for r in rows if r[2] is not None),
        resolved=statuses.get(RequestStatus.RESOLVED, 0),
        cancelled=statuses.get(RequestStatus.CANCELLED, 0),
        open=statuses.get(RequestStatus.OPEN, 0) + statuses.get(RequestStatus.CLAIMED, 0),
        sla_breaches=sum(1 for r in rows if r[4] is not None),
        claim_seconds=claim,
        resolve_seconds=resolve,
        helped=sum(1 for r in rows if r[5] is True),
        not_helped=sum(1 for r in rows if r[5] is False),
        by_champion=dict(champions.most_common()),
    )
