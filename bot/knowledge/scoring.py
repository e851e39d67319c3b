"""How sure the search is that an entry answers a question: a confidence in [0, 1]."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count, pairwise, repeat
from operator import add, truediv

Pair = tuple[str, str]


@dataclass(frozen=True)
class Query:
    """A question as the engine sees it: its terms (in order, once each), their weights (idf;
    words no entry uses weigh most), and its pairs of neighbouring terms."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    pairs: frozenset[Pair]
    guessed: frozenset[str] = frozenset()  # terms put in by typo correction
    termset: frozenset[str] = field(init=False)
    total: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "termset", frozenset(self.terms))
        object.__setattr__(self, "total", sum(self.weights.values()))


def make_query(
    terms: Sequence[str], weights: Mapping[str, float], guessed: frozenset[str] = frozenset()
) -> Query:
    """A Query from analysed terms and a weight for each (`guessed`: those typo correction put
    in)."""
    ordered = dict.fromkeys(terms)
    return Query(
        terms=tuple(ordered),
        weights={t: weights[t] for t in ordered},
        pairs=frozenset(pairwise(terms)),
        guessed=guessed,
    )


def lacking(query: Query, number: int, postings: Mapping[str, Mapping[int, float]]) -> float:
    """The share of the query's weight in terms that other entries use and entry `number` does
    not (a word no entry uses, or one typo correction guessed, says little about which entry
    answers, and the sentence model may still match its meaning)."""
    if query.total <= 0:
        return 1.0
    guessed = query.guessed
    missing = sum(
        w
        for t, w in query.weights.items()
        if t in postings and number not in postings[t] and t not in guessed
    )
    return missing / query.total


@dataclass(frozen=True)
class Profile:
    """What the confidence needs of an entry: the terms of its title, questions and tags
    together (`head`: a match there counts fully, one only in the body partly), and its
    distinct phrasings (title and questions): for each head term the phrasings holding it
    (`where`), each phrasing's summed idf (`weights`) and its pairs of neighbouring terms."""

    head: frozenset[str]
    where: dict[str, tuple[int, ...]]
    weights: tuple[float, ...]
    pairs: tuple[frozenset[Pair], ...]
    summary: frozenset[str] = frozenset()
    lightest: float = 0.0  # the smallest weight of any phrasing


def profile(
    phrasings: Sequence[Sequence[str]],
    tags: Sequence[str],
    idf: Mapping[str, float],
    summary: Sequence[str] = (),
) -> Profile:
    """The Profile of an entry from its analysed phrasings, tags and first paragraph."""
    distinct: dict[tuple[frozenset[str], frozenset[Pair]], None] = {}
    for p in phrasings:
        if p:
            distinct[frozenset(p), frozenset(pairwise(p))] = None
    where: dict[str, list[int]] = {}
    for i, (terms, _) in enumerate(distinct):
        for term in terms:
            where.setdefault(term, []).append(i)
    weights = tuple(sum(idf.get(t, 0.0) for t in terms) for terms, _ in distinct)
    return Profile(
        head=frozenset(tags).union(where),
        where={t: tuple(i) for t, i in where.items()},
        weights=weights,
        pairs=tuple(pairs for _, pairs in distinct),
        summary=frozenset(summary),
        lightest=min(weights, default=0.0),
    )


@dataclass(frozen=True)
class ConfidenceWeights:
    """How the confidence is made: the share of the question's weight the entry holds
    (`coverage`), how well its best phrasing matches the question (`phrasing`, an F-measure
    leaning on recall), and the share of the question's neighbouring pairs in that phrasing
    (`pairs`). A term only in the body counts `body_only` of one in a phrasing or tag, one in
    the answer's first paragraph `summary_only`. The
    entry's BM25F score relative to the best candidate's, times `bm25`, is added to rank
    entries but is no part of the confidence reported."""

    coverage: float = 0.55
    phrasing: float = 0.4
    pairs: float = 0.05
    body_only: float = 0.35
    summary_only: float = 0.7
    beta: float = 1.0
    bm25: float = 0.05


def rerank(
    query: Query,
    top: Sequence[tuple[int, float]],
    limit: int,
    profiles: Sequence[Profile],
    columns: Sequence[tuple[str, Mapping[int, float]]],
    weights: ConfidenceWeights,
) -> list[tuple[float, int]]:
    """The `limit` most confident of `top` (entry numbers with their BM25F scores) as
    (confidence, entry number), best first. `columns` are the postings of the query's terms.

    The confidence is `weights.coverage` x the share of the query's weight the entry holds
    + `weights.phrasing` x the F-measure of its best phrasing against the query
    + `weights.pairs` x the share of the query's neighbouring pairs in that best phrasing.
    With S the query weight a phrasing shares, T the query's weight and W the phrasing's, the
    F-measure is (1 + b²) S / (b² T + W); as W is at least S and at least the entry's lightest
    phrasing, and S is at most what the entry's title, questions and tags hold, each entry's
    confidence has a cheap upper bound, and entries are scored in order of it until none
    left can reach the `limit`-th best."""
    total = query.total
    if total <= 0.0 or not top:
        return []
    qw, qpairs = query.weights, query.pairs
    npairs = len(qpairs)
    c_cover, c_phrase, c_pairs = weights.coverage, weights.phrasing, weights.pairs
    c_bm25 = weights.bm25
    body_only, summary_only = weights.body_only, weights.summary_only
    beta2 = weights.beta * weights.beta
    k = 1.0 + beta2
    scale = beta2 * total
    best_bm25 = top[0][1] or 1.0
    bounded: list[tuple[float, float, float, int, list[str]]] = []
    for d, bm25 in top:
        entry = profiles[d]
        head, summary = entry.head, entry.summary
        in_head = in_summary = in_body = 0.0
        asked: list[str] = []
        for term, column in columns:
            if d in column:
                if term in head:
                    in_head += qw[term]
                    asked.append(term)
                elif term in summary:
                    in_summary += qw[term]
                else:
                    in_body += qw[term]
        cover = (in_head + in_summary * summary_only + in_body * body_only) / total
        tie = c_bm25 * bm25 / best_bm25  # ranks, but is no part of the confidence
        bound = c_cover * cover + tie
        if in_head > 0.0:
            # F = k S / (scale + W) grows with S <= in_head, and W >= max(S, lightest)
            lightest = entry.lightest if entry.lightest > in_head else in_head
            bound += c_phrase * k * in_head / (scale + lightest)
            if npairs and len(asked) > 1:
                bound += c_pairs
        bounded.append((bound, cover, tie, d, asked))
    bounded.sort(key=lambda b: -b[0])
    found: list[tuple[float, float, int]] = []
    floor: list[float] = []  # min-heap of the `limit` best totals so far
    for bound, cover, tie, d, asked in bounded:
        if len(floor) >= limit and bound <= floor[0]:
            break
        sure = c_cover * cover
        entry = profiles[d]
        if asked and entry.weights:  # some of the query is in a phrasing: find the best one
            shared = [0.0] * len(entry.weights)
            where = entry.where
            for term in asked:
                w = qw[term]
                for i in where.get(term, ()):
                    shared[i] += w
            denominators = map(add, entry.weights, repeat(scale))
            f, i = max(zip(map(truediv, shared, denominators), count()))
            sure += c_phrase * k * f
            if npairs and f > 0.0:
                sure += c_pairs * len(qpairs & entry.pairs[i]) / npairs
        found.append((sure + tie, sure, d))
        if len(floor) < limit:
            heapq.heappush(floor, sure + tie)
        elif sure + tie > floor[0]:
            heapq.heapreplace(floor, sure + tie)
    found.sort(key=lambda r: (-r[0], r[2]))
    return [(sure, d) for _, sure, d in found[:limit]]
