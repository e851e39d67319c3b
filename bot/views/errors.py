"""What a person is told when the rules refuse: each service error, worded for Slack.

Importing this module (the views package does) makes `str(error)` give these words, so a
listener can reply with `str(error)` or with `refusal(error)` alike.
"""

from __future__ import annotations

from functools import singledispatch

from bot.domain import errors as e
from bot.views.text import plain, truncate


def _title(error: e.BroadcastError) -> str:
    return f"*{plain(truncate(error.title, 150))}*"


@singledispatch
def refusal(error: e.ServiceError) -> str:
    """The sentence for a refusal; an error without its own wording says its plain sentence."""
    return error.plain()


@refusal.register
def _(error: e.NoSuchRequest) -> str:
    return f"There is no request #{error.request_id}."


@refusal.register
def _(error: e.AlreadyTaken) -> str:
    if error.status == "claimed" and error.holder:
        who = "you" if error.by_caller else f"<@{error.holder}>"
        return f"Request #{error.request_id} has already been claimed by {who}."
    return f"Request #{error.request_id} is {error.status}; there is nothing to claim."


@refusal.register
def _(error: e.RequestChanged) -> str:
    return f"Request #{error.request_id} has just changed; please look again."


@refusal.register
def _(error: e.OfferClosed) -> str:
    return f"This offer of request #{error.request_id} is no longer open ({error.status})."


@refusal.register
def _(error: e.WrongStatus) -> str:
    return f"Request #{error.request_id} is {error.status}, so it can't be {error.doing}."


@refusal.register
def _(error: e.NotHolder) -> str:
    return f"Only the champion who has request #{error.request_id}, or a lead, can do that."


@refusal.register
def _(error: e.OutcomeTooLong) -> str:
    return f"Keep the outcome under {error.limit} characters."


@refusal.register
def _(error: e.NotAChampion) -> str:
    return f"<@{error.user_id}> is not a champion on the roster."


@refusal.register
def _(error: e.AlreadyHolds) -> str:
    return f"<@{error.user_id}> already has request #{error.request_id}."


@refusal.register
def _(error: e.AlreadyClosed) -> str:
    return f"Request #{error.request_id} is already {error.status}."


@refusal.register
def _(error: e.ClosedToDetail) -> str:
    return f"Request #{error.request_id} is {error.status}; ask a new question instead."


@refusal.register
def _(error: e.NotAsker) -> str:
    who = "the officer who asked, or a lead," if error.or_lead else "the officer who asked"
    return f"Only {who} can {error.doing}."


@refusal.register
def _(error: e.NotAUserId) -> str:
    return (
        f"{plain(repr(error.typed))} is not a Slack user ID (they look like U0123ABCD; "
        "find one in a profile under ⋮ → Copy member ID)"
    )


@refusal.register
def _(error: e.RoleRequired) -> str:
    who = " or ".join(f"{role}s" for role in error.roles)
    return f"Only {who} can {error.doing}. Ask a lead if you think you should be able to."


@refusal.register
def _(error: e.NotLead) -> str:
    text = (
        "Only the network's leads and admins can send broadcasts, so nothing has been posted. "
        "If you have news or guidance the network should see, "
    )
    if error.leads:
        mentions = ", ".join(f"<@{u}>" for u in error.leads[:5])
        return text + f"send it to one of them: {mentions}."
    return text + "send it to a lead."


@refusal.register
def _(error: e.NoNetworkChannel) -> str:
    return (
        "Broadcasts can't be sent yet: no network channel is set up "
        "(`CHAMPBOT_NETWORK_CHANNEL`). Ask an admin to set it."
    )


@refusal.register
def _(error: e.BroadcastCancelled) -> str:
    return f"{_title(error)} was cancelled, so it can't be changed."


@refusal.register
def _(error: e.AlreadyCancelled) -> str:
    return f"{_title(error)} is already cancelled."


@refusal.register
def _(error: e.AlreadySent) -> str:
    return (
        f"{_title(error)} has already been sent, so it can't be cancelled. You can still edit it."
    )


@refusal.register
def _(error: e.WentOutWhileEditing) -> str:
    return (
        f"{_title(error)} went out while you were editing it, so its time can't be changed any "
        "more. Close this, then use *Edit* in `/broadcast list` to change its wording."
    )


@refusal.register
def _(error: e.BeingSent) -> str:
    return (
        f"{_title(error)} is being sent right now, so its time can't be changed and it can't be "
        "cancelled. Once it has gone you can still edit the wording."
    )


@refusal.register
def _(error: e.DidNotAskForAcks) -> str:
    return f"{_title(error)} didn't ask for acknowledgements."


@refusal.register
def _(error: e.NotWaitingForAcks) -> str:
    return f"{_title(error)} isn't waiting for acknowledgements."


@refusal.register
def _(error: e.PreviewExpired) -> str:
    return "This preview has expired. Please start again with `/broadcast`."


@refusal.register
def _(error: e.TimePassed) -> str:
    return (
        "The time you chose passed while the preview was open. Press *Back* and choose a new "
        "time, or clear it to send now."
    )


e.word_with(refusal)
