"""App Home: what the bot is for, how to ask, and the officer's recent questions."""

from __future__ import annotations

from typing import Any

from bot.models import Outcome, Question
from bot.views.answers import EMERGENCY, NO_NAMES, Block, _context, _section
from bot.views.text import escape, truncate

OUTCOME_WORDS = {
    Outcome.ANSWERED: "answered",
    Outcome.LIVE_CASE: "live case",
    Outcome.NOT_COVERED: "not covered yet",
    Outcome.OFF_TOPIC: "off topic",
}


def home_view(
    *, network_name: str, subject: str, recent: list[Question], is_lead: bool
) -> dict[str, Any]:
    """The App Home tab for one person."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(network_name, 150)}},
        _section(
            f"I answer officers' questions about *{escape(subject)}* from the network's "
            "curated knowledge base, and point you to a champion for advice on a live case.\n"
            "• Send me a direct message, mention me in a channel, or type `/ask your question`.\n"
            "• `/faq your question` searches the knowledge base only."
        ),
        _context(NO_NAMES),
        _section(EMERGENCY),
        {"type": "divider"},
    ]
    if recent:
        lines = []
        for q in recent:
            words = OUTCOME_WORDS[q.outcome]
            text = escape(truncate(" ".join((q.text or "(text removed)").split()), 90))
            lines.append(f"• {q.asked_at:%d %b %H:%M} UTC: {text} _({words})_")
        blocks.append(_section("*Your recent questions*\n" + "\n".join(lines)))
    else:
        blocks.append(_section("*Your recent questions*\nNone yet."))
    if is_lead:
        blocks.append(
            _context("Leads: `/champbot stats` for the figures, `/champbot unanswered` for gaps.")
        )
    return {"type": "home", "blocks": blocks[:100]}
