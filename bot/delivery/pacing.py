"""Pacing of Web API calls: each channel at about Slack's rate, and a method held after a 429."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

# Pacing. Slack takes about one message a second in each channel (short bursts allowed) and a
# few hundred a minute across the workspace; other methods have per-method tiers. Each channel
# is paced on its own and several channels are served at once, so a broadcast to many people
# takes about as long as the workspace's limit allows, and a busy channel never holds up the
# others. A 429 is honoured for its channel; a second one from another channel inside the same
# window means the whole method is limited, and every lane waits out its Retry-After.
PACE = 1.0  # seconds between two posts to one channel, on average
BURST = 3  # posts one channel may take at once before the pace applies
POSTS = frozenset({"chat.postMessage", "conversations.open+chat.postMessage"})
MAX_WAIT = 2.0  # a lane waits this long for its channel; beyond it the rows go back, with a time


class Pacer:
    """When each channel, and each method, may next be called, as far as this process knows."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._lock = threading.Lock()
        # Per channel, when its next post would be due at an even pace ("theoretical arrival
        # time"): a post may go up to BURST - 1 paces ahead of it.
        self._channel_due: dict[str, float] = {}
        self._method_free: dict[str, float] = {}
        self._last_limited: dict[str, tuple[str, float]] = {}

    def reserve(self, method: str, channel: str | None) -> float | None:
        """Seconds to wait before the call (the slot is then taken), or None when the wait
        would be longer than MAX_WAIT (nothing is taken)."""
        with self._lock:
            now = self.monotonic()
            start = max(now, self._method_free.get(method, 0.0))
            due = max(now, self._channel_due.get(str(channel), 0.0))
            paced = method in POSTS and channel is not None
            if paced:
                start = max(start, due - (BURST - 1) * PACE)
            if start - now > MAX_WAIT:
                return None
            if paced:
                self._channel_due[str(channel)] = max(due, start) + PACE
            return start - now

    def free_in(self, method: str, channel: str | None) -> float:
        """Seconds until the channel (and the method) may be called again."""
        with self._lock:
            now = self.monotonic()
            free = self._method_free.get(method, 0.0)
            if method in POSTS and channel is not None:
                free = max(free, self._channel_due.get(channel, 0.0) - (BURST - 1) * PACE)
            return max(0.0, free - now)

    def limited(self, method: str, channel: str | None, retry_after: float) -> None:
        """Slack answered 429: hold the channel, or the whole method, for `retry_after`."""
        with self._lock:
            now = self.monotonic()
            until = now + retry_after
            if channel is not None:
                held = until + (BURST - 1) * PACE  # nothing more to it before `until`
                self._channel_due[channel] = max(self._channel_due.get(channel, 0.0), held)
            previous = self._last_limited.get(method)
            across_channels = previous is not None and (
                previous[0] != (channel or "") and now - previous[1] <= retry_after + PACE
            )
            if method not in POSTS or channel is None or across_channels:
                self._method_free[method] = max(self._method_free.get(method, 0.0), until)
            self._last_limited[method] = (channel or "", now)


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """`client`, handing a 429 straight back: the delivery honours Retry-After itself, for that
    channel only, instead of sleeping inside the call while other channels could be served."""
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    if len(handlers) == len(client.retry_handlers):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = handlers
    return clone
