"""The impact report's values: the period's figures, month by month, the knowledge base's gaps,
and the small-number rule that keeps any one case from being picked out of them.

Every figure is drawn from `Figures` (the computation behind `/champbot stats` and App Home);
this module only adds what a printed report needs beside them, and decides what may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.figures import Figures

# Shown as the topic of a question that no entry came close to.
NO_CLOSE_ENTRY = "no close entry"


@dataclass(frozen=True)
class Disclosure:
    """The small-number rule: a count of 1 to `min_count - 1` is never shown, nor any figure
    worked out from so few (a share of them, a median of their times), so that no case, officer
    or champion can be recognised from the report. Zero is shown: it points at nobody."""

    min_count: int = 5

    def count(self, n: int) -> bool:
        """Whether the count `n` may be shown."""
        return n == 0 or n >= self.min_count

    def part(self, part: int, whole: int) -> bool:
        """Whether `part` of a total `whole` that the report also shows may be shown, as a count
        or as a share: the part, what is left of the whole, and the whole must each be shown
        (else the hidden one is the difference of two that are)."""
        return whole >= self.min_count and self.count(part) and self.count(whole - part)

    def measure(self, samples: int) -> bool:
        """Whether a median or percentile of `samples` times may be shown."""
        return samples >= self.min_count

    def hidden(self, counts: list[int]) -> set[int]:
        """The positions of `counts` (parts of one total, all shown together) to hide: every
        small count, and where exactly one is small, the next smallest beside it, so that the
        hidden one cannot be worked out from the total."""
        small = {i for i, n in enumerate(counts) if not self.count(n)}
        if len(small) == 1:
            rest = sorted((n, i) for i, n in enumerate(counts) if i not in small and n > 0)
            if rest:
                small.add(rest[0][1])
        return small


@dataclass(frozen=True)
class Month:
    """One calendar month's figures (in the report's zone), clipped to the report's period."""

    start: date
    figures: Figures
    officers_asked: int = 0
    officers_helped: int = 0


@dataclass(frozen=True)
class Gap:
    """A topic officers asked about that the knowledge base does not cover well: questions it
    had no answer for, and answers officers said did not help. A topic is a knowledge entry's
    tag (never anything an officer typed)."""

    topic: str
    not_covered: int = 0
    not_helpful: int = 0

    @property
    def total(self) -> int:
        return self.not_covered + self.not_helpful


@dataclass(frozen=True)
class ImpactReport:
    """Everything the printed report and the monthly summary show, for [since, until)."""

    network_name: str
    since: datetime
    until: datetime
    zone: str
    generated_at: datetime
    figures: Figures
    officers_asked: int
    officers_helped: int
    months: list[Month] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    disclosure: Disclosure = field(default_factory=Disclosure)

    @property
    def sla_met(self) -> int:
        """Requests that never went past their claim SLA."""
        r = self.figures.requests
        return r.total - r.sla_breaches
