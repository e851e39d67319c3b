"""Requests in Slack: the queue card, offers, the consult, and what the officer and leads see."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.models import Offer, OfferStatus, Request, RequestStatus
from bot.views import ids
from bot.views.answers import NO_NAMES
from bot.views.blocks import Block, Reply, button, context, input_block, section, text_input
from bot.views.outcomes import pick_blocks
from bot.views.text import escape, truncate
from bot.views.time import slack_time


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _clock(at: datetime) -> str:
    return slack_time(at, with_date=False)


def _case_text(req: Request, limit: int = 600) -> str:
    if req.text is None:
        return "_(text removed under the retention policy)_"
    return "> " + escape(truncate(req.text, limit)).replace("\n", "\n> ")


IMMEDIATE_RISK = (
    ":rotating_light: *⚠ Immediate risk*: the officer's question suggests someone may be in "
    "danger now. Please answer it first; the officer has been shown the emergency advice."
)


def risk_flag(req: Request) -> list[Block]:
    """The immediate-risk flag, on its own line, for every copy of a flagged request."""
    return [section(IMMEDIATE_RISK)] if req.immediate_risk else []


def _summary(req: Request) -> str:
    bits = [f"*Request #{req.id}* from <@{req.asker_id}>"]
    if req.area:
        bits.append(f"area: {escape(req.area)}")
    if req.topics:
        bits.append(f"topics: {escape(req.topics.replace(',', ', '))}")
    return " · ".join(bits)


def _actions(block_id: str, *buttons: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(buttons)}


def queue_card(req: Request, *, now: datetime) -> Reply:
    """The request as it sits in the queue channel."""
    blocks: list[Block] = [*risk_flag(req), section(_summary(req)), section(_case_text(req))]
    rid = str(req.id)
    if req.status is RequestStatus.OPEN:
        overdue = req.escalated_at is not None or now >= req.sla_due_at
        state = (
            ":warning: *Overdue*: unclaimed past its time; leads have been told."
            if overdue
            else f"Open · claim by {_clock(req.sla_due_at)}"
        )
        blocks.append(context(state))
        blocks.append(_actions(f"queue-{rid}", button("Claim", ids.CLAIM, rid, style="primary")))
        text = (
            f"Request #{req.id}: open"
            + (" (immediate risk)" if req.immediate_risk else "")
            + (" (overdue)" if overdue else "")
        )
    elif req.status is RequestStatus.CLAIMED:
        blocks.append(context(f":white_check_mark: Claimed by <@{req.champion_id}>"))
        text = f"Request #{req.id}: claimed by a champion"
    elif req.status is RequestStatus.RESOLVED:
        blocks.append(context(f":heavy_check_mark: Resolved by <@{req.champion_id}>"))
        text = f"Request #{req.id}: resolved"
    else:
        blocks.append(context(":no_entry_sign: Cancelled"))
        text = f"Request #{req.id}: cancelled"
    return Reply(text=text, blocks=blocks)


def offer_message(
    req: Request, offer: Offer, *, offer_timeout: int, handed_on: bool = False
) -> Reply:
    """The DM offering a request to one champion, and what it becomes once answered.
    `handed_on`: withdrawn because the champion went off duty or away."""
    blocks: list[Block] = [
        *risk_flag(req),
        section(
            f"{_summary(req)}\nYou are the best-placed champion available. "
            f"Can you take it? The offer moves on after {_minutes(offer_timeout)}."
        ),
        section(_case_text(req)),
    ]
    if offer.status is OfferStatus.PENDING:
        value = f"{req.id}:{offer.id}"
        blocks.append(
            _actions(
                f"offer-{offer.id}",
                button("Accept", ids.ACCEPT, value, style="primary"),
                button("Pass", ids.PASS, value),
            )
        )
        urgent = " (immediate risk)" if req.immediate_risk else ""
        return Reply(text=f"Request #{req.id}{urgent} is offered to you", blocks=blocks)
    if req.status is RequestStatus.CANCELLED:
        state = ":no_entry_sign: The officer cancelled this request."
    elif offer.status is OfferStatus.ACCEPTED:
        state = ":white_check_mark: You accepted this request."
    elif offer.status is OfferStatus.PASSED:
        state = "You passed; it has gone to the next champion."
    elif offer.status is OfferStatus.EXPIRED:
        state = ":hourglass: The offer timed out and moved to the next champion."
    elif handed_on:
        state = "You went off duty or away, so this offer has moved on to the next champion."
    else:
        state = f"Taken by <@{req.champion_id}>." if req.champion_id else "No longer open."
    if (
        offer.status is not OfferStatus.ACCEPTED
        and req.champion_id
        and offer.status in (OfferStatus.PASSED, OfferStatus.EXPIRED)
        and req.status is RequestStatus.CLAIMED
    ):
        state += f" Taken by <@{req.champion_id}>."
    blocks.append(context(state))
    return Reply(text=f"Request #{req.id}: {state}", blocks=blocks)


def consult_intro(req: Request, *, open_: bool = True) -> Reply:
    """The first message of the champion and officer's conversation."""
    blocks: list[Block] = [
        section(
            f"*Request #{req.id}*: <@{req.champion_id}> is advising <@{req.asker_id}> on "
            f"this case. Talk it through here. {NO_NAMES}"
        ),
        section(_case_text(req, 1500)),
    ]
    rid = str(req.id)
    if open_ and req.status is RequestStatus.CLAIMED:
        blocks.append(
            _actions(
                f"consult-{rid}",
                button("Resolve", ids.RESOLVE, rid, style="primary"),
                button("Release", ids.RELEASE, rid),
                button("Reassign", ids.REASSIGN, rid),
            )
        )
        blocks.append(
            context(
                "Champion: *Resolve* when advised, *Release* to put it back in "
                "the queue, *Reassign* to hand it to another champion."
            )
        )
    else:
        words = {
            RequestStatus.RESOLVED: ":heavy_check_mark: Resolved: the outcome is below.",
            RequestStatus.CANCELLED: ":no_entry_sign: Cancelled by the officer.",
            RequestStatus.OPEN: "Released back to the queue.",
        }
        blocks.append(context(words.get(req.status, "Handed to another champion.")))
    return Reply(text=f"Request #{req.id}: consult with <@{req.champion_id}>", blocks=blocks)


def resolution(req: Request) -> Reply:
    """Into the consult on resolving: the outcome the champion wrote, for the officer."""
    outcome = req.outcome_note or "(removed under the retention policy)"
    quoted = escape(truncate(outcome, 1000)).replace("\n", "\n> ")
    return Reply(
        text=f"Request #{req.id} is resolved. Outcome: {escape(truncate(outcome, 200))}",
        blocks=[
            section(
                f":heavy_check_mark: <@{req.champion_id}> has resolved request *#{req.id}*. "
                f"Outcome:\n> {quoted}"
            ),
            context(NO_NAMES),
        ],
    )


def officer_routed(
    req: Request, *, offered_to: str | None, offer_timeout: int, claim_sla: int
) -> Reply:
    """What the officer hears straight after asking."""
    if offered_to:
        line = (
            f"I've offered request *#{req.id}* to <@{offered_to}>, a champion. If they can't "
            f"take it within {_minutes(offer_timeout)} it goes to the next one. I'll tell you "
            "as soon as a champion has it."
        )
    else:
        line = (
            f"*No champion is available right now.* Request *#{req.id}* is in the champions' "
            f"queue and the leads have been told; it is escalated if it is not taken within "
            f"{_minutes(claim_sla)}. If the case cannot wait, use your force's usual "
            "supervision and duty routes."
        )
    rid = str(req.id)
    blocks = [
        section(line),
        context(NO_NAMES),
        _actions(
            f"mine-{rid}",
            button("Add detail", ids.ADD_DETAIL, rid),
            button("Cancel request", ids.CANCEL_REQUEST, rid, style="danger"),
        ),
    ]
    return Reply(
        text=f"Request #{req.id}: "
        + ("offered to a champion" if offered_to else "no champion available yet"),
        blocks=blocks,
    )


def plain(text: str) -> Reply:
    """A one-section message (our words only)."""
    return Reply(text=truncate(text, 300), blocks=[section(text)])


def helped_question(req: Request) -> Reply:
    """After a resolve: ask the officer whether the advice helped."""
    rid = str(req.id)
    return Reply(
        text=f"Request #{req.id} is resolved. Did the advice help?",
        blocks=[
            section(f"<@{req.champion_id}> has resolved request *#{req.id}*. Did the advice help?"),
            _actions(
                f"helped-{rid}",
                button("Yes, it helped", ids.HELPED, rid, style="primary"),
                button("Not really", ids.NOT_HELPED, rid),
            ),
            section("Did the advice change what you did on the case?"),
            _actions(
                f"changed-{rid}",
                button("Yes, it changed what I did", ids.CHANGED_PRACTICE, rid),
                button("No change", ids.UNCHANGED_PRACTICE, rid),
            ),
        ],
    )


def lead_alert(req: Request, *, reason: str) -> Reply:
    """A DM to each lead: nobody available, or the SLA breached."""
    return Reply(
        text=f"Request #{req.id}: {reason}",
        blocks=[
            *risk_flag(req),
            section(f":rotating_light: {reason}\n{_summary(req)}"),
            section(_case_text(req, 300)),
            _actions(f"lead-{req.id}", button("Claim", ids.CLAIM, str(req.id))),
        ],
    )


def _modal(
    callback_id: str, title: str, submit: str, request_id: int, blocks: list[Block]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"request_id": request_id}),
        "blocks": blocks,
    }


def resolve_modal(request_id: int) -> dict[str, Any]:
    """Ask the champion for a short outcome, and what the advice covered in a few optional
    taps (kept for the figures after the outcome's text is purged)."""
    outcome = text_input(
        multiline=True, max_length=1000, placeholder="e.g. advised s2A charge and an interim SPO"
    )
    return _modal(
        ids.RESOLVE_MODAL,
        f"Resolve #{request_id}"[:24],
        "Resolve",
        request_id,
        [
            input_block("outcome", "Outcome, in a line or two", outcome),
            context(NO_NAMES),
            context("What did the advice cover? Each is optional; they count in the figures."),
            *pick_blocks(),
        ],
    )


def reassign_modal(request_id: int) -> dict[str, Any]:
    """Pick the champion to hand a request to."""
    picker: Block = {
        "type": "users_select",
        "placeholder": {"type": "plain_text", "text": "Choose a champion"},
    }
    return _modal(
        ids.REASSIGN_MODAL,
        f"Reassign #{request_id}"[:24],
        "Reassign",
        request_id,
        [input_block("champion", "Hand it to", picker)],
    )


def detail_modal(request_id: int) -> dict[str, Any]:
    """Let the officer add detail to their request."""
    detail = text_input(multiline=True, max_length=3000)
    return _modal(
        ids.DETAIL_MODAL,
        f"Add detail to #{request_id}"[:24],
        "Add",
        request_id,
        [input_block("detail", "What else should the champion know?", detail), context(NO_NAMES)],
    )
