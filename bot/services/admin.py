"""`/champbot`'s rules: figures, unanswered questions and the roster for leads; changes for admins.

Each is checked against the policy and audited where the roster or personal data is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.errors import OperatorGrantsNationalLead, UnknownRole
from bot.domain.figures import FIGURES_DAYS
from bot.models import CurationItem, Member, Question, Role
from bot.services import audit, curation, roster, stats
from bot.services.policy import Act, require


@dataclass(frozen=True)
class Stats:
    """The figures over the last `days`, and a stand-in name for each champion counted."""

    figures: stats.Figures
    days: int
    pseudonyms: dict[str, str]


@dataclass(frozen=True)
class Removal:
    """Who was to be taken off the roster, and whether they were on it."""

    user_id: str
    was_on: bool


def figures(
    *, session: Session, caller: Member | None, now: datetime, settings: Settings | None = None
) -> Stats:
    """The last 30 days' figures, for leads and admins (CPD against `settings`' requirement)."""
    require(caller, Act.SEE_FIGURES)
    since = now - timedelta(days=FIGURES_DAYS)
    found = stats.figures(session=session, since=since, until=now, settings=settings)
    champions = list(found.requests.by_champion)
    return Stats(
        figures=found,
        days=FIGURES_DAYS,
        pseudonyms=stats.pseudonyms(session=session, user_ids=champions),
    )


def unanswered(
    *, session: Session, caller: Member | None, user_id: str
) -> list[tuple[CurationItem, Question]]:
    """The questions the knowledge base could not answer, for leads; each viewing is audited
    (they hold what officers typed)."""
    require(caller, Act.REVIEW_UNANSWERED)
    items = curation.for_curators(session=session)
    audit.record(
        session=session,
        actor_id=user_id,
        action="curation.view",
        subject_type="curation",
        subject_id=len(items),
    )
    return items


def members(*, session: Session, caller: Member | None) -> list[Member]:
    """The roster, for leads and admins."""
    require(caller, Act.SEE_ROSTER)
    return roster.list_members(session=session)


def check_may_change(*, caller: Member | None) -> None:
    """Refuse anyone but an admin before a roster change is read, naming who can."""
    require(caller, Act.CHANGE_ROSTER)


def set_role(
    *,
    session: Session,
    caller: Member | None,
    actor_id: str,
    target: str,
    role_name: str,
    area: str | None = None,
) -> Member:
    """Add someone to the roster or change their role (never an admin's own)."""
    require(caller, Act.CHANGE_ROSTER)
    try:
        role = Role(role_name.lower())
    except ValueError:
        raise UnknownRole() from None
    if role is Role.NATIONAL_LEAD:
        raise OperatorGrantsNationalLead()
    target_id = roster.check_user_id(target)
    roster.ensure_not_self_demotion(actor_id=actor_id, target_id=target_id, role=role)
    return roster.add(
        session=session, slack_user_id=target_id, role=role, actor_id=actor_id, area=area or None
    )


def remove(*, session: Session, caller: Member | None, actor_id: str, target: str) -> Removal:
    """Take someone off the roster (never an admin themselves)."""
    require(caller, Act.CHANGE_ROSTER)
    target_id = roster.check_user_id(target)
    roster.ensure_not_self_demotion(actor_id=actor_id, target_id=target_id, role=Role.OFFICER)
    was_on = roster.remove(session=session, slack_user_id=target_id, actor_id=actor_id)
    return Removal(target_id, was_on)
