"""What the agent view shows: its suggested prompts, its status line and its description."""

from __future__ import annotations

from collections.abc import Iterable

from bot.views.text import truncate

PROMPTS_TITLE = "Try asking"
SEARCHING = "is searching the knowledge base…"
# setStatus shows these in turn while the status is set (Slack's limit is ten).
LOADING = ["Searching the knowledge base…", "Checking the sources…"]
ASK_CHAMPION_TITLE = "Ask a champion about a case"
# Worded so that triage reads it as a live case, and the officer is put through to a champion
# (tests/services/test_prompts.py holds it to that).
ASK_CHAMPION_MESSAGE = "I have a case I want to talk through with a champion."


def description(network_name: str, subject: str) -> str:
    """The agent view's description in the app's manifest."""
    return truncate(
        f"Case advice on {subject} for {network_name}: sourced answers from the network's "
        "knowledge base, and a trained champion for a live case. Not an emergency service.",
        200,
    )


def suggested_prompts(examples: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The prompts for setSuggestedPrompts (and the manifest): each example question as
    (title, message), then asking a champion; four in all, Slack's maximum."""
    prompts = [
        {"title": truncate(title, 75), "message": truncate(message, 300)}
        for title, message in list(examples)[:3]
    ]
    prompts.append({"title": ASK_CHAMPION_TITLE, "message": ASK_CHAMPION_MESSAGE})
    return prompts
