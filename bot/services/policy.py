"""Who may do what: the roles each action needs, in one table, checked against the caller."""

from __future__ import annotations

from enum import Enum

from bot.models import Member, Role
from bot.services import NotAllowed

LEADS = frozenset({Role.LEAD, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
# Only champions are routed requests, so only they have an availability to set; leads may
# still claim from the queue (CLAIMERS).
CHAMPIONS = frozenset({Role.CHAMPION})
CLAIMERS = frozenset({Role.CHAMPION, Role.LEAD})


class Act(Enum):
    """Something only some roles may do; the value is how a refusal names it."""

    SEE_FIGURES = "see the figures"
    REVIEW_UNANSWERED = "review unanswered questions"
    CHANGE_ROSTER = "change the roster"
    SET_AVAILABILITY = "set availability"


MAY: dict[Act, frozenset[Role]] = {
    Act.SEE_FIGURES: LEADS,
    Act.REVIEW_UNANSWERED: LEADS,
    Act.CHANGE_ROSTER: ADMINS,
    Act.SET_AVAILABILITY: CHAMPIONS,
}


def role(caller: Member | None) -> Role:
    """The caller's role; anyone not on the roster acts as an officer."""
    return caller.role if caller else Role.OFFICER


def may(caller: Member | None, act: Act) -> bool:
    """Whether the caller's role permits `act`."""
    return role(caller) in MAY[act]


def require(caller: Member | None, act: Act) -> Role:
    """The caller's role, or NotAllowed naming who can."""
    if not may(caller, act):
        if act is Act.SET_AVAILABILITY:
            raise NotAllowed(
                "Only champions set availability. "
                "Ask a lead to add you to the roster as a champion."
            )
        who = " or ".join(sorted(f"{r.value}s" for r in MAY[act]))
        raise NotAllowed(
            f"Only {who} can {act.value}. Ask a lead if you think you should be able to."
        )
    return role(caller)
