"""Who may do what: the roles each action needs, in one table, checked against the caller."""

from __future__ import annotations

from enum import Enum

from sqlalchemy.orm import Session

from bot.domain.errors import NotNationalLead, OnlyChampionsSetAvailability, RoleRequired
from bot.models import Member, Role
from bot.services import roster

# A national lead does what a lead does in their own force, and more (Act.NATIONAL).
LEADS = frozenset({Role.LEAD, Role.ADMIN, Role.NATIONAL_LEAD})
ADMINS = frozenset({Role.ADMIN})
# Only champions are routed requests, so only they have an availability to set; leads may
# still claim from the queue (CLAIMERS).
CHAMPIONS = frozenset({Role.CHAMPION})
CLAIMERS = frozenset({Role.CHAMPION, Role.LEAD, Role.NATIONAL_LEAD})


class Act(Enum):
    """Something only some roles may do; the value is how a refusal names it."""

    SEE_FIGURES = "see the figures"
    REVIEW_UNANSWERED = "review unanswered questions"
    SEE_ROSTER = "see the roster"
    CHANGE_ROSTER = "change the roster"
    SET_AVAILABILITY = "set availability"
    TAKE_REQUESTS = "take requests"
    CANCEL_ANY_REQUEST = "cancel someone else's request"
    BROADCAST = "send broadcasts"
    ACKNOWLEDGE = "acknowledge broadcasts"
    NATIONAL = "broadcast to every force and see every force's figures"
    SEE_SETTINGS = "see the force's settings"
    CHANGE_SETTINGS = "change the force's settings"


MAY: dict[Act, frozenset[Role]] = {
    Act.SEE_FIGURES: LEADS,
    Act.REVIEW_UNANSWERED: LEADS,
    Act.SEE_ROSTER: LEADS,
    Act.CHANGE_ROSTER: ADMINS,
    Act.SET_AVAILABILITY: CHAMPIONS,
    Act.TAKE_REQUESTS: CLAIMERS,
    Act.CANCEL_ANY_REQUEST: LEADS,
    Act.BROADCAST: LEADS,
    # the count reads "7 of 20 champions": only those asked to acknowledge may
    Act.ACKNOWLEDGE: frozenset({Role.CHAMPION}),
    Act.NATIONAL: frozenset({Role.NATIONAL_LEAD}),
    Act.SEE_SETTINGS: LEADS,
    Act.CHANGE_SETTINGS: ADMINS,
}


def role(caller: Member | None) -> Role:
    """The caller's role; anyone not on the roster acts as an officer."""
    return caller.role if caller else Role.OFFICER


def may(caller: Member | None, act: Act) -> bool:
    """Whether the caller's role permits `act`."""
    return role(caller) in MAY[act]


def require(caller: Member | None, act: Act) -> Role:
    """The caller's role, or a refusal naming who can."""
    if not may(caller, act):
        if act is Act.SET_AVAILABILITY:
            raise OnlyChampionsSetAvailability()
        if act is Act.NATIONAL:
            raise NotNationalLead()
        # A force's people are told of its own roles: the national lead stands above them.
        named = (r.value for r in MAY[act] if r is not Role.NATIONAL_LEAD)
        raise RoleRequired(tuple(sorted(named)), act.value)
    return role(caller)


def require_user(*, session: Session, user_id: str, act: Act) -> Role:
    """`require` for a caller known by Slack user ID."""
    return require(roster.get(session=session, slack_user_id=user_id), act)
