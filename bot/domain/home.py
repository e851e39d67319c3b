"""What one person's App Home shows, gathered by the rules and rendered by the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.domain.broadcasts import Listed
from bot.domain.cpd import CpdRecord, Standing
from bot.domain.figures import Figures

if TYPE_CHECKING:  # the ORM rows these values carry; never imported at run time
    from bot.models import Member, Offer, Question, Request, Role


@dataclass(frozen=True)
class Workload:
    """What a champion has now: the requests they hold and the offers awaiting their answer.

    One count behind `/champion status`, App Home and routing's load limit.
    """

    held: list[Request] = field(default_factory=list)
    offered: list[tuple[Offer, Request]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Requests held plus offers awaiting an answer."""
        return len(self.held) + len(self.offered)


@dataclass(frozen=True)
class ChampionLoad:
    """One champion's availability and load, for leads."""

    member: Member
    available: bool
    load: int


@dataclass(frozen=True)
class Home:
    """Everything one person's App Home shows."""

    user_id: str
    role: Role
    recent_questions: list[Question]
    my_requests: list[Request]
    member: Member | None = None
    available: bool = False
    # whether the person is routed requests, so has an availability to set: champions only
    routed: bool = False
    workload: Workload = field(default_factory=Workload)
    queue: list[Request] = field(default_factory=list)
    champions: list[ChampionLoad] = field(default_factory=list)
    scheduled_broadcasts: list[Listed] = field(default_factory=list)
    recent_broadcasts: list[Listed] = field(default_factory=list)
    figures: Figures | None = None
    # a champion's own CPD record; for leads, where every champion stands on CPD
    cpd: CpdRecord | None = None
    cpd_standings: list[Standing] | None = None
    cpd_required: float = 0.0
