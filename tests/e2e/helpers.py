"""Reading what the bot did from the emulation's record of Web API calls."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import RunningApp


def ok_calls(app: RunningApp, method: str) -> list[Any]:
    return [c for c in app.emu.find_calls(method) if c.ok]


def posts(app: RunningApp, *, count: int = 1, timeout: float = 15.0) -> list[Any]:
    """Wait until the bot has made `count` successful chat.postMessage calls; return them (the
    wait is long enough for a loaded 2-core machine: a passing test never waits it out)."""
    return app.emu.wait_for(
        lambda e: (lambda c: c if len(c) >= count else None)(ok_calls(app, "chat.postMessage")),
        timeout=timeout,
    )


def responses(app: RunningApp, *, count: int = 1, timeout: float = 15.0) -> list[Any]:
    """Wait for `count` posts to response URLs."""
    return app.emu.wait_for(
        lambda e: e.responses if len(e.responses) >= count else None, timeout=timeout
    )


def blocks_of(call: Any) -> list[dict[str, Any]]:
    blocks = call.args.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])


def text_of(call: Any) -> str:
    return json.dumps(blocks_of(call)) + str(call.args.get("text", ""))


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Button label → value, across actions blocks and section accessories."""
    out = {}
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory", {}).get("type") == "button":
            elements = [block["accessory"]]
        for element in elements:
            if element.get("type") == "button":
                out[element["text"]["text"]] = element["value"]
    return out


def posts_to(app: RunningApp, channel: str, needle: str = "", *, timeout: float = 5.0) -> Any:
    """Wait for a post to `channel` (a channel or user ID) containing `needle`; the latest."""
    return app.emu.wait_for(
        lambda e: (
            [
                c
                for c in ok_calls(app, "chat.postMessage")
                if c.args.get("channel") == channel and needle in text_of(c)
            ]
            or [None]
        )[-1],
        timeout=timeout,
    )


def updates_of(app: RunningApp, channel: str, ts: str, needle: str, *, timeout: float = 5.0) -> Any:
    """Wait for an edit of the message (channel, ts) containing `needle`."""
    return app.emu.wait_for(
        lambda e: (
            [
                c
                for c in ok_calls(app, "chat.update")
                if c.args.get("ts") == ts and needle in text_of(c)
            ]
            or [None]
        )[-1],
        timeout=timeout,
    )
