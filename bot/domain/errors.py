"""What the rules refuse, as data: each error's fields say what happened; a view words it.

The errors hold no Slack markup and no wording of their own beyond a plain fallback (the class
docstring's first paragraph). `bot.views.errors` installs the Slack wording when the views load, so
`str(error)` is the sentence a person is shown wherever the views are in use, and a plain
sentence elsewhere (the command line, logs before the app is built).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class ServiceError(Exception):
    """That can't be done."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return _wording(self)

    def plain(self) -> str:
        """A plain sentence, without the views: the message given, else the class docstring's
        first paragraph."""
        given = getattr(self, "message", "")
        if given:
            return str(given)
        doc = type(self).__doc__ or "That can't be done."
        return " ".join(doc.strip().split("\n\n")[0].split())


def _plain(error: ServiceError) -> str:
    return error.plain()


_wording: Callable[[ServiceError], str] = _plain


def word_with(wording: Callable[[ServiceError], str]) -> None:
    """Have `str(error)` use `wording` (the views install theirs once, at import)."""
    global _wording
    _wording = wording


class NotAllowed(ServiceError):
    """Your role does not permit this."""


# Each error below is a dataclass: its fields are what happened. `eq=False` keeps errors
# hashable and compared by identity, as exceptions are.


# The roster ---------------------------------------------------------------------------------


@dataclass(eq=False)
class NotAUserId(ServiceError):
    """That is not a Slack user ID (they look like U0123ABCD; find one in a profile under ⋮ →
    Copy member ID)."""

    typed: str


@dataclass(eq=False)
class ProfileTooLong(ServiceError):
    """Area must be under 80 characters and skills under 400 in all."""


@dataclass(eq=False)
class RoleRequired(NotAllowed):
    """Your role does not permit this. Ask a lead if you think you should be able to."""

    roles: tuple[str, ...]
    doing: str


@dataclass(eq=False)
class OnlyChampionsSetAvailability(NotAllowed):
    """Only champions set availability. Ask a lead to add you to the roster as a champion."""


@dataclass(eq=False)
class SelfDemotion(NotAllowed):
    """You can't change your own admin role from Slack; use the champbot CLI."""


# Broadcasts ---------------------------------------------------------------------------------


@dataclass(eq=False)
class NotLead(NotAllowed):
    """Only the network's leads and admins can send broadcasts, so nothing has been posted."""

    leads: tuple[str, ...]


class NotNationalLead(NotAllowed):
    """Only a national lead can send a broadcast to every force or see every force's figures.
    Your own force's broadcasts and figures are still yours: `/broadcast` and
    `/champbot stats`. National leads are named by the deployment's operator."""


class OperatorGrantsNationalLead(NotAllowed):
    """A national lead is named by the deployment's operator (`champbot roster add … --role
    national-lead`), not in Slack, since the role reaches every force."""


@dataclass(eq=False)
class NoNetworkChannel(ServiceError):
    """Broadcasts can't be sent yet: no network channel is set up (CHAMPBOT_NETWORK_CHANNEL).
    Ask an admin to set it."""


@dataclass(eq=False)
class BroadcastGone(ServiceError):
    """That broadcast no longer exists."""


@dataclass(eq=False)
class BroadcastError(ServiceError):
    """That can't be done to this broadcast now."""

    title: str


class BroadcastCancelled(BroadcastError):
    """The broadcast was cancelled, so it can't be changed."""


class AlreadyCancelled(BroadcastError):
    """The broadcast is already cancelled."""


class AlreadySent(BroadcastError):
    """The broadcast has already been sent, so it can't be cancelled. You can still edit it."""


class WentOutWhileEditing(BroadcastError):
    """The broadcast went out while you were editing it, so its time can't be changed any more."""


class BeingSent(BroadcastError):
    """The broadcast is being sent right now, so its time can't be changed and it can't be
    cancelled."""


class DidNotAskForAcks(BroadcastError):
    """The broadcast didn't ask for acknowledgements."""


class NotWaitingForAcks(BroadcastError):
    """The broadcast isn't waiting for acknowledgements."""


@dataclass(eq=False)
class NotAskingForAcks(ServiceError):
    """This broadcast isn't asking for acknowledgements."""


@dataclass(eq=False)
class OnlyChampionsAcknowledge(NotAllowed):
    """Only champions are asked to acknowledge broadcasts, so there's nothing you need to do."""


@dataclass(eq=False)
class NotDraftAuthor(NotAllowed):
    """Only the lead who wrote this broadcast can send it, so nothing has been sent."""


@dataclass(eq=False)
class FormDidNotOpen(ServiceError):
    """The form could not open just now, so nothing has been sent. Please try again."""

    command: str | None = None  # the slash command to run again; None: press the button again


@dataclass(eq=False)
class PreviewExpired(ServiceError):
    """This preview has expired. Please start again with /broadcast."""


@dataclass(eq=False)
class TimePassed(ServiceError):
    """The time you chose passed while the preview was open. Go back and choose a new time, or
    clear it to send now."""


class InvalidBroadcast(ServiceError):
    """What is wrong with the form, field by field (keys are the form's field names).

    The problems are plain sentences: Slack shows a modal's errors as plain text.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# CPD ----------------------------------------------------------------------------------------


class InvalidActivity(ServiceError):
    """What is wrong with a CPD form, field by field (keys are the form's block ids).

    The problems are plain sentences: Slack shows a modal's errors as plain text.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(eq=False)
class NotATrainingSession(ServiceError):
    """That broadcast is not about a training session, so there is nothing to log."""


@dataclass(eq=False)
class SessionNotYet(ServiceError):
    """That session hasn't happened yet; press I attended once it has."""

    title: str
    starts_at: str  # ISO 8601, UTC


# Per-force settings ----------------------------------------------------------------------


@dataclass(eq=False)
class UnknownSetting(ServiceError):
    """There is no such setting."""

    name: str
    known: tuple[str, ...]


@dataclass(eq=False)
class BadSettingValue(ServiceError):
    """That value doesn't suit this setting."""

    name: str
    value: str
    kind: str  # "channel", "seconds" or "people"


# The errors of requests, availability and questions live beside these (split for length);
# imported here so that `bot.domain.errors` still names every error (`__all__` lists them).
from bot.domain.errors_requests import (  # noqa: E402
    AlreadyClosed,
    AlreadyHolds,
    AlreadyTaken,
    AreaTooLong,
    AwayInPast,
    AwayTimeNotUnderstood,
    AwayTooLong,
    ClosedToDetail,
    DetailTooLong,
    EmptyQuestion,
    NoDetail,
    NoSuchRequest,
    NotAChampion,
    NotAsker,
    NotHolder,
    NotOffered,
    NotTheAsker,
    OfferClosed,
    OutcomeMissing,
    OutcomeTooLong,
    OwnRequest,
    QuestionGone,
    QuestionTextRemoved,
    QuestionTooLong,
    ReassignToAsker,
    RequestChanged,
    TooManySkills,
    UnknownRole,
    WrongStatus,
)

__all__ = [
    "AlreadyClosed",
    "AlreadyHolds",
    "AlreadyTaken",
    "AreaTooLong",
    "AwayInPast",
    "AwayTimeNotUnderstood",
    "AwayTooLong",
    "ClosedToDetail",
    "DetailTooLong",
    "EmptyQuestion",
    "NoDetail",
    "NoSuchRequest",
    "NotAChampion",
    "NotAsker",
    "NotHolder",
    "NotOffered",
    "NotTheAsker",
    "OfferClosed",
    "OutcomeMissing",
    "OutcomeTooLong",
    "OwnRequest",
    "QuestionGone",
    "QuestionTextRemoved",
    "QuestionTooLong",
    "ReassignToAsker",
    "RequestChanged",
    "TooManySkills",
    "UnknownRole",
    "WrongStatus",
]
