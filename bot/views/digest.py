"""The weekly digest as the network channel sees it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.broadcasts import zone_or_default
from bot.domain.figures import DigestFigures
from bot.models import Broadcast, BroadcastCategory
from bot.views.blocks import Block, Reply, section
from bot.views.broadcasts.message import CATEGORY_ICONS, CATEGORY_LABELS
from bot.views.text import chunks, plain, truncate
from bot.views.time import duration

__all__ = ["DigestFigures", "digest_message"]


def digest_message(
    *,
    start: datetime,
    end: datetime,
    zone: str,
    sent: Sequence[Broadcast],
    figures: DigestFigures,
    network_name: str,
) -> Reply:
    """The week's broadcasts by category and the network's figures."""
    local_end = end.astimezone(ZoneInfo(zone_or_default(zone)))
    header = f"{network_name}: the week to {local_end:%a} {local_end.day} {local_end:%b}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(header, 150)}}
    ]
    if sent:
        lines = []
        for category in BroadcastCategory:
            mine = [b for b in sent if b.category is category]
            if not mine:
                continue
            lines.append(f"{CATEGORY_ICONS[category]} *{CATEGORY_LABELS[category]}* ({len(mine)})")
            lines += [f"• {plain(truncate(b.title, 150))}" for b in mine[:10]]
        blocks += [section(part) for part in chunks("\n".join(lines), 2900)[:5]]
    else:
        blocks.append(section("No broadcasts this week."))
    q, f = figures.questions, figures
    numbers = [
        f"• Questions asked: {q}"
        + (f" ({f.answered} answered from the knowledge base)" if q else ""),
        f"• Requests for a champion: {f.requests}"
        + (f" ({f.claimed} claimed)" if f.requests else ""),
        "• Median time to a champion: "
        + (
            duration(f.median_claim_seconds)
            if f.median_claim_seconds is not None
            else "no requests were claimed"
        ),
    ]
    blocks.append(section("*The network's week*\n" + "\n".join(numbers)))
    text = f"{network_name}: the week's broadcasts and figures"
    return Reply(text=text, blocks=blocks)
