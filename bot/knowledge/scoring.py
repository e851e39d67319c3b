"""How sure the search is that an entry answers a question: a confidence in [0, 1]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

Pair = tuple[str, str]


@dataclass(frozen=True)
class Query:
    """A question as the engine sees it: its terms (in order, once each), their weights (idf;
    words no entry uses weigh most), and its pairs of neighbouring terms."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    pairs: frozenset[Pair]
    termset: frozenset[str] = field(init=False)
    total: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "termset", frozenset(self.terms))
        object.__setattr__(self, "total", sum(self.weights.values()))


def make_query(terms: Sequence[str], weights: Mapping[str, float]) -> Query:
    """A Query from analysed terms and a weight for each."""
    ordered = dict.fromkeys(terms)
    return Query(
        terms=tuple(ordered),
        weights={t: weights[t] for t in ordered},
        pairs=frozenset(pairwise(terms)),
    )


@dataclass(frozen=True)
class Phrasing:
    """One way an entry is asked (its title or one of its questions), ready to compare."""

    terms: frozenset[str]
    weight: float
    pairs: frozenset[Pair]


@dataclass(frozen=True)
class Profile:
    """What the confidence needs of an entry: its phrasings, and the terms of its title,
    questions and tags together (a match there counts fully, one in the body only partly)."""

    phrasings: tuple[Phrasing, ...]
    head: frozenset[str]


def profile(
    phrasings: Sequence[Sequence[str]], tags: Sequence[str], idf: Mapping[str, float]
) -> Profile:
    """The Profile of an entry from its analysed phrasings and tags."""
    parts = tuple(
        Phrasing(
            terms=frozenset(p),
            weight=sum(idf.get(t, 0.0) for t in set(p)),
            pairs=frozenset(pairwise(p)),
        )
        for p in phrasings
        if p
    )
    head = frozenset(tags).union(*(p.terms for p in parts))
    return Profile(phrasings=parts, head=head)


@dataclass(frozen=True)
class ConfidenceWeights:
    """How the confidence is made: the share of the question's weight the entry holds
    (`coverage`), how well its best phrasing matches the question (`phrasing`, an F-measure
    leaning on recall), and the share of the question's neighbouring pairs in that phrasing
    (`pairs`). A term only in the body counts `body_only` of one in a phrasing or tag."""

    coverage: float = 0.5
    phrasing: float = 0.4
    pairs: float = 0.1
    body_only: float = 0.6
    beta: float = 1.5


def coverage(query: Query, entry: Profile, held: Sequence[str], body_only: float) -> float:
    """The share of the query's weight the entry holds, a term only in the body counting
    `body_only` of one in a phrasing or tag."""
    qw, head = query.weights, entry.head
    matched = 0.0
    for term in held:
        matched += qw[term] if term in head else qw[term] * body_only
    return matched / query.total if query.total > 0 else 0.0


def upper_bound(
    query: Query, entry: Profile, held: Sequence[str], weights: ConfidenceWeights
) -> tuple[float, float]:
    """(coverage, the most `confidence` could be for this entry): no phrasing can share
    more of the query than the entry's title, questions and tags hold, so the phrasing score
    is bounded by its value at that recall with perfect precision."""
    total = query.total
    if total <= 0.0:
        return 0.0, 0.0
    qw, head = query.weights, entry.head
    in_head = 0.0
    for term in held:
        if term in head:
            in_head += qw[term]
    cover = coverage(query, entry, held, weights.body_only)
    recall = in_head / total
    beta2 = weights.beta * weights.beta
    f = (1 + beta2) * recall / (beta2 + recall) if recall > 0 else 0.0
    pairs = 1.0 if recall > 0 and query.pairs else 0.0
    return cover, weights.coverage * cover + weights.phrasing * f + weights.pairs * pairs


def confidence(
    query: Query,
    entry: Profile,
    held: Sequence[str],
    weights: ConfidenceWeights,
    cover: float | None = None,
) -> float:
    """How sure we are that the entry answers the query; `held` are the query's terms that
    the entry contains anywhere (title, questions, tags or body); `cover` is their coverage
    if already worked out."""
    total = query.total
    if total <= 0.0:
        return 0.0
    if cover is None:
        cover = coverage(query, entry, held, weights.body_only)
    qw = query.weights
    best = 0.0
    best_pairs = 0
    beta2 = weights.beta * weights.beta
    qset, qpairs = query.termset, query.pairs
    for phrasing in entry.phrasings:
        if qset.isdisjoint(phrasing.terms):
            continue
        shared = sum(map(qw.__getitem__, qset & phrasing.terms))
        recall = shared / total
        precision = shared / phrasing.weight if phrasing.weight > 0 else 0.0
        f = (1 + beta2) * precision * recall / (beta2 * precision + recall)
        if f > best:
            best = f
        if qpairs:
            n = len(qpairs & phrasing.pairs)
            if n > best_pairs:
                best_pairs = n
    pair_share = best_pairs / len(qpairs) if qpairs else 0.0
    return weights.coverage * cover + weights.phrasing * best + weights.pairs * pair_share
