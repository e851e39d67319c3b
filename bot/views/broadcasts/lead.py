"""What a lead sees of their broadcasts: the confirmation, the lists, who hasn't acknowledged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.broadcasts import Listed
from bot.models import Broadcast, BroadcastStatus
from bot.views import ids
from bot.views.blocks import Block, Reply, button, context, section
from bot.views.broadcasts.form import notice_modal
from bot.views.broadcasts.message import CATEGORY_LABELS, ack_count_text, slack_time
from bot.views.text import chunks, plain, truncate


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
            f":calendar: {title} {verb} for {slack_time(b.send_at, b.time_zone)} in "
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
        return f"{title}\n:calendar: {slack_time(b.send_at, zone)} · by <@{b.author_id}>"
    if item.posted_at is not None:
        line = f"{title}\nSent {slack_time(item.posted_at, zone)} · by <@{b.author_id}>"
    elif item.post_failed:
        line = f"{title}\n:warning: Not sent: Slack refused the post · by <@{b.author_id}>"
    else:
        line = f"{title}\n:hourglass_flowing_sand: Going out now · by <@{b.author_id}>"
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
