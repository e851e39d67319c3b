"""Injected failures and Slack-like rate limits (token buckets, answered with 429 Retry-After)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


Where = Callable[[dict[str, Any]], bool]  # which calls (by their arguments) a fault is for


@dataclass
class Fault:
    """A failure to answer the next `remaining` calls of a method with. `applied`: the call
    takes effect first (Slack did it, then its answer was lost: a 5xx after the fact)."""

    status: int
    error: str
    retry_after: int | None
    remaining: int
    applied: bool = False
    where: Where | None = None


@dataclass
class Hold:
    """The next matching call waits (after taking effect, if `applied`) until `release`; one
    held without effect is then answered 500, as a request Slack never completed."""

    method: str
    applied: bool
    where: Where | None = None
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    taken: bool = False

    def wait_reached(self, timeout: float = 10.0) -> bool:
        """Whether a call has arrived and is being held."""
        return self.reached.wait(timeout)

    def release(self) -> None:
        self.released.set()


def _matches(where: Where | None, args: dict[str, Any] | None) -> bool:
    return where is None or (args is not None and bool(where(args)))


class Faults:
    """Failures queued per method (and optionally per workspace) by `SlackEmulator.inject`,
    and calls to hold (`SlackEmulator.hold`)."""

    def __init__(self) -> None:
        self._queued: dict[tuple[str, str], list[Fault]] = {}
        self._holds: list[Hold] = []

    def add(self, method: str, fault: Fault, team: str = "") -> None:
        """`team` "" queues the fault for whichever workspace calls next."""
        self._queued.setdefault((method, team), []).append(fault)

    def take(self, method: str, team: str = "", args: dict[str, Any] | None = None) -> Fault | None:
        for key in ((method, team), (method, "")) if team else ((method, ""),):
            queue = self._queued.get(key) or []
            for fault in queue:
                if _matches(fault.where, args):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.remove(fault)
                    return fault
        return None

    def add_hold(self, hold: Hold) -> None:
        self._holds.append(hold)

    def take_hold(self, method: str, args: dict[str, Any]) -> Hold | None:
        for hold in self._holds:
            if not hold.taken and hold.method == method and _matches(hold.where, args):
                hold.taken = True
                return hold
        return None

    def clear(self) -> None:
        self._queued.clear()
        for hold in self._holds:  # nothing may stay blocked past a reset
            hold.release()
        self._holds.clear()


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
    """Per-method limits and the per-channel limit on chat.postMessage, each per workspace.

    Slack counts its limits per workspace (per app and team), so every bucket is keyed by
    the team: one workspace spending its allowance never makes another wait. A limit set
    for team "" applies to every workspace that has no limit of its own for that method.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.limits: dict[tuple[str, str], tuple[float, float]] = {}
        self.channel_limits: dict[str, tuple[float, float]] = {}
        self._buckets: dict[tuple[str, str, str], Bucket] = {}

    @property
    def methods(self) -> dict[str, tuple[float, float]]:
        """The limits set for every workspace, by method."""
        return {method: limit for (team, method), limit in self.limits.items() if not team}

    @property
    def channel_limit(self) -> tuple[float, float] | None:
        return self.channel_limits.get("")

    def limit_method(self, method: str, *, per_minute: float, burst: int, team: str = "") -> None:
        self.limits[(team, method)] = (per_minute / 60.0, float(max(1, burst)))
        self._forget(lambda key: key[1] == method and not key[2] and (not team or key[0] == team))

    def limit_channels(self, *, per_second: float, burst: int, team: str = "") -> None:
        self.channel_limits[team] = (per_second, float(max(1, burst)))
        self._forget(lambda key: bool(key[2]) and (not team or key[0] == team))

    def _forget(self, matches: Callable[[tuple[str, str, str]], bool]) -> None:
        self._buckets = {k: v for k, v in self._buckets.items() if not matches(k)}

    def check(self, method: str, channel: str | None, team: str = "") -> int | None:
        """None when the call may go ahead (spending a token), else Retry-After seconds (≥ 1)."""
        now = self.clock()
        buckets = []
        limit = self.limits.get((team, method)) or self.limits.get(("", method))
        if limit:
            buckets.append(self._bucket((team, method, ""), limit, now))
        per_channel = self.channel_limits.get(team) or self.channel_limits.get("")
        if method == "chat.postMessage" and per_channel and channel:
            buckets.append(self._bucket((team, method, channel), per_channel, now))
        wait = max((bucket.wait() for bucket in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def _bucket(self, key: tuple[str, str, str], limit: tuple[float, float], now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(limit[0], limit[1], limit[1], now)
        bucket.refill(now)
        return bucket

    def clear(self) -> None:
        self.limits.clear()
        self.channel_limits.clear()
        self._buckets.clear()
