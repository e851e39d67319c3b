"""Who may do what: the roles each action needs, and the rules that also look at what is acted
on, in two tables, checked against the caller (the unit's `Member`, None off the roster).

Every role decision goes through here; a service passes its caller and, where a rule looks at
the thing acted on, whose it is. Who the caller is comes from Slack's signed request, never from
anything a view or button carried.
"""

from __future__ import annotations

from enum import Enum

from bot.domain.errors import (
    NotAllowed,
    NotAsker,
    NotDraftAuthor,
    NotHolder,
    NotNationalLead,
    NotOffered,
    OnlyChampionsSetAvailability,
    OwnRequest,
    RoleRequired,
)
from bot.models import Member, Role

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
    HANDLE_ANY_REQUEST = "resolve, release or reassign someone else's request"
    CANCEL_ANY_REQUEST = "cancel someone else's request"
    BROADCAST = "send broadcasts"
    CONFIRM_BROADCAST = "send this broadcast"
    ACKNOWLEDGE = "acknowledge broadcasts"
    KEEP_CPD = "keep a CPD record"
    RECORD_TRAINING = "record a training session for champions"
    NATIONAL = "broadcast to every force and see every force's figures"
    SEE_SETTINGS = "see the force's settings"
    CHANGE_SETTINGS = "change the force's settings"


MAY: dict[Act, frozenset[Role]] = {
    Act.SEE_FIGURES: LEADS,
    Act.REVIEW_UNANSWERED: LEADS,
    Act.SEE_ROSTER: LEADS,
    Act.CHANGE_ROSTER: ADMINS,
    Act.SET_AVAILABILITY: CHAMPIONS,
    # claim from the queue, accept or pass on an offer
    Act.TAKE_REQUESTS: CLAIMERS,
    # the champion who holds a request may always resolve, release or reassign it
    Act.HANDLE_ANY_REQUEST: LEADS,
    # the officer who asked may always cancel their own
    Act.CANCEL_ANY_REQUEST: LEADS,
    Act.BROADCAST: LEADS,
    Act.CONFIRM_BROADCAST: LEADS,
    # the count reads "7 of 20 champions": only those asked to acknowledge may
    Act.ACKNOWLEDGE: CHAMPIONS,
    # CPD is the champions' own record; leads record sessions for them and see where they stand
    Act.KEEP_CPD: CHAMPIONS,
    Act.RECORD_TRAINING: LEADS,
    Act.NATIONAL: frozenset({Role.NATIONAL_LEAD}),
    Act.SEE_SETTINGS: LEADS,
    Act.CHANGE_SETTINGS: ADMINS,
}


class Rule(Enum):
    """What, beyond the role, decides whether the caller may act on this one thing."""

    NOT_THE_ASKER = "nobody takes a request they asked themselves"
    OFFERED_TO_CALLER = "only the champion an offer was made to may answer it"
    DRAFT_AUTHOR = "only the lead who wrote a draft may send it"


# The rules that apply to an act on top of its roles (every one is covered by the tests).
ONLY: dict[Act, frozenset[Rule]] = {
    Act.TAKE_REQUESTS: frozenset({Rule.NOT_THE_ASKER, Rule.OFFERED_TO_CALLER}),
    Act.CONFIRM_BROADCAST: frozenset({Rule.DRAFT_AUTHOR}),
}


def role(caller: Member | None) -> Role:
    """The caller's role; anyone not on the roster acts as an officer."""
    return caller.role if caller else Role.OFFICER


def may(caller: Member | None, act: Act) -> bool:
    """Whether the caller's role permits `act`."""
    return role(caller) in MAY[act]


def require(caller: Member | None, act: Act, *, refusal: NotAllowed | None = None) -> Role:
    """The caller's role, or a refusal (`refusal`, else one naming who can)."""
    if not may(caller, act):
        if refusal is not None:
            raise refusal
        if act is Act.SET_AVAILABILITY:
            raise OnlyChampionsSetAvailability()
        if act is Act.NATIONAL:
            raise NotNationalLead()
        # A force's people are told of its own roles: the national lead stands above them.
        named = (r.value for r in MAY[act] if r is not Role.NATIONAL_LEAD)
        raise RoleRequired(tuple(sorted(named)), act.value)
    return role(caller)


def _same(caller: Member | None, user_id: str) -> None:
    """The rules compare the caller's Slack id with the thing's: the two must be one person."""
    if caller is not None and caller.slack_user_id != user_id:
        raise ValueError("the caller and the user id name different people")


def require_own(caller: Member | None, act: Act, *, user_id: str) -> Role:
    """`require`, for an act on the caller's own things (their CPD record, their availability,
    a session they record): `user_id` names whose, and must be the caller."""
    _same(caller, user_id)
    return require(caller, act)


def require_taker(
    caller: Member | None,
    *,
    user_id: str,
    request_id: int,
    asker_id: str,
    offered_to: str | None = None,
) -> None:
    """Claim, accept or pass: a champion or lead, never on their own request; an offer is
    answered only by the champion it was made to (`offered_to`, when answering one)."""
    _same(caller, user_id)
    require(caller, Act.TAKE_REQUESTS)
    if user_id == asker_id:
        raise OwnRequest(request_id)
    if offered_to is not None and offered_to != user_id:
        raise NotOffered()


def require_holder_or_lead(
    caller: Member | None, *, user_id: str, request_id: int, holder_id: str | None
) -> None:
    """Resolve, release or reassign: the champion who holds the request, or a lead."""
    _same(caller, user_id)
    if holder_id is None or holder_id != user_id:
        require(caller, Act.HANDLE_ANY_REQUEST, refusal=NotHolder(request_id))


def require_asker_or_lead(
    caller: Member | None, *, user_id: str, asker_id: str, doing: str
) -> None:
    """Cancel: the officer who asked, or a lead."""
    _same(caller, user_id)
    if user_id != asker_id:
        require(caller, Act.CANCEL_ANY_REQUEST, refusal=NotAsker(doing, or_lead=True))


def require_author(caller: Member | None, *, user_id: str, author_id: str) -> None:
    """Send a previewed draft: a lead, and only the one who wrote it. The draft's id came from
    the preview's metadata, which the client could have changed: the author is the one stored
    with the draft."""
    _same(caller, user_id)
    require(caller, Act.CONFIRM_BROADCAST)
    if user_id != author_id:
        raise NotDraftAuthor()
