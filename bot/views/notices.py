"""The short messages that tell people how a request is going.

Taken, released, handed on, cancelled, added to, nearly overdue; and a champion's return
from away.
"""

from __future__ import annotations

from bot.models import Request
from bot.views.blocks import Reply
from bot.views.requests import plain
from bot.views.text import escape, truncate


def taken(req: Request) -> Reply:
    """To the officer: a champion has their request, and the consult is open."""
    return plain(
        f"<@{req.champion_id}> has taken your request *#{req.id}*. I've started a conversation "
        "with you both: look for it in your direct messages."
    )


def released(req: Request, *, previous: str) -> Reply:
    """To the officer: the champion gave the request back."""
    return plain(
        f"<@{previous}> has had to release request *#{req.id}*. It is back in the queue and "
        "I'm finding another champion."
    )


def handed_on_consult(req: Request) -> Reply:
    """What the old consult becomes once the request is reassigned."""
    reply = plain(f"Request *#{req.id}* has been handed to <@{req.champion_id}>.")
    return Reply(text=f"Request #{req.id} was handed to another champion.", blocks=reply.blocks)


def handed_on_officer(req: Request, *, previous: str) -> Reply:
    """To the officer: their request has a new champion."""
    return plain(
        f"<@{previous}> has handed request *#{req.id}* to <@{req.champion_id}>, who will "
        "continue with you in a new conversation."
    )


def handed_to_you(req: Request, *, previous: str) -> Reply:
    """To the champion a request is reassigned to."""
    return plain(f"<@{previous}> has handed you request *#{req.id}*.")


def cancelled(req: Request, *, by: str) -> Reply:
    """To the officer: their request is cancelled (by them, or by a lead)."""
    if by != req.asker_id:
        return plain(f"<@{by}>, a lead, has cancelled request *#{req.id}*.")
    return plain(f"Request *#{req.id}* is cancelled.")


def detail_added(req: Request, *, detail: str) -> Reply:
    """The officer's added detail, quoted, for whoever has the request (or the queue)."""
    quoted = escape(truncate(detail, 2500)).replace("\n", "\n> ")
    return plain(f"<@{req.asker_id}> added detail to request *#{req.id}*:\n> {quoted}")


def sla_warning(req: Request) -> Reply:
    """To the champion holding the offer: the request escalates soon."""
    return plain(
        f":hourglass_flowing_sand: Request *#{req.id}* is still waiting for a champion and "
        "escalates to the leads soon. Please *Accept* or *Pass* on the offer above."
    )


def nobody_left(req: Request, *, previous: str) -> Reply:
    """To the officer: the champion offered their request went off duty and nobody else is free."""
    return plain(
        f"<@{previous}> is no longer available, and no other champion is free right now. "
        f"Request *#{req.id}* is in the champions' queue and the leads have been told. If the "
        "case cannot wait, use your force's usual supervision and duty routes."
    )


def back_on_duty() -> Reply:
    """To a champion whose away time has ended."""
    return plain(
        "Welcome back: your away time has ended and you are on duty for requests again. "
        "`/champion off` if you are not."
    )


NOBODY_AVAILABLE = "No champion is available to take this request."
OVERDUE = "This request is overdue: nobody has claimed it."
