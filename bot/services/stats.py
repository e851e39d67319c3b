"""Impact figures: what the network's officers asked and how they were answered.

`figures` is the one computation behind `/champbot stats`, App Home, the weekly digest and
`champbot report`; each surface only renders what it returns.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.figures import (
    CpdFigures,
    Figures,
    OutcomeFigures,
    QuestionFigures,
    RequestFigures,
    percentile,
    pseudonym,
)
from bot.models import (
    CurationItem,
    Feedback,
    Member,
    Outcome,
    Question,
    Request,
    RequestStatus,
    Role,
    utcnow,
)
from bot.services import cpd, outcomes

__all__ = [
    "CpdFigures",
    "Figures",
    "OutcomeFigures",
    "QuestionFigures",
    "RequestFigures",
    "figures",
    "percentile",
    "pseudonyms",
    "question_figures",
    "request_figures",
]


def _period(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    where = []
    if since is not None:
        where.append(column >= since)
    if until is not None:
        where.append(column < until)
    return where


def figures(
    *,
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    settings: Settings | None = None,
) -> Figures:
    """Questions asked and requests made in [since, until) (unbounded where None), what the
    consults among them advised, and champions' CPD compliance at `until` (or now), against
    the requirement in `settings` (the defaults where None)."""
    return Figures(
        since=since,
        until=until,
        questions=question_figures(session=session, since=since, until=until),
        requests=request_figures(session=session, since=since, until=until),
        outcomes=outcomes.figures(session=session, since=since, until=until),
        cpd=cpd.figures(session=session, settings=settings or Settings(), now=until or utcnow()),
    )


def question_figures(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> QuestionFigures:
    """Figures for questions asked in [since, until) (all time when both are None)."""
    where = _period(Question.asked_at, since, until)
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


def request_figures(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> RequestFigures:
    """Figures for requests created in [since, until) (all time when both are None)."""
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
            ).where(*_period(Request.created_at, since, until))
        )
    )
    statuses = Counter(RequestStatus(r[0]) for r in rows)
    claim = [(r[2] - r[1]).total_seconds() for r in rows if r[2] is not None]
    resolve = [(r[3] - r[1]).total_seconds() for r in rows if r[3] is not None]
    champions = Counter(str(r[6]) for r in rows if r[6] and r[0] is RequestStatus.RESOLVED)
    return RequestFigures(
        since=since,
        total=len(rows),
        waiting=statuses.get(RequestStatus.OPEN, 0),
        with_champion=statuses.get(RequestStatus.CLAIMED, 0),
        resolved=statuses.get(RequestStatus.RESOLVED, 0),
        cancelled=statuses.get(RequestStatus.CANCELLED, 0),
        reached_champion=len(claim),
        sla_breaches=sum(1 for r in rows if r[4] is not None),
        claim_seconds=claim,
        resolve_seconds=resolve,
        helped=sum(1 for r in rows if r[5] is True),
        not_helped=sum(1 for r in rows if r[5] is False),
        by_champion=dict(sorted(champions.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def pseudonyms(*, session: Session, user_ids: list[str]) -> dict[str, str]:
    """A stable stand-in name for each champion, for surfaces without Slack to ask: letters in
    the order people joined the roster, so a champion keeps theirs from one report to the next
    (anyone no longer on the roster follows, by ID)."""
    joined = list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.role.in_((Role.CHAMPION, Role.LEAD, Role.ADMIN)))
            .order_by(Member.id)
        )
    )
    order = joined + sorted(set(user_ids) - set(joined))
    index = {uid: n for n, uid in enumerate(order)}
    return {uid: pseudonym(index[uid]) for uid in user_ids}
