"""Injected failures and Slack-like rate limits (token buckets, answered with 429 Retry-After)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "bad_gateway"}
DEFAULT_ERRORS |= {503: "service_unavailable", 504: "request_timeout"}

# Slack's published tiers, in calls per minute (each allows short bursts above the rate).
TIERS = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "auth.test": 4,
    "chat.delete": 3,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.join": 3,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.replies": 3,
    "reactions.add": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}


@dataclass
class Fault:
    """A failure to answer the next `remaining` calls of a method with."""

    status: int
    error: str
    retry_after: int | None
    remaining: int


class Faults:
    """Failures queued per method by `SlackEmulator.inject`."""

    def __init__(self) -> None:
        self._queued: dict[str, list[Fault]] = {}

    def add(self, method: str, fault: Fault) -> None:
        self._queued.setdefault(method, []).append(fault)

    def take(self, method: str) -> Fault | None:
        queue = self._queued.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    def clear(self) -> None:
        self._queued.clear()


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, holding at most `burst`."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self) -> float:
        """Seconds until a token is there (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateLimiter:
    """Per-method limits and the per-channel limit on chat.postMessage."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.methods: dict[str, tuple[float, float]] = {}
        self.channel_limit: tuple[float, float] | None = None
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def limit_method(self, method: str, *, per_minute: float, burst: int) -> None:
        self.methods[method] = (per_minute / 60.0, float(max(1, burst)))
        self._buckets = {k: v for k, v in self._buckets.items() if k != (method, "")}

    def limit_channels(self, *, per_second: float, burst: int) -> None:
        self.channel_limit = (per_second, float(max(1, burst)))
        self._buckets = {k: v for k, v in self._buckets.items() if not k[1]}

    def check(self, method: str, channel: str | None) -> int | None:
        """None when the call may go ahead (spending a token), else Retry-After seconds (≥ 1)."""
        now = self.clock()
        buckets = []
        if method in self.methods:
            buckets.append(self._bucket((method, ""), self.methods[method], now))
        if method == "chat.postMessage" and self.channel_limit and channel:
            buckets.append(self._bucket((method, channel), self.channel_limit, now))
        wait = max((bucket.wait() for bucket in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def _bucket(self, key: tuple[str, str], limit: tuple[float, float], now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(limit[0], limit[1], limit[1], now)
        bucket.refill(now)
        return bucket

    def clear(self) -> None:
        self.methods.clear()
        self.channel_limit = None
        self._buckets.clear()
