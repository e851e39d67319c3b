"""The pacer learns a workspace's post allowance from Slack's answers: against a token bucket
like Slack's (the emulation's own), a broadcast meets a handful of 429s and then goes at the
allowance, its burst and the reserve kept for answers shrunk to match."""

from __future__ import annotations

import pytest

from bot.delivery.pacing import RESERVE, WORKSPACE_BURST, WORKSPACE_RATE, Pacer
from bot.emulator.limits import RateLimiter

POST = "chat.postMessage"
LATENCY = 0.02  # seconds each call takes


def _broadcast(per_minute: float, burst: int, posts: int) -> tuple[int, float, Pacer]:
    """Send `posts` bulk posts, each to its own channel, one lane at a time, through a pacer
    against a workspace-wide token bucket; a refused post goes to the back of the queue, as
    the delivery gives it back. The 429s met, when the last post was accepted, and the pacer."""
    now = [0.0]
    slack = RateLimiter(lambda: now[0])
    slack.limit_method(POST, per_minute=per_minute, burst=burst)
    pacer = Pacer(lambda: now[0])
    queue = [f"D{n:03d}" for n in range(posts)]
    limited = 0
    last = 0.0
    while queue:
        channel = queue.pop(0)
        wait = pacer.reserve(POST, channel, bulk=True, max_wait=3600)
        assert wait is not None
        now[0] += wait
        retry_after = slack.check(POST, channel)
        now[0] += LATENCY
        if retry_after is None:
            last = now[0]
            continue
        limited += 1
        pacer.limited(POST, channel, retry_after)
        queue.append(channel)
    return limited, last, pacer


@pytest.mark.parametrize(
    ("per_minute", "burst", "most_429s", "slack"),
    [
        (60, 6, 10, 1.02),  # a small workspace (the national benchmark's): within 2%
        (60, 2, 10, 1.10),  # a smaller burst than the pacer's shape assumes
        (60, 1, 15, 1.20),  # no burst at all: the pacer's burst meets a 429 each time it refills
    ],
)
def test_the_pacer_converges_on_a_small_allowance_within_a_few_429s(
    per_minute: float, burst: int, most_429s: int, slack: float
) -> None:
    posts = 60
    limited, last, pacer = _broadcast(per_minute, burst, posts)
    bound = (posts - burst) / (per_minute / 60)
    assert limited <= most_429s
    assert last <= bound * slack + 1.0
    assert pacer.rate == pytest.approx(per_minute / 60, rel=0.3)


def test_the_burst_and_the_reserve_shrink_with_the_learnt_rate() -> None:
    _, _, pacer = _broadcast(60, 6, 30)
    # Learnt: about a post a second, so about six seconds' worth of burst (the shape the pacer
    # starts with: 60 at 10 a second), and a reserve for answers of one second's worth, not the
    # ten slots (ten seconds at this rate) it starts with.
    assert pacer.rate < WORKSPACE_RATE / 5
    assert pacer.burst <= round(pacer.rate * WORKSPACE_BURST / WORKSPACE_RATE) + 1
    assert pacer.reserve_slots <= max(1, round(pacer.rate * RESERVE / WORKSPACE_RATE))
    # An answer still goes ahead of every bulk post waiting.
    bulk = pacer.free_in(POST, "DBULK", bulk=True)
    assert pacer.free_in(POST, "DOFFICER") <= bulk


def test_a_workspace_that_allows_the_default_is_never_slowed() -> None:
    limited, last, pacer = _broadcast(600, 60, 51)
    assert limited == 0 and pacer.rate == WORKSPACE_RATE
    assert last < 51 * LATENCY + 0.01
