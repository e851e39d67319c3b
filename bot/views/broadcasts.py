"""Broadcasts in Slack: the lead's form and preview, the post itself, its copies, the count of
acknowledgements, reminders, the list of scheduled broadcasts and the weekly digest."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Broadcast, BroadcastCategory, BroadcastStatus
from bot.views import ids
from bot.views.blocks import Block, Reply, button, context, section
from bot.views.text import chunks, escape, truncate

CATEGORY_LABELS = {
    BroadcastCategory.NATIONAL_POLICY: "National policy",
    BroadcastCategory.TREND: "Trend",
    BroadcastCategory.LOCAL_DATA: "Local data",
    BroadcastCategory.RESOURCE: "Resource",
    BroadcastCategory.TRAINING: "Training and CPD",
}
CATEGORY_ICONS = {
    BroadcastCategory.NATIONAL_POLICY: ":scroll:",
    BroadcastCategory.TREND: ":chart_with_upwards_trend:",
    BroadcastCategory.LOCAL_DATA: ":bar_chart:",
    BroadcastCategory.RESOURCE: ":books:",
    BroadcastCategory.TRAINING: ":mortar_board:",
}
DEFAULT_ZONE = "Europe/London"
ACK_OPTION, DM_OPTION = "ack", "dm"
# Fields of the form, by block id: the service reports problems under the same names.
CATEGORY, TITLE, MESSAGE, LINKS, SEND_AT, OPTIONS = (
    "category",
    "title",
    "message",
    "links",
    "send_at",
    "options",
)
MAX_TITLE, MAX_MESSAGE, MAX_LINKS_TEXT = 150, 3000, 3000

# Links the lead wrote in Slack's own markup (<https://…|label>) are kept; every other `<…>`
# (a user mention, @channel, a channel link, a date) is escaped, so it shows as typed.
_LINK_TOKEN = re.compile(r"<((?:https?://|mailto:)[^<>|\s]+)(?:\|([^<>]*))?>")
_PING_WORD = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """A web address the broadcast points to, with an optional name."""

    url: str
    label: str = ""


@dataclass(frozen=True)
class FormValues:
    """What the form shows: empty for a new broadcast, the broadcast's own for an edit."""

    category: BroadcastCategory | None = None
    title: str = ""
    message: str = ""
    links: str = ""
    send_at: datetime | None = None
    ask_ack: bool = False
    dm_champions: bool = False


@dataclass(frozen=True)
class Listed:
    """A broadcast as the lists show it, with its acknowledgement count."""

    broadcast: Broadcast
    acked: int
    total: int


def zone_or_default(zone: str | None) -> str:
    """A time zone Python knows, or the default one."""
    try:
        ZoneInfo(zone or DEFAULT_ZONE)
        return zone or DEFAULT_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE


def local_time(at: datetime, zone: str) -> str:
    """`at` in a person's time zone: "Tue 1 Dec 2026 at 09:30 (Europe/London)"."""
    name = zone_or_default(zone)
    local = at.astimezone(ZoneInfo(name))
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M} ({name})"


def slack_time(at: datetime, zone: str) -> str:
    """`at` as Slack shows it to each reader, in the reader's own time zone."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{local_time(at, zone)}>"


def defuse(text: str) -> str:
    """Stop "@channel", "@here" and "@everyone" typed as words from ever pinging anyone."""
    return _PING_WORD.sub(lambda m: "@\u2060" + m.group(1), text)


def lead_mrkdwn(text: str) -> str:
    """A lead's message as mrkdwn: their formatting and links kept, mentions and pings escaped."""
    out: list[str] = []
    pos = 0
    for m in _LINK_TOKEN.finditer(text):
        out.append(defuse(escape(text[pos : m.start()])))
        url = m.group(1).replace("&", "&amp;")
        label = m.group(2)
        out.append(f"<{url}|{defuse(escape(label))}>" if label else f"<{url}>")
        pos = m.end()
    out.append(defuse(escape(text[pos:])))
    return "".join(out)


def plain(text: str) -> str:
    """Typed plain text, safe inside mrkdwn."""
    return defuse(escape(text))


def ack_count_text(acked: int, total: int) -> str:
    """ "7 of 20 champions have acknowledged"."""
    if total == 1:
        return f"{acked} of 1 champion has acknowledged"
    return f"{acked} of {total} champions have acknowledged"


def _links_section(links: Sequence[Link]) -> Block | None:
    if not links:
        return None
    lines = [
        f"• <{link.url.replace('&', '&amp;')}|{plain(link.label)}>"
        if link.label
        else f"• <{link.url.replace('&', '&amp;')}>"
        for link in links
    ]
    return section("*Links*\n" + "\n".join(lines))


def _fallback(b: Broadcast) -> str:
    return f"{CATEGORY_LABELS[b.category]}: {plain(truncate(b.title, 150))}"


def _body_blocks(b: Broadcast, links: Sequence[Link], *, byline: str) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(b.title, 150)}},
        context(f"{CATEGORY_ICONS[b.category]} *{CATEGORY_LABELS[b.category]}* · {byline}"),
    ]
    blocks += [section(part) for part in chunks(lead_mrkdwn(b.body), 2900)[:10]]
    linked = _links_section(links)
    if linked:
        blocks.append(linked)
    return blocks


def _byline(b: Broadcast, *, dm: bool) -> str:
    line = f"from <@{b.author_id}>" + (" to the network" if dm else "")
    return line + (" · edited" if b.edited_at else "")


def _ack_button(b: Broadcast) -> Block:
    return {
        "type": "actions",
        "block_id": "ack",
        "elements": [button("Acknowledge", ids.BROADCAST_ACK, str(b.id), style="primary")],
    }


def broadcast_message(
    b: Broadcast, links: Sequence[Link], *, acked: int = 0, total: int = 0
) -> Reply:
    """The post in the network channel: with acknowledgement asked, the button and the count."""
    blocks = _body_blocks(b, links, byline=_byline(b, dm=False))
    if b.ask_ack:
        blocks.append(_ack_button(b))
        blocks.append(context(ack_count_text(acked, total)))
    return Reply(text=_fallback(b), blocks=blocks)


def broadcast_dm(
    b: Broadcast,
    links: Sequence[Link],
    *,
    acknowledged_at: datetime | None = None,
    intro: str | None = None,
) -> Reply:
    """A champion's own copy (and reminders): their Acknowledge button, or that they have."""
    blocks = [section(intro)] if intro else []
    blocks += _body_blocks(b, links, byline=_byline(b, dm=True))
    if b.ask_ack:
        if acknowledged_at is not None:
            when = slack_time(acknowledged_at, b.time_zone)
            blocks.append(context(f":white_check_mark: You acknowledged this on {when}."))
        else:
            blocks.append(_ack_button(b))
            blocks.append(context("Please press *Acknowledge* once you have read it."))
    text = (intro + " " if intro else "") + _fallback(b)
    return Reply(text=truncate(text, 3000), blocks=blocks)


def reminder_dm(b: Broadcast, links: Sequence[Link], *, by: str | None) -> Reply:
    """One reminder to acknowledge: from a lead, or from the bot itself."""
    if by:
        intro = f":bell: <@{by}> asks you to read this broadcast and press *Acknowledge*."
    else:
        intro = (
            ":bell: A reminder: you haven't acknowledged this broadcast yet. Please read it and "
            "press *Acknowledge*."
        )
    return broadcast_dm(b, links, intro=intro)


# The lead's form and preview ----------------------------------------------------------------


def _option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": {"type": "plain_text", "text": text}, "value": value}
    if description:
        option["description"] = {"type": "plain_text", "text": description}
    return option


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": truncate(hint, 2000)}
    return block


def _text_input(initial: str, *, multiline: bool, max_length: int, placeholder: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if initial:
        element["initial_value"] = initial
    return element


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
    )


def form_modal(
    *,
    values: FormValues | None = None,
    zone: str | None = None,
    editing: int | None = None,
    sent: bool = False,
) -> dict[str, Any]:
    """The broadcast form. An edit of a broadcast already sent has no send time or DM option."""
    v = values or FormValues()
    options = [_option(CATEGORY_LABELS[c], c.value) for c in BroadcastCategory]
    category: Block = {
        "type": "static_select",
        "placeholder": {"type": "plain_text", "text": "Choose a category"},
        "options": options,
    }
    if v.category is not None:
        category["initial_option"] = _option(CATEGORY_LABELS[v.category], v.category.value)
    blocks: list[Block] = [
        _input(CATEGORY, "Category", category, optional=False),
        _input(
            TITLE,
            "Title",
            _text_input(
                v.title,
                multiline=False,
                max_length=MAX_TITLE,
                placeholder="e.g. New CPS guidance on stalking charges",
            ),
            optional=False,
        ),
        _input(
            MESSAGE,
            "Message",
            _text_input(
                v.message,
                multiline=True,
                max_length=MAX_MESSAGE,
                placeholder="What the network needs to know, and what to do about it",
            ),
            optional=False,
            hint="Slack formatting works: *bold*, _italics_, lists and links. Mentions and "
            "@channel or @here are shown as typed and ping nobody.",
        ),
        _input(
            LINKS,
            "Links",
            _text_input(
                v.links,
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
            _input(
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
    blocks.append(_input(OPTIONS, "Options", boxes, optional=True))
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
) -> dict[str, Any]:
    """Exactly the blocks that will be posted, with what will happen when the lead confirms."""
    scheduled = draft.send_at is not None and draft.send_at > now
    if editing is not None and editing.status is BroadcastStatus.SENT:
        what = f"The post in <#{network_channel}> will be changed to this"
        what += " (and each champion's copy)." if editing.dm_champions else "."
        submit = "Save changes"
    elif scheduled:
        assert draft.send_at is not None
        what = (
            f"This is exactly what will be posted in <#{network_channel}> on "
            f"{local_time(draft.send_at, zone)}."
        )
        submit = "Save changes" if editing else "Schedule"
    else:
        what = (
            f"This is exactly what will be posted in <#{network_channel}> as soon as you send it."
        )
        submit = "Save and send" if editing else "Send now"
    notes = [what]
    if draft.dm_champions and (editing is None or editing.status is not BroadcastStatus.SENT):
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
        "private_metadata": json.dumps({"draft": draft_id, "zone": zone}),
        "blocks": blocks,
    }


def notice_modal(text: str, *, title: str = "Broadcasts") -> dict[str, Any]:
    """A modal that only tells the lead something (opened from App Home, or after a submit)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(truncate(text, 3000))],
    }


def refusal(leads: Sequence[str]) -> str:
    """Why someone who is not a lead or an admin can't broadcast, and who can."""
    text = (
        "Only the network's leads and admins can send broadcasts, so nothing has been posted. "
        "If you have news or guidance the network should see, "
    )
    if leads:
        return text + "send it to one of them: " + ", ".join(f"<@{u}>" for u in leads[:5]) + "."
    return text + "send it to a lead."


# What the lead is told ----------------------------------------------------------------------


def _lead_buttons(b: Broadcast) -> Block:
    value = str(b.id)
    elements = [button("Edit", ids.BROADCAST_EDIT, value)]
    if b.status is BroadcastStatus.SCHEDULED:
        cancel = button("Cancel broadcast", ids.BROADCAST_CANCEL, value, style="danger")
        cancel["confirm"] = {
            "title": {"type": "plain_text", "text": "Cancel this broadcast?"},
            "text": {"type": "plain_text", "text": "It will not be sent."},
            "confirm": {"type": "plain_text", "text": "Cancel broadcast"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        }
        elements.append(cancel)
    elif b.ask_ack:
        elements.append(button("Who hasn't acknowledged", ids.BROADCAST_PENDING, value))
    return {"type": "actions", "block_id": f"lead-{b.id}", "elements": elements}


def lead_confirmation(b: Broadcast, *, network_channel: str, edited: bool = False) -> Reply:
    """The lead's DM once a broadcast is sent, scheduled or changed."""
    title = f"*{plain(truncate(b.title, 150))}*"
    if b.status is BroadcastStatus.SCHEDULED and b.send_at is not None:
        verb = "is now scheduled" if edited else "is scheduled"
        text = (
            f":calendar: {title} {verb} for {local_time(b.send_at, b.time_zone)} in "
            f"<#{network_channel}>. `/broadcast list` shows it, to change or cancel it."
        )
    elif edited:
        text = f":pencil2: {title} has been changed in <#{network_channel}>."
    else:
        text = f":mega: {title} is posted in <#{network_channel}>."
        if b.dm_champions:
            text += " Each champion is getting their own copy by direct message."
    if b.ask_ack and b.status is BroadcastStatus.SENT and not edited:
        text += " Champions are asked to acknowledge it; I'll remind anyone who hasn't."
    return Reply(text=text, blocks=[section(text), _lead_buttons(b)])


def cancelled_text(b: Broadcast) -> str:
    """The lead's confirmation of a cancellation."""
    return f"Cancelled: *{plain(truncate(b.title, 150))}* will not be sent."


def _listed_line(item: Listed, zone: str) -> str:
    b = item.broadcast
    title = f"*{plain(truncate(b.title, 120))}* · {CATEGORY_LABELS[b.category]}"
    if b.status is BroadcastStatus.SCHEDULED and b.send_at is not None:
        return f"{title}\n:calendar: {local_time(b.send_at, zone)} · by <@{b.author_id}>"
    sent = b.sent_at or b.created_at
    line = f"{title}\nSent {local_time(sent, zone)} · by <@{b.author_id}>"
    if b.ask_ack:
        line += f" · {ack_count_text(item.acked, item.total)}"
    return line


def list_blocks(scheduled: Sequence[Listed], recent: Sequence[Listed], *, zone: str) -> list[Block]:
    """Scheduled broadcasts (to edit or cancel) and recent ones (with their counts)."""
    blocks: list[Block] = [
        section(f"*Scheduled broadcasts* ({len(scheduled)})" + ("" if scheduled else "\nNone."))
    ]
    for item in scheduled[:10]:
        blocks += [section(_listed_line(item, zone)), _lead_buttons(item.broadcast)]
    blocks.append(section("*Sent in the last 14 days*" + ("" if recent else "\nNone.")))
    for item in recent[:8]:
        blocks += [section(_listed_line(item, zone)), _lead_buttons(item.broadcast)]
    return blocks


def list_reply(scheduled: Sequence[Listed], recent: Sequence[Listed], *, zone: str) -> Reply:
    """`/broadcast list`."""
    text = f"{len(scheduled)} scheduled broadcast{'s' if len(scheduled) != 1 else ''}."
    blocks = list_blocks(scheduled, recent, zone=zone)
    blocks.append(context("`/broadcast` writes a new one."))
    return Reply(text=text, blocks=blocks[:50])


def pending_modal(
    b: Broadcast,
    missing: Sequence[tuple[str, datetime | None]],
    *,
    acked: int,
    total: int,
) -> dict[str, Any]:
    """Who has not acknowledged, and a button to remind each of them once."""
    title = f"*{plain(truncate(b.title, 150))}*\n{ack_count_text(acked, total)}."
    blocks: list[Block] = [section(title)]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.BROADCAST_REMIND,
        "title": {"type": "plain_text", "text": "Not acknowledged yet"},
        "close": {"type": "plain_text", "text": "Close"},
        "private_metadata": json.dumps({"broadcast": b.id}),
    }
    if not missing:
        blocks.append(section("Every champion has acknowledged it. :tada:"))
        view["blocks"] = blocks
        return view
    lines = [
        f"• <@{uid}>" + (f" _(reminded {slack_time(at, b.time_zone)})_" if at else "")
        for uid, at in missing
    ]
    for part in chunks("\n".join(lines), 2900)[:40]:
        blocks.append(section(part))
    to_remind = sum(1 for _, at in missing if at is None)
    if to_remind:
        people = "1 champion" if to_remind == 1 else f"{to_remind} champions"
        blocks.append(
            context(
                f"*Remind them* sends {people} one direct message each. Each champion gets "
                "one reminder from a lead; I also remind them once by myself."
            )
        )
        view["submit"] = {"type": "plain_text", "text": "Remind them"}
    else:
        blocks.append(context("Everyone on this list has already had a reminder from a lead."))
    view["blocks"] = blocks
    return view


def reminded_modal(count: int) -> dict[str, Any]:
    """After *Remind them*."""
    if count:
        people = "1 champion" if count == 1 else f"{count} champions"
        text = f":bell: I've sent a reminder to {people}, one direct message each."
    else:
        text = "Everyone left had already been reminded, so I haven't sent anything."
    return notice_modal(text, title="Reminders sent")


# App Home -----------------------------------------------------------------------------------


def home_blocks(scheduled: Sequence[Listed], recent: Sequence[Listed]) -> list[Block]:
    """The leads' section of App Home (times shown in each reader's own time zone)."""
    blocks: list[Block] = [
        section(
            f"*Scheduled broadcasts* ({len(scheduled)})"
            + ("" if scheduled else "\nNone. `/broadcast` writes one.")
        )
    ]
    for item in scheduled[:8]:
        b = item.broadcast
        assert b.send_at is not None
        blocks.append(
            section(
                f"*{plain(truncate(b.title, 120))}* · {CATEGORY_LABELS[b.category]}\n"
                f":calendar: {slack_time(b.send_at, b.time_zone)} · by <@{b.author_id}>"
            )
        )
        blocks.append(_lead_buttons(b))
    acked = [item for item in recent if item.broadcast.ask_ack][:5]
    if acked:
        blocks.append(section("*Recent broadcasts asking for acknowledgement*"))
        for item in acked:
            b = item.broadcast
            blocks.append(
                section(
                    f"*{plain(truncate(b.title, 120))}*: {ack_count_text(item.acked, item.total)}"
                )
            )
            blocks.append(_lead_buttons(b))
    return blocks
