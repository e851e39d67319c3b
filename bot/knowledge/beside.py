"""What to show beside an answer: a second entry that answers the rest, a close runner-up."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.knowledge.entries import Entry
from bot.knowledge.scoring import Query

if TYPE_CHECKING:
    from bot.knowledge.search import Hit

# Words that join two asks in one question: only then may a second entry answer the rest.
_JOINED = re.compile(r"\b(?:and|or|n|vs|versus|plus|both|as well as|compared)\b|[&+/;]", re.I)

# ... except in names that are one thing ("England and Wales", "stalking and harassment").
_PAIRS = re.compile(
    r"\b(?:england and wales|stalking (?:and|or|n) harassment|harassment (?:and|or|n) stalking|"
    r"alarm (?:or|and) distress|domestic abuse and stalking|either way)\b",
    re.I,
)


def joins_two_asks(text: str) -> bool:
    """Whether the question joins two asks ("and", "or", "vs"), not counting fixed pairs."""
    return bool(_JOINED.search(_PAIRS.sub(" ", text)))


def adds(query: Query, head_best: frozenset[str], head_other: frozenset[str]) -> float:
    """The share of the question's weight that the other entry holds in its title, phrasings
    or tags and the best does not: what it adds towards answering the whole question."""
    if query.total <= 0:
        return 0.0
    added = sum(w for t, w in query.weights.items() if t in head_other and t not in head_best)
    return added / query.total


def beside(
    query: Query,
    best: Hit,
    hits: Sequence[Hit],
    *,
    heads: Callable[[Entry], frozenset[str]],
    close: float,
    joined: bool,
    margins: tuple[float, float, float],
) -> tuple[Hit | None, tuple[Hit, ...]]:
    """The entry that answers the rest of a question that `joined` two asks, and a close
    runner-up to offer. `margins` are (also, second, share): a runner-up within `also` of the
    best (raw scores) is offered; one within `second` that adds at least `share` of the
    question's weight is shown whole. Hits below `close` are neither."""
    also_margin, second_margin, second_share = margins
    second: Hit | None = None
    also: list[Hit] = []
    for hit in hits[1:3]:
        if hit.score < close:
            continue
        gap = best.raw - hit.raw
        if (
            second is None
            and joined
            and gap <= second_margin
            and adds(query, heads(best.entry), heads(hit.entry)) >= second_share
        ):
            second = hit
        elif gap <= also_margin and not also:
            also.append(hit)
    return second, tuple(also)
