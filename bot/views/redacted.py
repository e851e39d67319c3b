"""What the bot's own Slack messages become once the typed text they quoted is purged, and
what people are told when a request is closed for being open past retention."""

from __future__ import annotations

from bot.models import Request, RequestStatus
from bot.views.blocks import Reply, context, section
from bot.views.requests import plain

REMOVED = "_The case text in this message was removed under the {days}-day retention policy._"


def _outcome(req: Request) -> str:
    """What became of the request, in a few words (no typed text)."""
    if req.stale_at is not None:
        return ":hourglass: Closed: still open when the retention period ran out."
    if req.status is RequestStatus.RESOLVED:
        return f":heavy_check_mark: Resolved by <@{req.champion_id}>."
    if req.status is RequestStatus.CANCELLED:
        return ":no_entry_sign: Cancelled."
    return "No longer open."


def request_message(req: Request, *, days: int) -> Reply:
    """Any message of the bot's that quoted a request's text (its offer, queue card, consult
    introduction, lead alert, added detail or outcome), with the text taken out and no buttons:
    the request's number, who asked, and what became of it stay."""
    return Reply(
        text=f"Request #{req.id}: text removed under the retention policy",
        blocks=[
            section(f"*Request #{req.id}* from <@{req.asker_id}>"),
            context(REMOVED.format(days=days), _outcome(req)),
        ],
    )


def question_message(*, days: int) -> Reply:
    """A message of the bot's that quoted an officer's question, with the question taken out."""
    return Reply(
        text="Question removed under the retention policy",
        blocks=[
            context(
                f"_The question this answered was removed under the {days}-day retention "
                "policy, with the answer shown for it._"
            )
        ],
    )


def _period(days: int) -> str:
    return f"the {days}-day retention period"


def stale_to_leads(req: Request, *, days: int) -> Reply:
    """To each lead: a request still open when its text reached retention has been closed."""
    where = "with a champion" if req.champion_id else "open"
    return plain(
        f":hourglass: Request *#{req.id}* from <@{req.asker_id}> was still {where} when its "
        f"case text reached {_period(days)}, so it has been closed and the text removed. The "
        "figures keep it."
    )


def stale_to_officer(req: Request, *, days: int) -> Reply:
    """To the officer: their request was open when its text reached retention, and is closed."""
    return plain(
        f"Your request *#{req.id}* was still open when its case text reached {_period(days)}, "
        "so it has been closed and the text removed. If you still need advice, ask again."
    )


def stale_to_champion(req: Request, *, days: int) -> Reply:
    """To the champion who held it: the request is closed, nothing more to do."""
    return plain(
        f"Request *#{req.id}*, which you had, was still open when its case text reached "
        f"{_period(days)}, so it has been closed and the text removed. Nothing more is needed "
        "from you."
    )
