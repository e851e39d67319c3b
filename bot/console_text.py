"""How `champbot console` shows what the bot posts: Slack's markup and Block Kit as plain lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def json_of(value: Any) -> dict[str, Any]:
    """A JSON object the Web API got either encoded or as is."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def blocks_of(value: Any) -> list[dict[str, Any]]:
    """Blocks the Web API got either encoded or as is."""
    return json.loads(value) if isinstance(value, str) else list(value or [])


def plain(text: str, names: Mapping[str, str]) -> str:
    """mrkdwn as a terminal shows it: links with their address, people by name, dates."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render(
    blocks: list[dict[str, Any]],
    names: Mapping[str, str],
    number: Callable[[dict[str, Any]], str],
) -> Iterable[str]:
    """Blocks as lines; each button is shown as what `number` makes of it (its `/click` N)."""
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            yield plain(block["text"]["text"], names).upper()
        elif kind == "section":
            if "text" in block:
                yield plain(block["text"]["text"], names)
            if "accessory" in block and block["accessory"].get("type") == "button":
                yield "    " + number(block["accessory"])
        elif kind == "context":
            yield "  " + "  ".join(plain(e.get("text", ""), names) for e in block["elements"])
        elif kind == "actions":
            yield "  ".join(number(e) for e in block["elements"] if e.get("type") == "button")
        elif kind == "divider":
            yield "─" * 40
