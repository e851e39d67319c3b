"""The figures the network is judged by: questions, requests and the weekly digest's numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the enum the counts are keyed by; never imported at run time
    from bot.models import Outcome


# The period `/champbot stats` and App Home show.
FIGURES_DAYS = 30


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
    """Requests since a date: where each stands now, how fast they reached a champion and were
    closed, and what officers said of the advice.

    Every request is in exactly one state (`waiting`, `with_champion`, `resolved`, `cancelled`),
    so the four add up to `total`; `reached_champion` counts those a champion ever took, in any
    state since.
    """

    since: datetime | None
    total: int
    waiting: int
    with_champion: int
    resolved: int
    cancelled: int
    reached_champion: int
    sla_breaches: int
    claim_seconds: list[float]
    resolve_seconds: list[float]
    helped: int
    not_helped: int
    by_champion: dict[str, int] = field(default_factory=dict)

    @property
    def states(self) -> dict[str, int]:
        """The four states in the order people read them, each request counted once."""
        return {
            "waiting": self.waiting,
            "with a champion": self.with_champion,
            "resolved": self.resolved,
            "cancelled": self.cancelled,
        }

    @property
    def helped_share(self) -> float | None:
        """The share of officers who said the advice helped, of those who said either way."""
        said = self.helped + self.not_helped
        return self.helped / said if said else None

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
class Figures:
    """The network's figures over one period [since, until): what every surface renders."""

    since: datetime | None
    until: datetime | None
    questions: QuestionFigures
    requests: RequestFigures


def pseudonym(index: int) -> str:
    """A stable stand-in name for the champion at `index` in roster order: "Champion A", … "Z",
    "Champion AA"…, for surfaces that cannot ask Slack for names."""
    letters = ""
    n = index
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n = n // 26 - 1
        if n < 0:
            return f"Champion {letters}"


@dataclass(frozen=True)
class DigestFigures:
    """The network's week in numbers."""

    questions: int
    answered: int
    requests: int
    claimed: int
    median_claim_seconds: float | None
