"""An inverted index with BM25F weights computed once per (term, entry), and a fast top-k."""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, ge

from bot.knowledge.bitsets import bitset, count_planes, members, with_count

FIELDS = ("title", "questions", "tags", "body")


@dataclass(frozen=True)
class FieldWeights:
    """BM25F: how much a match in each field counts, and how much each field's length matters.
    A term in the title or in a phrasing of the question counts three times one in the body."""

    title: float = 3.0
    questions: float = 3.0
    tags: float = 2.0
    body: float = 1.0
    b_title: float = 0.3
    b_questions: float = 0.5
    b_tags: float = 0.0
    b_body: float = 0.75
    k1: float = 1.2


class InvertedIndex:
    """Postings per term, kept twice: as a dict from entry number to weight (for lookups and
    for scoring many entries at C speed with `map`), and as entry numbers ordered by weight,
    highest first (so a query can stop early). A query touches only its own terms' postings.

    `top` scores the `depth` highest-weighted entries of each term on all the query's terms,
    and stops if no entry not yet met can beat the k-th best (Fagin's threshold test: exact).
    If the test fails, it scores every posting when they are few (exact); on a large index
    whose entries all use the query's words, it adds the entries that hold the most of the
    query's distinctive terms and returns the best of all those: not provably exact, but the
    entries a reranking by coverage and phrasing would pick."""

    def __init__(
        self,
        documents: Sequence[Mapping[str, Sequence[str]]],
        weights: FieldWeights | None = None,
        *,
        exhaustive_limit: int = 2000,
        depth: int = 24,
        conjunctive_cap: int = 256,
    ) -> None:
        w = weights or FieldWeights()
        self.weights = w
        self.exhaustive_limit = exhaustive_limit
        self.depth = depth
        self.conjunctive_cap = conjunctive_cap
        self.size = n = len(documents)
        field_weight = dict(zip(FIELDS, (w.title, w.questions, w.tags, w.body), strict=True))
        field_b = dict(zip(FIELDS, (w.b_title, w.b_questions, w.b_tags, w.b_body), strict=True))
        avg = {
            f: (sum(len(d.get(f, ())) for d in documents) / n if n else 0.0) or 1.0 for f in FIELDS
        }
        # pseudo term frequency of each term in each document, weighted by field and length
        raw: dict[str, dict[int, float]] = {}
        for number, doc in enumerate(documents):
            for f in FIELDS:
                terms = doc.get(f, ())
                if not terms:
                    continue
                norm = field_weight[f] / (1.0 - field_b[f] + field_b[f] * len(terms) / avg[f])
                for term in terms:
                    postings = raw.get(term)
                    if postings is None:
                        raw[term] = {number: norm}
                    else:
                        postings[number] = postings.get(number, 0.0) + norm
        self.idf: dict[str, float] = {}
        self.postings: dict[str, dict[int, float]] = {}
        self._ordered: dict[str, tuple[array[int], array[float]]] = {}
        k1 = w.k1
        for term, tfs in raw.items():
            idf = self.idf_for(len(tfs))
            self.idf[term] = idf
            scale = idf * (k1 + 1.0)
            impacts = {d: scale * v / (v + k1) for d, v in tfs.items()}
            self.postings[term] = impacts
            ordered = sorted(impacts.items(), key=lambda p: -p[1])
            self._ordered[term] = (
                array("i", [d for d, _ in ordered]),
                array("d", [s for _, s in ordered]),
            )
        self.unknown_idf = self.idf_for(0)
        # Bitsets of the entries holding each distinctive term, for large indexes only.
        self._everyone = (1 << n) - 1
        self._bits: dict[str, int] = {}
        if n > exhaustive_limit:
            for term, impacts in self.postings.items():
                if 1 < len(impacts) <= n // 2:
                    self._bits[term] = bitset(impacts, n)

    def idf_for(self, df: int) -> float:
        """BM25's inverse document frequency for a term found in `df` entries."""
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def __contains__(self, term: object) -> bool:
        return term in self.postings

    def document_frequency(self, term: str) -> int:
        """How many entries hold `term`."""
        postings = self.postings.get(term)
        return len(postings) if postings else 0

    def impact(self, term: str, doc: int) -> float:
        """The BM25F weight of `term` in entry number `doc` (0 if absent)."""
        postings = self.postings.get(term)
        return postings.get(doc, 0.0) if postings else 0.0

    def top(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best entries for `terms` as (entry number, BM25F score), best first."""
        present = [t for t in dict.fromkeys(terms) if t in self.postings]
        if not present or k <= 0:
            return []
        columns = [self.postings[t] for t in present]
        ordered = [self._ordered[t] for t in present]
        depth = max(self.depth, k)
        candidates: set[int] = set()
        for docs, _ in ordered:
            candidates.update(docs[:depth])
        best = _best(candidates, columns, k)
        unseen_bound = sum(imps[depth] for _, imps in ordered if depth < len(imps))
        if len(best) == k and best[-1][1] >= unseen_bound:
            return best  # no entry not yet met can beat the k-th best: exact
        if sum(map(len, columns)) <= self.exhaustive_limit:
            return _best(set().union(*columns), columns, k)  # every posting: exact
        extra = self._most_terms(present, k) - candidates
        if not extra:
            return best
        return _best(extra, columns, k, best)

    def _most_terms(self, terms: list[str], k: int) -> set[int]:
        """The entries holding the most of the query's distinctive terms (those in under half
        the entries), at most `conjunctive_cap` of them, counted with bit-sliced adders over
        whole-index bitsets instead of entry by entry."""
        sets = [self._bits[t] for t in terms if t in self._bits]
        if not sets:
            return set()
        planes = count_planes(sets)
        found: list[int] = []
        for count in range(len(sets), 0, -1):
            group = with_count(planes, count, self._everyone)
            size = group.bit_count()
            if size == 0:
                continue
            if len(found) + size > self.conjunctive_cap:
                break
            found.extend(members(group, self.size))
            if len(found) >= k:
                break
        return set(found)


def _best(
    candidates: set[int],
    columns: list[dict[int, float]],
    k: int,
    also: list[tuple[int, float]] | None = None,
) -> list[tuple[int, float]]:
    """The k best of `candidates` (and of `also`, already scored) on every term's postings;
    the sums, the cut-off and the selection are all C-level (map, sorted, compress), with no
    Python loop per entry."""
    found = list(candidates)
    summed = map(columns[0].get, found, repeat(0.0))
    for column in columns[1:]:
        summed = map(add, summed, map(column.get, found, repeat(0.0)))
    scores = list(summed)
    if also:
        scores.extend(s for _, s in also)
        found.extend(d for d, _ in also)
    if len(scores) > k:
        cut = sorted(scores)[-k]
        pairs = list(compress(zip(scores, found, strict=True), map(ge, scores, repeat(cut))))
    else:
        pairs = list(zip(scores, found, strict=True))
    pairs.sort(reverse=True)
    return [(d, s) for s, d in pairs[:k]]
