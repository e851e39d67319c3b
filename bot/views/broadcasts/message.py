"""A broadcast as champions see it: the post, each champion's copy and the reminders."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.domain.broadcasts import Link
from bot.models import Broadcast, BroadcastCategory
from bot.views import ids
from bot.views.blocks import Block, Reply, button, context, section
from bot.views.cpd import attended_button
from bot.views.text import chunks, defuse, escape, plain, truncate
from bot.views.time import plain_time, slack_time

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
# Links the lead wrote in Slack's own markup (<https://…|label>) are kept; every other `<…>`
# (a user mention, @channel, a channel link, a date) is escaped, so it shows as typed.
_LINK_TOKEN = re.compile(r"<((?:https?://|mailto:)[^<>|\s]+)(?:\|([^<>]*))?>")


def local_time(at: datetime, zone: str | None = None) -> str:
    """`at` as plain text in a person's time zone: "Tue 1 Dec 2026 at 09:30 GMT"."""
    return plain_time(at, zone)


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


def _session_blocks(b: Broadcast) -> list[Block]:
    """A training session's time and hours, and *I attended* (it logs the session on the
    champion's CPD record once it has started)."""
    if b.category is not BroadcastCategory.TRAINING or b.session_at is None or not b.cpd_hours:
        return []
    hours = f"{b.cpd_hours:g} CPD hour" + ("" if b.cpd_hours == 1 else "s")
    return [
        context(
            f":calendar: Session: {slack_time(b.session_at, b.time_zone)} · {hours}. "
            "Champions who went: press *I attended* once it has started, to log it as CPD."
        ),
        attended_button(b.id),
    ]


def broadcast_message(
    b: Broadcast, links: Sequence[Link], *, acked: int = 0, total: int = 0
) -> Reply:
    """The post in the network channel: with acknowledgement asked, the button and the count."""
    blocks = _body_blocks(b, links, byline=_byline(b, dm=False))
    blocks += _session_blocks(b)
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
    blocks += _session_blocks(b)
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
