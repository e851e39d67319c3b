"""What the handler tests share: two questions, and reading what the bot posted."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from tests.conftest import DispatchedApp

QUESTION = "whats the difference between stalking and harassment?"
LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"


def posted(app: DispatchedApp, channel: str) -> list[Any]:
    return [
        c
        for c in app.emu.find_calls("chat.postMessage", ok=True)
        if c.args.get("channel") == channel
    ]


def blocks_of(call: Any) -> list[dict[str, Any]]:
    blocks = call.args.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])


def button_value(call: Any, action_id: str) -> str:
    for block in blocks_of(call):
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def count(app: DispatchedApp, model: Any) -> int:
    with app.runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def click(app: DispatchedApp, user: str, action_id: str, value: str) -> Any:
    resp = app.slack.block_action(
        user=user,
        action_id=action_id,
        value=value,
        response_url=app.emu.response_url(action_id),
    )
    assert resp.status == 200
    app.settle()
    return app.emu.responses
