"""Replies through a slash command's or a button's response_url, as outbox rows.

They stay response_url replies because that is the one way to answer a command in every
conversation it can come from (a channel the bot is not in, a DM between two people), where
`chat.postEphemeral` is refused. Slack takes a response_url for 30 minutes and 5 uses: a
reply not delivered by then goes to the person's DM with the bot instead, so it is never lost;
a replacement of the message a button sat on, once the URL is gone, is dropped (the message
it would have redrawn is still there). A response_url reply is ephemeral and keeps no
metadata, so one whose outcome is unknown (a 5xx) cannot be looked for: it is sent again and
may, in that case alone, show twice.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.webhook import WebhookClient

METHOD = "response_url"
LIFETIME = timedelta(minutes=29)  # Slack's 30 minutes, less a minute's margin for the call
GONE = frozenset({"expired_url", "used_url", "invalid_url"})


class Refused(Exception):
    """The response_url answered other than 200."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"response_url answered {status} {error}")
        self.status = status
        self.error = error[:100]

    @property
    def gone(self) -> bool:
        """The URL will take no more replies (expired, or all its uses spent)."""
        return self.status == 404 or self.error in GONE


def payload(*, url: str, body: dict[str, Any], user: str | None) -> dict[str, Any]:
    """An outbox payload for a reply to `url`; `user` gets it as a DM if the URL has expired
    (None: a replacement, dropped then)."""
    return {"url": url, "body": body, "user": user}


def expired(created: datetime, now: datetime) -> bool:
    """Whether a response_url handed over at `created` is past Slack's lifetime by `now`."""
    return now - created > LIFETIME


def fallback(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The call that stands in for a reply whose URL is gone: a DM to the person with the
    same text and blocks, or (for a replacement) nothing, marked by the method "none"."""
    user, body = payload.get("user"), payload.get("body") or {}
    if not user or body.get("replace_original") or body.get("delete_original"):
        return "none", {}
    dm: dict[str, Any] = {"channel": user, "text": str(body.get("text") or "")}
    if body.get("blocks"):
        dm["blocks"] = body["blocks"]
    return "chat.postMessage", dm


def post(payload: dict[str, Any], *, timeout: int) -> None:
    """POST the reply; raises `Refused` for any answer but 200 (and OSError for the network)."""
    client = WebhookClient(str(payload["url"]), timeout=timeout, retry_handlers=[])
    response = client.send_dict(dict(payload.get("body") or {}))
    if response.status_code == 200:
        return
    raise Refused(response.status_code, _error(response.body))


def _error(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip() or "response_url_failed"
    if isinstance(parsed, dict) and parsed.get("error"):
        return str(parsed["error"])
    return "response_url_failed"
