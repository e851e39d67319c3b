"""What the rules of requests, availability and questions refuse, as data (see
`bot.domain.errors`, which names these too)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import NotAllowed, ServiceError

# Requests -----------------------------------------------------------------------------------


@dataclass(eq=False)
class NoSuchRequest(ServiceError):
    """There is no such request."""

    request_id: int


@dataclass(eq=False)
class AlreadyTaken(ServiceError):
    """Someone else claimed the request first."""

    request_id: int
    status: str
    holder: str | None = None
    by_caller: bool = False


@dataclass(eq=False)
class OwnRequest(NotAllowed):
    """You asked this request, so another champion will take it; it stays in the queue."""

    request_id: int


@dataclass(eq=False)
class RequestChanged(ServiceError):
    """The request has just changed; please look again."""

    request_id: int


@dataclass(eq=False)
class NotOffered(NotAllowed):
    """Only the champion it was offered to can pass on this request."""


@dataclass(eq=False)
class OfferClosed(ServiceError):
    """This offer is no longer open."""

    request_id: int
    status: str


@dataclass(eq=False)
class WrongStatus(ServiceError):
    """The request is not in a state that allows this."""

    request_id: int
    status: str
    doing: str


@dataclass(eq=False)
class NotHolder(NotAllowed):
    """Only the champion who has the request, or a lead, can do that."""

    request_id: int


@dataclass(eq=False)
class OutcomeMissing(ServiceError):
    """Add a short outcome, for example: advised s2A and SPO application."""


@dataclass(eq=False)
class OutcomeTooLong(ServiceError):
    """Keep the outcome shorter."""

    limit: int


@dataclass(eq=False)
class NotAChampion(ServiceError):
    """That person is not a champion on the roster."""

    user_id: str


@dataclass(eq=False)
class AlreadyHolds(ServiceError):
    """That champion already has the request."""

    user_id: str
    request_id: int


@dataclass(eq=False)
class ReassignToAsker(ServiceError):
    """A request can't be reassigned to the officer who asked it."""


@dataclass(eq=False)
class AlreadyClosed(ServiceError):
    """The request is already closed."""

    request_id: int
    status: str


@dataclass(eq=False)
class ClosedToDetail(ServiceError):
    """The request is closed; ask a new question instead."""

    request_id: int
    status: str


@dataclass(eq=False)
class NotAsker(NotAllowed):
    """Only the officer who asked can do that."""

    doing: str
    or_lead: bool = False


@dataclass(eq=False)
class NoDetail(ServiceError):
    """There was no detail to add."""


@dataclass(eq=False)
class DetailTooLong(ServiceError):
    """That is more detail than I can hold; talk it through with the champion."""


@dataclass(eq=False)
class UnknownRole(ServiceError):
    """The role must be officer, champion, lead or admin."""


@dataclass(eq=False)
class AwayTimeNotUnderstood(ServiceError):
    """I didn't understand that as a time."""

    phrase: str  # what the champion typed after "until" or "for"; empty when nothing was


@dataclass(eq=False)
class AwayInPast(ServiceError):
    """That time has already passed; give a date or time in the future."""


@dataclass(eq=False)
class AwayTooLong(ServiceError):
    """Away can be set for up to a year; go off duty for longer."""


@dataclass(eq=False)
class AreaTooLong(ServiceError):
    """Keep the area shorter."""

    limit: int


@dataclass(eq=False)
class TooManySkills(ServiceError):
    """That is too many skills; list the main ones."""


@dataclass(eq=False)
class EmptyQuestion(ServiceError):
    """Ask me a question."""

    subject: str


@dataclass(eq=False)
class QuestionTooLong(ServiceError):
    """That message is too long for me to search. Please ask in a sentence or two."""

    length: int
    limit: int


@dataclass(eq=False)
class NotTheAsker(NotAllowed):
    """Only the officer who asked can rate this answer."""


@dataclass(eq=False)
class QuestionGone(ServiceError):
    """I can't find that question any more; please ask it again."""


@dataclass(eq=False)
class QuestionTextRemoved(ServiceError):
    """That question's text has been removed; please ask it again."""
