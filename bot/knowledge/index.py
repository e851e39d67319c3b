"""An inverted index with BM25F weights computed once per (term, entry), and a fast top-k."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, ge


@dataclass(frozen=True)
class Document:
    """An entry's analysed terms, field by field; each question is a phrasing of its own."""

    title: Sequence[str]
    questions: Sequence[Sequence[str]]
    tags: Sequence[str]
    body: Sequence[str]
    summary: Sequence[str] = ()


@dataclass(frozen=True)
class FieldWeights:
    """BM25F: how much a match in each field counts, and how much each field's length matters.
    A term in the title or in a phrasing of the question counts three times one in the body.
    Each question is length-normalised on its own and an entry counts its best phrasing for a
    term fully and its others by `other_questions`, so an entry with a short question that is
    just the term ("what is an SPO") is not outweighed by one that lists many phrasings."""

    title: float = 3.0
    questions: float = 3.0
    tags: float = 2.0
    body: float = 1.0
    summary: float = 1.0
    b_title: float = 0.5
    b_questions: float = 0.5
    b_tags: float = 0.0
    b_body: float = 0.75
    other_questions: float = 0.25
    k1: float = 1.2


class InvertedIndex:
    """Postings per term, kept twice: as a dict from entry number to weight (for lookups and
    for scoring many entries at C speed with `map`), and as entry numbers ordered by weight,
    highest first (so a query can stop early). A query touches only its own terms' postings.

    `top` scores every posting of the query's terms when they are few (up to
    `exhaustive_limit`, which covers a knowledge base of hundreds of entries): exact. On a
    larger index it scores about `depth` entries in all, the highest-weighted of each term,
    on all the query's terms: exact when no entry not met can beat the k-th best (Fagin's
    threshold test), otherwise an anytime ranking. Reading deeper, or adding the entries that
    hold the most query terms, was measured on 10,000 entries and did not help: the
    knowledge base reranks the leaders by coverage and phrasing, and that decides."""

    def __init__(
        self,
        documents: Sequence[Document],
        weights: FieldWeights | None = None,
        *,
        exhaustive_limit: int = 256,
        depth: int = 24,
        dense_limit: int = 2_000_000,
        dense_from: int = 8,
    ) -> None:
        w = weights or FieldWeights()
        self.weights = w
        self.exhaustive_limit = exhaustive_limit
        self.depth = depth
        self.size = n = len(documents)
        questions = [q for d in documents for q in d.questions]
        avg_title = sum(len(d.title) for d in documents) / (n or 1) or 1.0
        avg_question = sum(map(len, questions)) / (len(questions) or 1) or 1.0
        avg_body = sum(len(d.body) for d in documents) / (n or 1) or 1.0
        avg_summary = sum(len(d.summary) for d in documents) / (n or 1) or 1.0

        def norm(weight: float, b: float, length: int, average: float) -> float:
            return weight / (1.0 - b + b * length / average)

        # pseudo term frequency of each term in each document, weighted by field and length
        raw: dict[str, dict[int, float]] = {}
        for number, doc in enumerate(documents):
            tf: dict[str, float] = {}
            for terms, value in (
                (doc.title, norm(w.title, w.b_title, len(doc.title), avg_title)),
                (doc.tags, w.tags),
                (doc.body, norm(w.body, w.b_body, len(doc.body), avg_body)),
                (doc.summary, norm(w.summary, w.b_body, len(doc.summary), avg_summary)),
            ):
                for term in terms:
                    tf[term] = tf.get(term, 0.0) + value
            # the best phrasing for a term counts fully, the others by `other_questions`
            best: dict[str, float] = {}
            total: dict[str, float] = {}
            for question in doc.questions:
                value = norm(w.questions, w.b_questions, len(question), avg_question)
                here: dict[str, float] = {}
                for term in question:
                    here[term] = here.get(term, 0.0) + value
                for term, v in here.items():
                    total[term] = total.get(term, 0.0) + v
                    if v > best.get(term, 0.0):
                        best[term] = v
            for term, top in best.items():
                extra = top + w.other_questions * (total[term] - top)
                tf[term] = tf.get(term, 0.0) + extra
            for term, posting in tf.items():
                raw.setdefault(term, {})[number] = posting
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
        # A small index also keeps the weights of each term found in `dense_from` entries or
        # more as a full vector over the entries; a rarer term's few weights are added to the
        # sum one by one. (A vector for every term costs a pointer per term and entry: 3 MB
        # at 170 entries, most of the words used once or twice.)
        self._small = n * len(self.postings) <= dense_limit
        self._dense: dict[str, list[float]] = {}
        if self._small:
            zeros = [0.0] * n
            for term, impacts in self.postings.items():
                if len(impacts) < dense_from:
                    continue
                vector = zeros.copy()
                for d, value in impacts.items():
                    vector[d] = value
                self._dense[term] = vector

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
        if self._small:  # whole score vectors, summed at C speed, and the rare terms' few
            vectors = [self._dense[t] for t in present if t in self._dense]
            summed = iter(vectors[0]) if vectors else repeat(0.0, self.size)
            for vector in vectors[1:]:
                summed = map(add, summed, vector)
            scores = list(summed)
            for term in present:
                if term not in self._dense:
                    for d, value in self.postings[term].items():
                        scores[d] += value
            return _top_of(scores, range(self.size), k)
        columns = [self.postings[t] for t in present]
        if sum(map(len, columns)) <= self.exhaustive_limit:
            return _best(set().union(*columns), columns, k)  # every posting: exact
        ordered = [self._ordered[t] for t in present]
        depth = max(k, self.depth // len(columns))  # about `depth` candidates in all
        candidates: set[int] = set()
        for docs, _ in ordered:
            candidates.update(docs[:depth])
        best = _best(candidates, columns, k)
        # If no entry not yet met can beat the k-th best (Fagin's threshold test) this is
        # exact; otherwise it is the best of each term's highest-weighted entries.
        return best


def _top_of(scores: list[float], found: Sequence[int], k: int) -> list[tuple[int, float]]:
    """The k highest positive scores with their entry numbers, best first, in C-level steps."""
    if len(scores) > k:
        cut = max(sorted(scores)[-k], 1e-12)
        pairs = list(compress(zip(scores, found, strict=True), map(ge, scores, repeat(cut))))
    else:
        pairs = [(s, d) for s, d in zip(scores, found, strict=True) if s > 0.0]
    pairs.sort(reverse=True)
    return [(d, s) for s, d in pairs[:k]]


def _best(
    candidates: set[int],
    columns: list[dict[int, float]],
    k: int,
) -> list[tuple[int, float]]:
    """The k best of `candidates` on every term's postings; the sums, the cut-off and the
    selection are all C-level (map, sorted, compress), with no Python loop per entry."""
    found = list(candidates)
    summed = map(columns[0].get, found, repeat(0.0))
    for column in columns[1:]:
        summed = map(add, summed, map(column.get, found, repeat(0.0)))
    return _top_of(list(summed), found, k)
