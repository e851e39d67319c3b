"""Finding a post whose outcome is unknown: every post carries its outbox row in the message's
metadata, so before a row that Slack may already have is sent again, the conversation's
history since its first unsure attempt is read for it.

An unknown outcome is a 5xx or a broken connection after the request went out, or a claim
that a crashed sender left behind. A message counts only if this app posted it (its bot user,
learnt once per workspace from `auth.test`): another app in the channel could copy the
metadata, and a copy must never stand in for the post. Ephemeral messages and response_url
replies keep no metadata and cannot be looked up: those are sent again (at least once, never
lost).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.delivery.pacing import Pacer

log = logging.getLogger(__name__)

EVENT_TYPE = "champbot_outbox"  # the metadata's event_type on every post the outbox makes
# Slack's clock and this machine's may differ a little: history is read from this far before
# the first unsure attempt.
SKEW = timedelta(seconds=30)
PAGE = 200  # messages per history page
MAX_PAGES = 5  # a busy channel's history is read this far back at most, then the row is sent
LOOKUP_WAIT = 30.0  # the longest a lookup waits for its method's pace
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
# The posts that can be looked up: each carries its metadata.
LOOKED_UP = frozenset({"chat.postMessage", "conversations.open+chat.postMessage"})


def mark(row_id: int, ref: str | None) -> dict[str, Any]:
    """The metadata a post carries: which outbox row made it."""
    payload: dict[str, Any] = {"id": row_id}
    if ref:
        payload["ref"] = ref
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def made_by(message: dict[str, Any], row_id: int, poster: str) -> bool:
    """Whether `message` (from history with all metadata) was posted for outbox row `row_id`
    by `poster` (this app's bot user: in an organisation, one ID in every workspace of it)."""
    if message.get("user") != poster:
        return False
    metadata = message.get("metadata") or {}
    if not isinstance(metadata, dict) or metadata.get("event_type") != EVENT_TYPE:
        return False
    payload = metadata.get("event_payload") or {}
    return isinstance(payload, dict) and str(payload.get("id")) == str(row_id)


class Paced(Exception):
    """The lookup's method is held (after a 429) for longer than a lane waits."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"lookups held for {seconds:.0f}s")
        self.seconds = seconds


class Lookups:
    """Reads a conversation's history for a post, paced like every other call, and counts
    every call it makes (`calls`, by method; `found`, `missing`)."""

    def __init__(self, pacer: Pacer, sleep: Callable[[float], None]) -> None:
        self.pacer = pacer
        self.sleep = sleep
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._poster: str | None = None  # the user this token posts as, once asked

    def find(
        self,
        client: WebClient,
        method: str,
        payload: dict[str, Any],
        row_id: int,
        *,
        since: datetime,
    ) -> str | None:
        """The ts of the post row `row_id` made, if Slack has it; None if it has not. Sets
        `payload["channel"]` to the conversation looked in when it was opened here (a DM
        addressed by user ID, a group DM), so the post that may follow goes to it directly.
        Raises what the Web API raised (the caller decides: a 429 waits, others post)."""
        poster = self._who(client)
        channel = self._conversation(client, method, payload)
        oldest = f"{(since - SKEW).timestamp():.6f}"
        thread = payload.get("thread_ts")
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": PAGE,
            }
            if cursor:
                args["cursor"] = cursor
            if thread:
                lookup = "conversations.replies"
                page = self._call(client, lookup, channel, ts=str(thread), **args)
            else:
                lookup = "conversations.history"
                page = self._call(client, lookup, channel, **args)
            for message in page.get("messages") or []:
                if isinstance(message, dict) and made_by(message, row_id, poster):
                    self._count("found")
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        self._count("missing")
        return None

    def _who(self, client: WebClient) -> str:
        """The user this workspace's token posts as, its bot user (asked once, then kept)."""
        if self._poster is None:
            self._poster = str(self._call(client, "auth.test", None).get("user_id"))
        return self._poster

    def _conversation(self, client: WebClient, method: str, payload: dict[str, Any]) -> str:
        if method == "conversations.open+chat.postMessage":
            opened = self._call(client, "conversations.open", None, users=payload["users"])
            payload.pop("users")
            payload["channel"] = str(opened["channel"]["id"])
            return payload["channel"]
        channel = str(payload.get("channel") or "")
        if USER_ID.match(channel):
            # A post to a user ID goes to their DM with the bot; history needs the DM's id.
            opened = self._call(client, "conversations.open", None, users=channel)
            payload["channel"] = str(opened["channel"]["id"])
            return payload["channel"]
        return channel

    def _call(
        self, client: WebClient, method: str, where: str | None, **args: Any
    ) -> dict[str, Any]:
        wait = self.pacer.reserve(method, where, max_wait=LOOKUP_WAIT)
        if wait is None:
            raise Paced(self.pacer.free_in(method, where))
        if wait:
            self.sleep(wait)
        self._count(method)
        calls = {
            "auth.test": client.auth_test,
            "conversations.open": client.conversations_open,
            "conversations.history": client.conversations_history,
            "conversations.replies": client.conversations_replies,
        }
        response = calls[method](**args)
        return response.data if isinstance(response.data, dict) else {}

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1
