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
    outcomes: OutcomeFigures = field(default_factory=lambda: OutcomeFigures())
    cpd: CpdFigures = field(default_factory=lambda: CpdFigures())


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


def share(part: int, whole: int) -> float | None:
    """`part` as a share of `whole`; None when there is nothing to share out."""
    return part / whole if whole else None


@dataclass(frozen=True)
class OutcomeFigures:
    """What consults resolved in a period advised, from the champions' picks (never from the
    outcome's text, so the figures survive its purge), and what officers said it changed.

    Every count is of consults; `resolved` is the whole each is a share of. `recorded` counts
    consults with at least one pick.
    """

    resolved: int = 0
    recorded: int = 0
    stalking_offence: int = 0  # s2A or s4A advised
    harassment_only: int = 0  # s2 or s4 advised, and no stalking offence
    other_offence: int = 0
    no_offence_yet: int = 0
    spo_applied: int = 0
    spo_recommended: int = 0
    spo_not_suitable: int = 0
    arrest_advised: int = 0
    already_arrested: int = 0
    risk_assessment: int = 0
    risk_escalated: int = 0
    marac: int = 0
    referral_isac: int = 0
    referral_helpline: int = 0
    referral_paladin: int = 0
    changed_practice: int = 0  # officers who said the advice changed what they did
    unchanged_practice: int = 0  # … and who said it did not

    @property
    def spo_applied_or_recommended(self) -> int:
        """Consults where an SPO was applied for or recommended."""
        return self.spo_applied + self.spo_recommended

    @property
    def referred(self) -> dict[str, int]:
        """Consults referred on, by where to."""
        return {
            "ISAC or advocacy service": self.referral_isac,
            "National Stalking Helpline": self.referral_helpline,
            "Paladin": self.referral_paladin,
        }

    def of_resolved(self, count: int) -> float | None:
        """`count` as a share of the consults resolved."""
        return share(count, self.resolved)

    @property
    def changed_share(self) -> float | None:
        """The share of officers who said the advice changed what they did, of those who said."""
        return share(self.changed_practice, self.changed_practice + self.unchanged_practice)


@dataclass(frozen=True)
class CpdFigures:
    """Champions' CPD compliance on one day: how many meet the yearly requirement."""

    required_hours: float = 0.0
    champions: int = 0
    met: int = 0  # meeting it, and not due within the reminder period
    due_soon: int = 0  # meeting it, due within the reminder period
    behind: int = 0  # fewer hours in the last twelve months than required
    none_recorded: int = 0  # no CPD recorded at all

    @property
    def compliant(self) -> int:
        """Champions meeting the requirement today."""
        return self.met + self.due_soon

    @property
    def compliance(self) -> float | None:
        """The share of champions meeting the requirement today."""
        return share(self.compliant, self.champions)
