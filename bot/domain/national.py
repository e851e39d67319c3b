"""What national leads see: every force side by side, and the nation's totals."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.figures import Figures, percentile


@dataclass(frozen=True)
class ForceFigures:
    """One force's figures; `left` when the app has been uninstalled there."""

    team_id: str
    figures: Figures
    left: bool = False


@dataclass(frozen=True)
class NationalFigures:
    """Each force's figures, and the nation's (time to a champion over every request)."""

    forces: list[ForceFigures]

    @property
    def questions(self) -> int:
        return sum(f.figures.questions.total for f in self.forces)

    @property
    def requests(self) -> int:
        return sum(f.figures.requests.total for f in self.forces)

    @property
    def resolved(self) -> int:
        return sum(f.figures.requests.resolved for f in self.forces)

    @property
    def answered(self) -> int:
        return sum(f.figures.questions.answered for f in self.forces)

    def median_claim(self) -> float | None:
        every = [s for f in self.forces for s in f.figures.requests.claim_seconds]
        return percentile(every, 50)


@dataclass(frozen=True)
class ForceAcks:
    """One force's copy of a national broadcast: its champions who have acknowledged."""

    team_id: str
    acked: int
    total: int
    posted: bool  # False: the force has no network channel, so nothing was posted there


@dataclass(frozen=True)
class NationalAcks:
    """A national broadcast's acknowledgements, per force and nationally."""

    national_id: int
    title: str
    forces: list[ForceAcks]

    @property
    def acked(self) -> int:
        return sum(f.acked for f in self.forces)

    @property
    def total(self) -> int:
        return sum(f.total for f in self.forces)


@dataclass(frozen=True)
class NationalReach:
    """Where a national broadcast would go: the forces with a network channel, and their
    champions (for the preview)."""

    forces: int
    champions: int
