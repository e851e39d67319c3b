"""What buttons and forms carry, read strictly: anything malformed or stale is `StaleInput`."""

from __future__ import annotations

import json
from typing import Any

from bot.views.replies import STALE_BUTTON, STALE_FORM


class StaleInput(Exception):
    """A button's value or a form's metadata that this version of the bot cannot read (an old
    message, a tampered payload). Its message is written for the person who clicked."""

    def __init__(self, message: str = STALE_BUTTON) -> None:
        super().__init__(message)
        self.message = message


def number(value: object, *, stale: str = STALE_BUTTON) -> int:
    """A positive id from a button's value or a form's metadata."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or int(text) <= 0:
        raise StaleInput(stale)
    return int(text)


def button_id(action: dict[str, Any]) -> int:
    """The id a button carries as its value."""
    return number(action.get("value"))


def request_ids(action: dict[str, Any]) -> tuple[int, int | None]:
    """`request_id` or `request_id:offer_id` from a request button."""
    first, _, second = str(action.get("value", "")).partition(":")
    return number(first), number(second) if second else None


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """A modal's private metadata (a JSON object; anything else reads as empty)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def field(view: dict[str, Any], block: str, *, required: bool = True) -> dict[str, Any]:
    """The state of the one input in `block` of a submitted modal (empty for an optional block
    the form does not have)."""
    values = (view.get("state") or {}).get("values")
    if not isinstance(values, dict):
        raise StaleInput(STALE_FORM)
    state = values.get(block)
    if state is None and not required:
        return {}
    if not isinstance(state, dict):
        raise StaleInput(STALE_FORM)
    value = state.get("value") or {}
    return value if isinstance(value, dict) else {}
