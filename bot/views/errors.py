"""What a person is told when the rules refuse: each service error, worded for Slack.

Importing this module (the views package does) makes `str(error)` give these words, so a
listener can reply with `str(error)` or with `refusal(error)` alike.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import singledispatch

from bot.domain import errors as e
from bot.views.text import plain, truncate
from bot.views.time import slack_time

UNTIL_EXAMPLES = (
    "Try `/champion away until friday 17:00`, `until 3pm`, `until tomorrow`, "
    "`until 2026-12-24`, `for 2 days` or `for 3h` (in your own time zone)."
)

# Errors worded by filling in their fields; `{title}` is a broadcast's title, shown in bold.
WORDS: dict[type[e.ServiceError], str] = {
    e.AwayInPast: "That time has already passed. " + UNTIL_EXAMPLES,
    e.AwayTooLong: "Away can be set for up to a year; use `/champion off` for longer.",
    e.AreaTooLong: "Keep the area under {limit} characters.",
    e.EmptyQuestion: "Ask me a question about {subject}, for example "
    "_what is the difference between stalking and harassment?_",
    e.QuestionTooLong: "That message is {length:,} characters, too long for me to search. "
    "Please ask in a sentence or two, and leave out names and personal details.",
    e.NoSuchRequest: "There is no request #{request_id}.",
    e.OwnRequest: "You asked request #{request_id} yourself, so another champion will take it: "
    "it stays in the queue. Nothing has changed.",
    e.RequestChanged: "Request #{request_id} has just changed; please look again.",
    e.OfferClosed: "This offer of request #{request_id} is no longer open ({status}).",
    e.WrongStatus: "Request #{request_id} is {status}, so it can't be {doing}.",
    e.NotHolder: "Only the champion who has request #{request_id}, or a lead, can do that.",
    e.OutcomeTooLong: "Keep the outcome under {limit} characters.",
    e.NotAChampion: "<@{user_id}> is not a champion on the roster.",
    e.AlreadyHolds: "<@{user_id}> already has request #{request_id}.",
    e.AlreadyClosed: "Request #{request_id} is already {status}.",
    e.ClosedToDetail: "Request #{request_id} is {status}; ask a new question instead.",
    e.NoNetworkChannel: "Broadcasts can't be sent yet: no network channel is set up "
    "(`CHAMPBOT_NETWORK_CHANNEL`). Ask an admin to set it.",
    e.BroadcastCancelled: "{title} was cancelled, so it can't be changed.",
    e.AlreadyCancelled: "{title} is already cancelled.",
    e.AlreadySent: "{title} has already been sent, so it can't be cancelled. "
    "You can still edit it.",
    e.WentOutWhileEditing: "{title} went out while you were editing it, so its time can't be "
    "changed any more. Close this, then use *Edit* in `/broadcast list` to change its wording.",
    e.BeingSent: "{title} is being sent right now, so its time can't be changed and it can't be "
    "cancelled. Once it has gone you can still edit the wording.",
    e.DidNotAskForAcks: "{title} didn't ask for acknowledgements.",
    e.NotWaitingForAcks: "{title} isn't waiting for acknowledgements.",
    e.NotDraftAuthor: "Only the lead who wrote this broadcast can send it. Nothing has been "
    "sent; start your own with `/broadcast`.",
    e.PreviewExpired: "This preview has expired. Please start again with `/broadcast`.",
    e.NotATrainingSession: "That broadcast isn't about a training session, so there is "
    "nothing to log for it.",
    e.TimePassed: "The time you chose passed while the preview was open. Press *Back* and "
    "choose a new time, or clear it to send now.",
}


@singledispatch
def refusal(error: e.ServiceError) -> str:
    """The sentence for a refusal: its entry in WORDS with its fields filled in, or else the
    error's own plain sentence."""
    for cls in type(error).__mro__:
        template = WORDS.get(cls)
        if template is not None:
            fields: dict[str, object] = (
                dataclasses.asdict(error) if dataclasses.is_dataclass(error) else {}
            )
            if "title" in fields:
                fields["title"] = f"*{plain(truncate(str(fields['title']), 150))}*"
            return template.format(**fields)
    return error.plain()


@refusal.register
def _(error: e.AlreadyTaken) -> str:
    if error.status == "claimed" and error.holder:
        who = "you" if error.by_caller else f"<@{error.holder}>"
        return f"Request #{error.request_id} has already been claimed by {who}."
    return f"Request #{error.request_id} is {error.status}; there is nothing to claim."


@refusal.register
def _(error: e.NotAsker) -> str:
    who = "the officer who asked, or a lead," if error.or_lead else "the officer who asked"
    return f"Only {who} can {error.doing}."


@refusal.register
def _(error: e.FormDidNotOpen) -> str:
    again = f"run `{error.command}` again" if error.command else "press the button again"
    return (
        "The form could not open (Slack didn't answer in time), so nothing has been sent. "
        f"Please {again}."
    )


@refusal.register
def _(error: e.NotAUserId) -> str:
    return (
        f"{plain(repr(error.typed))} is not a Slack user ID (they look like U0123ABCD; "
        "find one in a profile under ⋮ → Copy member ID)"
    )


@refusal.register
def _(error: e.RoleRequired) -> str:
    who = " or ".join(f"{role}s" for role in error.roles)
    ask = "an admin" if error.roles == ("admin",) else "a lead"
    return f"Only {who} can {error.doing}. Ask {ask} if you think you should be able to."


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


e.word_with(refusal)


@refusal.register
def _(error: e.SessionNotYet) -> str:
    try:
        when = slack_time(datetime.fromisoformat(error.starts_at))
    except ValueError:
        when = "its start"
    return (
        f"Not yet: *{plain(truncate(error.title, 150))}* starts {when}. Press *I attended* "
        "once the session has happened, and it goes on your CPD record."
    )


@refusal.register
def _(error: e.AwayTimeNotUnderstood) -> str:
    if not error.phrase:
        return UNTIL_EXAMPLES
    return f"I didn't understand {plain(truncate(error.phrase, 80))!r} as a time. {UNTIL_EXAMPLES}"


SETTING_VALUES = {
    "channel": "a channel, e.g. `#stalking-queue`",
    "seconds": "a time such as `30m`, `2h` or `600s` (at least a minute, at most a week)",
    "people": "one or more people, e.g. `@lena @chris`",
}


@refusal.register
def _setting(error: e.UnknownSetting) -> str:
    names = ", ".join(f"`{n}`" for n in error.known)
    return f"There is no setting `{plain(truncate(error.name, 40))}`. The settings are {names}."


@refusal.register
def _setting_value(error: e.BadSettingValue) -> str:
    wanted = SETTING_VALUES.get(error.kind, "another value")
    return f"`{error.name}` needs {wanted}; `{plain(truncate(error.value, 60))}` isn't one."
