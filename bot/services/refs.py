"""Outbox refs: the names of the messages the bot sends, so later rows can edit or reply to them.

A ref is unique in the outbox, so building every one here keeps two kinds of message from ever
sharing a name, and a `Ref` type lets the type checker refuse a hand-made string.
"""

from __future__ import annotations

from typing import NewType

Ref = NewType("Ref", str)


def answer(question_id: int) -> Ref:
    """The reply to an officer's question (in their DM, a thread, or by response_url)."""
    return Ref(f"answer:{question_id}")


def reply(key: str) -> Ref:
    """A reply to something not recorded as a question (`key` unique, e.g. a random token)."""
    return Ref(f"reply:{key}")


def offer(offer_id: int) -> Ref:
    """The DM offering a request to one champion."""
    return Ref(f"offer:{offer_id}")


def queue_card(request_id: int) -> Ref:
    """The request's card in the queue channel."""
    return Ref(f"queue:{request_id}")


def officer_routed(request_id: int) -> Ref:
    """What the officer is told straight after asking."""
    return Ref(f"officer:{request_id}")


def consult(request_id: int, claim: int) -> Ref:
    """The group DM opened for one claim of a request (a reassignment opens a new one)."""
    return Ref(f"consult:{request_id}:{claim}")


def helped(request_id: int) -> Ref:
    """The question, after a resolve, whether the advice helped."""
    return Ref(f"helped:{request_id}")


def broadcast_prefix(broadcast_id: int, revision: int) -> str:
    """What every ref of one revision of a broadcast starts with (for prefix queries)."""
    return f"broadcast:{broadcast_id}:{revision}:"


def broadcast_dm_prefix(broadcast_id: int, revision: int) -> str:
    """What every champion's copy of one revision of a broadcast starts with."""
    return broadcast_prefix(broadcast_id, revision) + "dm:"


def broadcast_post(broadcast_id: int, revision: int) -> Ref:
    """The broadcast's post in the network channel."""
    return Ref(broadcast_prefix(broadcast_id, revision) + "post")


def broadcast_dm(broadcast_id: int, revision: int, user_id: str) -> Ref:
    """One champion's copy of a broadcast."""
    return Ref(broadcast_dm_prefix(broadcast_id, revision) + user_id)


def broadcast_reminder(broadcast_id: int, user_id: str, kind: str) -> Ref:
    """One reminder to acknowledge (a lead's, or the bot's own)."""
    return Ref(f"broadcast-reminder:{broadcast_id}:{user_id}:{kind}")


def digest(week: str) -> Ref:
    """The weekly digest of one ISO week."""
    return Ref(f"digest:{week}")


def kb_review(owner: str, year: int, week: int) -> Ref:
    """One owner's reminder, in one ISO week, of entries past review."""
    return Ref(f"kb-review:{owner}:{year}-W{week:02d}")


def message(outbox_id: int) -> Ref:
    """A sent message that had no ref, named when retention has to edit it."""
    return Ref(f"msg:{outbox_id}")


def redaction(outbox_id: int) -> Ref:
    """The edit that replaces a purged message's text in Slack (one per message, ever)."""
    return Ref(f"redact:{outbox_id}")


# What an outbox row's payload quotes: typed text stored elsewhere, purged with it.
Quote = NewType("Quote", str)
QUOTES_REQUEST, QUOTES_QUESTION = "request:", "question:"


def quoting_request(request_id: int) -> Quote:
    """The row copies a request's case text, added detail or outcome."""
    return Quote(f"{QUOTES_REQUEST}{request_id}")


def quoting_question(question_id: int) -> Quote:
    """The row copies an officer's question as typed."""
    return Quote(f"{QUOTES_QUESTION}{question_id}")


def cpd_reminder(user_id: str, due_on: str) -> Ref:
    """The one DM reminding a champion that their CPD falls due on `due_on` (ISO date)."""
    return Ref(f"cpd-remind:{user_id}:{due_on}")


def impact_summary(month: str, lead: str) -> Ref:
    """One lead's copy of the monthly impact summary ("2026-11")."""
    return Ref(f"impact:{month}:{lead}")


def impact_file(month: str, lead: str) -> Ref:
    """The impact report's PDF, shared after that lead's summary."""
    return Ref(f"impact:{month}:{lead}:pdf")
