"""Delivery of the outbox to Slack: the sender, its pacing, and a worker per process."""

from bot.delivery.pacing import (
    BURST,
    MAX_WAIT,
    PACE,
    POSTS,
    RESERVE,
    PacedClient,
    Pacer,
    without_rate_limit_retries,
)
from bot.delivery.rows import CLAIM_FOR, MAX_ATTEMPTS, Outcome
from bot.delivery.sender import BUDGET, LANES, PERMANENT, Delivery
from bot.delivery.worker import DeliveryWorker

__all__ = [
    "BUDGET",
    "BURST",
    "CLAIM_FOR",
    "LANES",
    "MAX_ATTEMPTS",
    "MAX_WAIT",
    "PACE",
    "PERMANENT",
    "POSTS",
    "RESERVE",
    "Delivery",
    "DeliveryWorker",
    "Outcome",
    "PacedClient",
    "Pacer",
    "without_rate_limit_retries",
]
