"""An inverted index with BM25F weights computed once per (term, entry), and exact top-k."""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


def _arrays(postings: list[tuple[int, float]]) -> tuple[array[int], array[float]]:
    return array("i", [d for d, _ in postings]), array("d", [s for _, s in postings])


class InvertedIndex:
    """Postings per term, kept twice: by entry number (for lookups) and by weight, highest first
    (so a query can stop early). A query only touches the postings of its own terms."""

    def __init__(
        self,
        documents: Sequence[Mapping[str, Sequence[str]]],
        weights: FieldWeights | None = None,
        *,
        exhaustive_limit: int = 3000,
    ) -> None:
        w = weights or FieldWeights()
        self.weights = w
        self.exhaustive_limit = exhaustive_limit
        self.size = n = len(documents)
        field_weight = dict(zip(FIELDS, (w.title, w.questions, w.tags, w.body), strict=True))
        field_b = dict(zip(FIELDS, (w.b_title, w.b_questions, w.b_tags, w.b_body), strict=True))
        avg = {
            f: (sum(len(d.get(f, ())) for d in documents) / n if n else 0.0) or 1.0 for f in FIELDS
        }
        # pseudo term frequency of each term in each document, weighted by field and length
        raw: dict[str, list[tuple[int, float]]] = {}
        for number, doc in enumerate(documents):
            tf: dict[str, float] = {}
            for f in FIELDS:
                terms = doc.get(f, ())
                if not terms:
                    continue
                norm = field_weight[f] / (1.0 - field_b[f] + field_b[f] * len(terms) / avg[f])
                for term in terms:
                    tf[term] = tf.get(term, 0.0) + norm
            for term, value in tf.items():
                raw.setdefault(term, []).append((number, value))
        self.idf: dict[str, float] = {}
        self.max_impact: dict[str, float] = {}
        self._by_doc: dict[str, tuple[array[int], array[float]]] = {}
        self._by_impact: dict[str, tuple[array[int], array[float]]] = {}
        k1 = w.k1
        for term, postings in raw.items():
            idf = self.idf_for(len(postings))
            self.idf[term] = idf
            impacts = [(d, idf * v * (k1 + 1.0) / (v + k1)) for d, v in postings]
            self._by_doc[term] = _arrays(impacts)
            impacts.sort(key=lambda p: -p[1])
            self._by_impact[term] = _arrays(impacts)
            self.max_impact[term] = impacts[0][1]
        self.unknown_idf = self.idf_for(0)

    def idf_for(self, df: int) -> float:
        """BM25's inverse document frequency for a term found in `df` entries."""
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def __contains__(self, term: object) -> bool:
        return term in self._by_doc

    def document_frequency(self, term: str) -> int:
        """How many entries hold `term`."""
        postings = self._by_doc.get(term)
        return len(postings[0]) if postings else 0

    def impact(self, term: str, doc: int) -> float:
        """The BM25F weight of `term` in entry number `doc` (0 if absent)."""
        postings = self._by_doc.get(term)
        if postings is None:
            return 0.0
        docs, impacts = postings
        i = bisect_left(docs, doc)
        return impacts[i] if i < len(docs) and docs[i] == doc else 0.0

    def top(self, terms: Sequence[str], k: int) -> list[tuple[int, float, int]]:
        """The `k` best entries for `terms` as (entry number, score, bit mask of the terms it
        holds), best first; exact, but touching only the postings it must."""
        present = [t for t in dict.fromkeys(terms) if t in self._by_doc]
        if not present or k <= 0:
            return []
        if sum(len(self._by_doc[t][0]) for t in present) <= self.exhaustive_limit:
            return self._top_exhaustive(present, k)
        return self._top_threshold(present, k)

    def _top_exhaustive(self, terms: list[str], k: int) -> list[tuple[int, float, int]]:
        scores: dict[int, float] = {}
        masks: dict[int, int] = {}
        for bit, term in enumerate(terms):
            docs, impacts = self._by_doc[term]
            flag = 1 << bit
            for d, s in zip(docs, impacts, strict=True):
                if d in scores:
                    scores[d] += s
                    masks[d] |= flag
                else:
                    scores[d] = s
                    masks[d] = flag
        best = heapq.nlargest(k, scores.items(), key=lambda item: item[1])
        return [(d, s, masks[d]) for d, s in best]

    def _top_threshold(self, terms: list[str], k: int) -> list[tuple[int, float, int]]:
        """Fagin's threshold algorithm: walk every term's postings from the highest weight down,
        score each new entry fully by lookups, and stop once no unseen entry can reach the
        k-th best score (the sum of the weights at the current depth)."""
        lists = [self._by_impact[t] for t in terms]
        by_doc = [self._by_doc[t] for t in terms]
        heap: list[tuple[float, int, int]] = []
        seen: set[int] = set()
        longest = max(len(docs) for docs, _ in lists)
        for depth in range(longest):
            threshold = 0.0
            for docs, impacts in lists:
                if depth >= len(docs):
                    continue
                threshold += impacts[depth]
                d = docs[depth]
                if d in seen:
                    continue
                seen.add(d)
                score = 0.0
                mask = 0
                for bit, (ids, weights) in enumerate(by_doc):
                    i = bisect_left(ids, d)
                    if i < len(ids) and ids[i] == d:
                        score += weights[i]
                        mask |= 1 << bit
                if len(heap) < k:
                    heapq.heappush(heap, (score, -d, mask))
                elif score > heap[0][0]:
                    heapq.heapreplace(heap, (score, -d, mask))
            if len(heap) >= k and heap[0][0] >= threshold:
                break
        return [(-d, s, m) for s, d, m in sorted(heap, reverse=True)]
