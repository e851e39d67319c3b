"""Pacing of Web API calls: each channel at about Slack's rate, the workspace's posts shared
between answers and bulk, and a method held after a 429."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

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
# The workspace's posts, all channels together, as one token bucket this process keeps in step
# with Slack's: posts a second and the burst above it. Slack does not publish the figure ("several
# hundred a minute"); 600 a minute is where it is commonly met, and a smaller allowance is learnt
# from Slack's answers, not assumed (`Pacer.limited`): a workspace-wide 429 means Slack's bucket
# is empty at that moment, so the posts Slack accepted since it was last empty (or full) are
# what it refilled meanwhile, which is its rate. The burst and the reserve below keep their
# shape (seconds' worth of posts) as the rate is learnt.
WORKSPACE_RATE = 10.0
WORKSPACE_BURST = 60
# Never below a post a second: Slack lets every channel take that, so no workspace allows less,
# and an estimate learnt from a few 429s in a busy moment never leaves answers at a crawl.
MIN_RATE = 1.0
LEARN = 0.9  # with nothing to measure by (no post accepted since), the estimate is cut by this
# Posts accepted before an estimate is trusted over a cut by LEARN: one token more or less in
# Slack's bucket than counted moves the estimate by 1/MEASURE at most.
MEASURE = 4
# An estimate may be low (a short first measure, a burst smaller than assumed): after every
# PROBE posts accepted without a 429 it is raised by RAISE, up to where it started, so a low one
# climbs until Slack answers 429 again and the posts between two such answers measure the rate.
PROBE = 5
RAISE = 1.05
# Slots of the workspace's burst that bulk posts (broadcast copies, digests, reminders) never
# take: an answer to an officer, or a reply to a champion's or a lead's action, always finds one
# at once, however long the broadcast, and gets ahead of every bulk post still waiting. Each
# lane of a delivery books one slot ahead of its send, so this is kept above the lanes that can
# be waiting at once (two worker threads and the sweep, LANES each, are at most 12; rarely all).
RESERVE = 10
# The calls that look for a post whose outcome is unknown (`bot.delivery.reconcile`) are
# Slack's tier 3: about 50 a minute each, per workspace, short bursts allowed.
LOOKUP_RATES = {
    "conversations.history": 50 / 60,
    "conversations.replies": 50 / 60,
    "conversations.open": 50 / 60,
}
LOOKUP_BURST = 5
INTERACTIVE_WAIT = 30.0  # the longest an interactive post waits for its slot before trying
INTERACTIVE_TRIES = 4  # attempts of an interactive post that Slack keeps answering 429


class Pacer:
    """When each channel, the workspace's posts, and each method may next be called, as far as
    this process knows. One per process and workspace: every post the app makes goes through it,
    interactive (`bulk=False`) or bulk."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        rate: float = WORKSPACE_RATE,
        burst: int = WORKSPACE_BURST,
        reserve: int = RESERVE,
    ) -> None:
        self.monotonic = monotonic
        self.rate = rate
        self.burst = max(1, burst)
        self.reserve_slots = max(0, min(reserve, self.burst - 1))
        # The shape the burst and the reserve keep as the rate is learnt: seconds of posts.
        self._start_rate = rate
        self._burst_seconds = self.burst / rate
        self._reserve_seconds = max(0, reserve) / rate
        self._lock = threading.Lock()
        # What the estimate is learnt from: the posts Slack accepted since `_since`, when its
        # bucket was empty (a workspace-wide 429), or full (`_from_full`: the pacer's own
        # bucket had refilled, so nothing had been spent for a burst's time).
        self._since = 0.0
        self._from_full = True
        self._accepted = 0
        self._learnt = rate  # the last estimate; probing raises the rate above it
        self._probe = 0  # posts since the last raise or 429
        # Per channel, when its next post would be due at an even pace ("theoretical arrival
        # time"): a post may go up to BURST - 1 paces ahead of it. The same for the workspace.
        self._channel_due: dict[str, float] = {}
        self._workspace_due = 0.0
        self._method_free: dict[str, float] = {}
        self._lookup_due: dict[str, float] = {}
        self._last_limited: dict[str, tuple[str, float]] = {}

    def reserve(
        self, method: str, channel: str | None, *, bulk: bool = False, max_wait: float = MAX_WAIT
    ) -> float | None:
        """Seconds to wait before the call (the slot is then taken), or None when the wait
        would be longer than `max_wait` (nothing is taken)."""
        with self._lock:
            now = self.monotonic()
            start = self._start(method, channel, bulk, now)
            if start - now > max_wait:
                return None
            if method in POSTS:
                if self._workspace_due <= now - self._burst_seconds:
                    # Nothing sent for a burst's time after the bucket was full again: Slack's is
                    # full too (however small its burst), and the count starts from there.
                    self._since, self._from_full, self._accepted = now, True, 0
                self._accepted += 1  # counted back out if Slack answers 429 (`limited`)
                self._probe += 1
                if self._probe >= PROBE and self.rate < self._start_rate:
                    # The rate only: a burst larger than Slack's would be refused at once.
                    self.rate = min(self._start_rate, self.rate * RAISE)
                    self._probe = 0
                self._workspace_due = max(self._workspace_due, start) + 1 / self.rate
                if channel is not None:
                    due = max(now, self._channel_due.get(str(channel), 0.0))
                    self._channel_due[str(channel)] = max(due, start) + PACE
            rate = LOOKUP_RATES.get(method)
            if rate is not None:
                self._lookup_due[method] = max(self._lookup_due.get(method, 0.0), start) + 1 / rate
            return start - now

    def free_in(self, method: str, channel: str | None, *, bulk: bool = False) -> float:
        """Seconds until the channel (and the method) may be called again."""
        with self._lock:
            now = self.monotonic()
            return max(0.0, self._start(method, channel, bulk, now) - now)

    def _start(self, method: str, channel: str | None, bulk: bool, now: float) -> float:
        start = max(now, self._method_free.get(method, 0.0))
        rate = LOOKUP_RATES.get(method)
        if rate is not None:
            start = max(start, self._lookup_due.get(method, 0.0) - (LOOKUP_BURST - 1) / rate)
        if method in POSTS:
            # A bulk post leaves the last RESERVE slots of the burst to interactive ones.
            ahead = self.burst - 1 - (self.reserve_slots if bulk else 0)
            start = max(start, self._workspace_due - ahead / self.rate)
            if channel is not None:
                due = self._channel_due.get(str(channel), 0.0)
                start = max(start, due - (BURST - 1) * PACE)
        return start

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
            if method in POSTS:
                self._accepted = max(0, self._accepted - 1)  # this one was not
                self._probe = 0
                if self.rate > self._learnt:
                    # Probed too high: one step back, which is then the estimate (Slack took
                    # every post at it), and nothing more to learn from this 429.
                    self.rate = self._learnt = max(self._learnt, self.rate / RAISE)
                    across_channels = False
            if method in POSTS and across_channels:
                # The workspace's bucket is empty until `until`: Slack allows less than thought.
                self._learn(now)
                empty = until + (self.burst - 1) / self.rate
                self._workspace_due = max(self._workspace_due, empty)
            self._last_limited[method] = (channel or "", now)

    def _resize(self, rate: float) -> None:
        self.rate = rate
        self.burst = max(1, round(rate * self._burst_seconds))
        self.reserve_slots = max(0, min(round(rate * self._reserve_seconds), self.burst - 1))

    def _learn(self, now: float) -> None:
        """Slack's bucket is empty at `now`: estimate its rate from the posts it accepted since
        it was last empty (they are what it refilled) or full (then its burst, the same seconds'
        worth as ours, came first), and resize the burst and the reserve to it."""
        span = now - self._since + (self._burst_seconds if self._from_full else 0.0)
        accepted = self._accepted
        # Slack's bucket held less than one post's token when it refused: half of one more.
        estimate = (accepted + 0.5) / span if accepted and span > 0 else self.rate
        if accepted >= MEASURE and estimate < self.rate:
            rate = estimate
        else:  # too few to go by alone, or no lower than thought: at least the cut
            rate = min(estimate, self.rate * LEARN)
        self._resize(max(MIN_RATE, rate))
        self._learnt = self.rate
        self._since, self._from_full, self._accepted = now, False, 0
        log.warning(
            "workspace post rate lowered to %.2f a second (bursts of %d) after a 429",
            self.rate,
            self.burst,
        )


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """`client`, handing a 429 straight back: the delivery honours Retry-After itself, for that
    channel only, instead of sleeping inside the call while other channels could be served."""
    return _without(client, (RateLimitErrorRetryHandler,))


def without_blind_retries(client: WebClient) -> WebClient:
    """`client` with no retry of its own: a 429 comes back to be paced (as above), and a 5xx
    or a broken connection comes back too, since Slack may have made the post before failing
    and a blind repeat would post it twice (the delivery looks for it first)."""
    return _without(
        client,
        (RateLimitErrorRetryHandler, ServerErrorRetryHandler, ConnectionErrorRetryHandler),
    )


def _without(client: WebClient, kinds: tuple[type, ...]) -> WebClient:
    handlers = [h for h in client.retry_handlers if not isinstance(h, kinds)]
    if len(handlers) == len(client.retry_handlers):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = handlers
    return clone


class PacedClient(WebClient):
    """The Web API client listeners post with: each `chat.postMessage` takes an interactive
    slot of the process's `Pacer` (ahead of any broadcast) and a 429 is recorded there, so the
    delivery's bulk posts step aside instead of meeting the same limit."""

    def __init__(
        self, *args: Any, pacer: Pacer, sleep: Callable[[float], None] = time.sleep, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.sleep = sleep
        # A 429 comes back here, to be recorded in the pacer, rather than slept on in the call.
        self.retry_handlers = [
            h for h in self.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
        ]

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        if api_method != "chat.postMessage":
            return super().api_call(api_method, **kwargs)
        args = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        channel = args.get("channel")
        channel = str(channel) if channel else None
        for attempt in range(1, INTERACTIVE_TRIES + 1):
            wait = self.pacer.reserve(api_method, channel, max_wait=INTERACTIVE_WAIT)
            if wait:
                self.sleep(wait)
            try:
                return super().api_call(api_method, **kwargs)
            except SlackApiError as error:
                if error.response.status_code != 429 or attempt == INTERACTIVE_TRIES:
                    raise
                self.pacer.limited(api_method, channel, retry_after_of(error))
        raise AssertionError("unreachable")


def retry_after_of(error: SlackApiError) -> float:
    """Slack's Retry-After on a 429, in seconds (at least 1)."""
    headers = error.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return float(max(1, int(raw[0] if isinstance(raw, list) else raw)))
    except ValueError:
        return 1.0
