"""What a search finds and how a question is triaged: the values `KnowledgeBase` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from bot.knowledge.entries import Entry
from bot.knowledge.scoring import Query

if TYPE_CHECKING:
    from bot.knowledge.encoder import Vectors

TriageKind = Literal["answered", "live_case", "not_covered", "off_topic", "greeting"]


class Hit(NamedTuple):
    """An entry found for a question; `score` is a confidence in [0, 1] that it answers it,
    `raw` the match score it is calibrated from (how far apart two hits are)."""

    entry: Entry
    score: float
    raw: float = 0.0


@dataclass(frozen=True)
class Triage:
    """Which case a question is (answered, live case, not covered, off topic, or a greeting),
    with the entries to show beside it: `second`, an entry that answers what the best one
    leaves out of the question; `also`, a close runner-up to offer one tap away."""

    kind: TriageKind
    hits: list[Hit]
    best: Hit | None
    immediate_risk: bool
    second: Hit | None = None
    also: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class Assessment:
    """What `triage` weighs: the ranked hits, how on-topic the words are, the case signals."""

    hits: list[Hit]
    topic: float
    live_case: bool
    immediate_risk: bool
    query: Query  # the analysed question, to rank deeper without analysing it again
    vector: Vectors | None  # and its encoding (None: words only)
    greeting: bool = False  # it only greets, thanks or asks what the bot does
    elsewhere: bool = False  # it names another part of policing and nothing of the subject
    joined: bool = False  # it joins two asks ("and", "or", "vs"): two entries may answer it


__all__ = ["Assessment", "Hit", "Triage", "TriageKind"]
