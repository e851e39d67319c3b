"""The figures the network is judged by: questions, requests and the weekly digest's numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the enum the counts are keyed by; never imported at run time
    from bot.models import Outcome


def percentile(values: list[float], pct: float) -> float | None:
    """The `pct` percentile by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class QuestionFigures:
    """Counts of questions by outcome and feedback since a date."""

    since: datetime | None
    total: int
    by_outcome: dict[Outcome, int]
    answered: int
    helpful: int
    not_helpful: int
    awaiting_curators: int
    top_entries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered_share(self) -> float:
        """The share of questions answered from the knowledge base."""
        return self.answered / self.total if self.total else 0.0


@dataclass(frozen=True)
class RequestFigures:
    """Requests since a date: how many, how fast they were taken and closed, and the outcome."""

    since: datetime | None
    total: int
    claimed: int
    resolved: int
    cancelled: int
    open: int
    sla_breaches: int
    claim_seconds: list[float]
    resolve_seconds: list[float]
    helped: int
    not_helped: int
    by_champion: dict[str, int] = field(default_factory=dict)

    def median_claim(self) -> float | None:
        """Median seconds from request to first claim."""
        return percentile(self.claim_seconds, 50)

    def p90_claim(self) -> float | None:
        """90th percentile seconds from request to first claim."""
        return percentile(self.claim_seconds, 90)

    def median_resolve(self) -> float | None:
        """Median seconds from request to resolution."""
        return percentile(self.resolve_seconds, 50)

    def p90_resolve(self) -> float | None:
        """90th percentile seconds from request to resolution."""
        return percentile(self.resolve_seconds, 90)


@dataclass(frozen=True)
class DigestFigures:
    """The network's week in numbers."""

    questions: int
    answered: int
    requests: int
    claimed: int
    median_claim_seconds: float | None
