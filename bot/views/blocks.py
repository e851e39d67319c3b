"""The Block Kit pieces every view is made of, and the Reply they make."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.views.text import truncate

Block = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A message for Slack: fallback text for notifications, and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def section(text: str) -> Block:
    """A section of mrkdwn text (already escaped where it holds user text)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    """A context block: small print, at most ten pieces."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts[:10]]}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    """A button, its label and value held to Slack's limits."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, 75), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def input_block(
    block_id: str,
    label: str,
    element: Block,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """A modal's input: its element's value is read back under `block_id` → "value"."""
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


def text_input(
    *, multiline: bool, max_length: int, placeholder: str | None = None, initial: str = ""
) -> Block:
    """A plain-text input element for `input_block`."""
    element: Block = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if initial:
        element["initial_value"] = initial
    return element
