"""Shared pieces of the emulator tests: the emulator, a WebClient on it, and payload builders."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

TOKEN = "xoxb-emulator-test"
ALICE, BOB, CAROL = "UALICE", "UBOB", "UCAROL"


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, **extra: Any) -> dict[str, Any]:
    element = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "a"}
    return {**element, **extra}


def modal(**extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Ask"}, "blocks": [], **extra}
