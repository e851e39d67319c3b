"""The lead's broadcast form, its preview, and the small modals that only tell them something."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.broadcasts import (
    ACK_OPTION,
    CATEGORY,
    CPD_HOURS,
    DM_OPTION,
    LINKS,
    MAX_LINKS_TEXT,
    MAX_MESSAGE,
    MAX_TITLE,
    MESSAGE,
    OPTIONS,
    SEND_AT,
    SESSION_AT,
    TITLE,
    FormValues,
    Link,
    zone_or_default,
)
from bot.domain.national import NationalReach
from bot.models import Broadcast, BroadcastCategory, BroadcastStatus
from bot.views import ids
from bot.views.blocks import Block, Reply, context, input_block, section, text_input
from bot.views.broadcasts.message import CATEGORY_LABELS, broadcast_message
from bot.views.text import truncate
from bot.views.time import slack_time

# The audience a national lead chooses on the form: their own force's network, or every force.
AUDIENCE = "audience"
OWN_NETWORK, EVERY_FORCE = "network", "national"


def _option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": {"type": "plain_text", "text": text}, "value": value}
    if description:
        option["description"] = {"type": "plain_text", "text": description}
    return option


def form_values(b: Broadcast, links: Sequence[Link]) -> FormValues:
    """A broadcast as the form shows it, to edit."""
    return FormValues(
        category=b.category,
        title=b.title,
        message=b.body,
        links="\n".join(f"{link.url} {link.label}".strip() for link in links),
        send_at=b.send_at,
        ask_ack=b.ask_ack,
        dm_champions=b.dm_champions,
        session_at=b.session_at,
        cpd_hours=b.cpd_hours,
    )


def _session_blocks(v: FormValues) -> list[Block]:
    """For a training and CPD broadcast about a session: when it starts and its CPD hours, so
    champions can press *I attended* once it has started."""
    picker: Block = {"type": "datetimepicker"}
    if v.session_at is not None:
        picker["initial_date_time"] = int(v.session_at.timestamp())
    hours: Block = {"type": "number_input", "is_decimal_allowed": True}
    if v.cpd_hours is not None:
        hours["initial_value"] = f"{v.cpd_hours:g}"
    return [
        input_block(
            SESSION_AT,
            "Training session starts",
            picker,
            optional=True,
            hint="Training and CPD only: with the session's CPD hours, the broadcast carries "
            "I attended, which logs the session on each champion's CPD record once it starts.",
        ),
        input_block(CPD_HOURS, "CPD hours", hours, optional=True),
    ]


def form_modal(
    *,
    values: FormValues | None = None,
    zone: str | None = None,
    editing: int | None = None,
    sent: bool = False,
    national: bool = False,
) -> dict[str, Any]:
    """The broadcast form. An edit of a broadcast already sent has no send time or DM option;
    a national lead's new broadcast (`national`) first asks who it is for."""
    v = values or FormValues()
    options = [_option(CATEGORY_LABELS[c], c.value) for c in BroadcastCategory]
    category: Block = {
        "type": "static_select",
        "placeholder": {"type": "plain_text", "text": "Choose a category"},
        "options": options,
    }
    if v.category is not None:
        category["initial_option"] = _option(CATEGORY_LABELS[v.category], v.category.value)
    blocks: list[Block] = []
    if national and editing is None:
        own = _option("Your force's network", OWN_NETWORK, "Its network channel, as any lead's.")
        every = _option(
            "Every force", EVERY_FORCE, "Every force's network channel at once, sent now."
        )
        audience: Block = {"type": "radio_buttons", "options": [own, every], "initial_option": own}
        blocks.append(input_block(AUDIENCE, "Send to", audience, optional=False))
    blocks += [
        input_block(CATEGORY, "Category", category, optional=False),
        input_block(
            TITLE,
            "Title",
            text_input(
                initial=v.title,
                multiline=False,
                max_length=MAX_TITLE,
                placeholder="e.g. New CPS guidance on stalking charges",
            ),
            optional=False,
        ),
        input_block(
            MESSAGE,
            "Message",
            text_input(
                initial=v.message,
                multiline=True,
                max_length=MAX_MESSAGE,
                placeholder="What the network needs to know, and what to do about it",
            ),
            optional=False,
            hint="Slack formatting works: *bold*, _italics_, lists and links. Mentions and "
            "@channel or @here are shown as typed and ping nobody.",
        ),
        input_block(
            LINKS,
            "Links",
            text_input(
                initial=v.links,
                multiline=True,
                max_length=MAX_LINKS_TEXT,
                placeholder="https://www.cps.gov.uk/legal-guidance/stalking-and-harassment",
            ),
            optional=True,
            hint="Up to three web addresses, one per line. You can put a name after an "
            "address: https://www.gov.uk/… Home Office guidance",
        ),
    ]
    if not sent:
        picker: Block = {"type": "datetimepicker"}
        if v.send_at is not None:
            picker["initial_date_time"] = int(v.send_at.timestamp())
        where = f"your time zone ({zone_or_default(zone)})" if zone else "your own time zone"
        blocks.append(
            input_block(
                SEND_AT,
                "Send at",
                picker,
                optional=True,
                hint=f"Leave empty to send it as soon as you press Send. Times are in {where}.",
            )
        )
    choices = [
        _option(
            "Ask champions to acknowledge",
            ACK_OPTION,
            "Adds an Acknowledge button and a count; you can remind anyone who hasn't.",
        )
    ]
    if not sent:
        choices.append(
            _option(
                "Also send to each champion by DM",
                DM_OPTION,
                "Every champion gets their own copy as a direct message.",
            )
        )
    ticked = {ACK_OPTION: v.ask_ack, DM_OPTION: v.dm_champions}
    chosen = [c for c in choices if ticked[c["value"]]]
    boxes: Block = {"type": "checkboxes", "options": choices}
    if chosen:
        boxes["initial_options"] = chosen
    blocks.append(input_block(OPTIONS, "Options", boxes, optional=True))
    blocks += _session_blocks(v)  # last, so the fields before keep their places
    return {
        "type": "modal",
        "callback_id": ids.BROADCAST_FORM,
        "title": {"type": "plain_text", "text": "Edit broadcast" if editing else "New broadcast"},
        "submit": {"type": "plain_text", "text": "Preview"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"zone": zone, "edit": editing, "sent": sent}),
        "blocks": blocks,
    }


def preview_modal(
    *,
    draft_id: int,
    draft: Broadcast,
    links: Sequence[Link],
    total: int,
    acked: int,
    network_channel: str,
    zone: str,
    now: datetime,
    editing: Broadcast | None = None,
    national: NationalReach | None = None,
) -> dict[str, Any]:
    """Exactly the blocks that will be posted, with what will happen when the lead confirms;
    with `national`, in every force's network channel (each post counting its own champions)."""
    scheduled = draft.send_at is not None and draft.send_at > now
    if national is not None:
        forces = "1 force" if national.forces == 1 else f"{national.forces} forces"
        what = (
            f"This is what will be posted in every force's network channel ({forces}) as soon "
            "as you send it; each force's post counts its own champions."
        )
        submit = "Send to every force"
    elif editing is not None and editing.status is BroadcastStatus.SENT:
        what = f"The post in <#{network_channel}> will be changed to this"
        what += " (and each champion's copy)." if editing.dm_champions else "."
        submit = "Save changes"
    elif scheduled:
        assert draft.send_at is not None
        what = (
            f"This is exactly what will be posted in <#{network_channel}> on "
            f"{slack_time(draft.send_at, zone)}."
        )
        submit = "Save changes" if editing else "Schedule"
    else:
        what = (
            f"This is exactly what will be posted in <#{network_channel}> as soon as you send it."
        )
        submit = "Save and send" if editing else "Send now"
    notes = [what]
    if national is not None and draft.dm_champions:
        people = "1 champion" if national.champions == 1 else f"{national.champions:,} champions"
        notes.append(f"It will also go to each of the {people} in every force as a direct message.")
    elif draft.dm_champions and (editing is None or editing.status is not BroadcastStatus.SENT):
        people = "1 champion" if total == 1 else f"{total} champions"
        notes.append(f"It will also go to each of the {people} as a direct message.")
    blocks: list[Block] = [context(*notes), {"type": "divider"}]
    blocks += broadcast_message(draft, links, acked=acked, total=total).blocks
    blocks += [{"type": "divider"}, context("Press *Back* to change anything.")]
    return {
        "type": "modal",
        "callback_id": ids.BROADCAST_PREVIEW,
        "title": {"type": "plain_text", "text": "Preview"},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Back"},
        "private_metadata": json.dumps(
            {"draft": draft_id, "zone": zone} | ({"national": True} if national else {})
        ),
        "blocks": blocks,
    }


def national_sent_modal(reply: Reply) -> dict[str, Any]:
    """What the national lead sees once it has gone: where, and the counts so far."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Sent to every force"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": reply.blocks[:50],
    }


def notice_modal(text: str, *, title: str = "Broadcasts") -> dict[str, Any]:
    """A modal that only tells the lead something (opened from App Home, or after a submit)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(truncate(text, 3000))],
    }
