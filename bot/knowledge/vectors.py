"""The entries' phrasing encodings, and the entries nearest a question in meaning.

An entry is as near as its nearest phrasing (cosine similarity of unit vectors). Up to
`exhaustive_limit` phrasings every one is scored, exactly. Above it (a knowledge base far larger
than a network's), an inverted file keeps the cost per question small: entries are clustered by
the mean of their phrasings (k-means, about the square root of their number of lists), and a
question scores only the phrasings of the entries in its `probes` nearest lists (an eighth of
them by default). That is
approximate: the word index beside it still finds entries by their words."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]
Ints = NDArray[np.int64]


def _unit(rows: NDArray[np.floating]) -> Vectors:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


class VectorIndex:
    """Phrasing vectors (rows) grouped by entry: `starts[d]` is entry d's first row; every
    entry has at least one row."""

    def __init__(
        self,
        vectors: Vectors,
        starts: Sequence[int],
        *,
        exhaustive_limit: int = 20_000,
        probes: int | None = None,
        seed: int = 20261128,
    ) -> None:
        self.entries = len(starts)
        bounds = np.append(np.asarray(starts, dtype=np.int64), len(vectors))
        if self.entries and (np.diff(bounds) <= 0).any():
            raise ValueError("every entry needs at least one phrasing vector")
        lists = max(8, int(np.sqrt(self.entries)))
        # an eighth of the lists by default: at 100,000 entries about 12,000 are scored
        self.probes = probes or max(8, lists // 8)
        self.exhaustive = len(vectors) <= exhaustive_limit or self.entries < 4 * lists
        if self.exhaustive:
            self._rows = np.ascontiguousarray(vectors, dtype=np.float32)
            self._first = bounds[:-1]
            self._end = bounds[1:]
            return
        # mean phrasing per entry, clustered into lists by a few rounds of spherical k-means
        counts = np.diff(bounds).astype(np.float32)
        means = _unit(np.add.reduceat(vectors, bounds[:-1], axis=0) / counts[:, None])
        rng = np.random.default_rng(seed)
        centroids = means[rng.choice(self.entries, size=lists, replace=False)]
        assign = np.zeros(self.entries, dtype=np.int64)
        for _ in range(5):
            for lo in range(0, self.entries, 8192):
                assign[lo : lo + 8192] = np.argmax(means[lo : lo + 8192] @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, assign, means)
            empty = ~sums.any(axis=1)
            sums[empty] = means[rng.choice(self.entries, size=int(empty.sum()))]
            centroids = _unit(sums)
        self._centroids = centroids
        # rows re-ordered list by list, so a list's phrasings are one contiguous block
        order = np.argsort(assign, kind="stable")
        sizes = bounds[1:] - bounds[:-1]
        rows = np.concatenate([np.arange(bounds[d], bounds[d + 1]) for d in order])
        self._rows = np.ascontiguousarray(vectors[rows], dtype=np.float32)
        new_first = np.concatenate(([0], np.cumsum(sizes[order])[:-1]))
        self._first = np.empty(self.entries, dtype=np.int64)
        self._first[order] = new_first
        self._end = self._first + sizes
        list_of_sorted = assign[order]
        self._list_entries: list[Ints] = []
        self._list_rows: list[tuple[int, int]] = []
        self._list_starts: list[Ints] = []
        for lst in range(lists):
            members = order[list_of_sorted == lst]
            self._list_entries.append(members)
            if len(members):
                r0, r1 = int(self._first[members[0]]), int(self._end[members[-1]])
                self._list_rows.append((r0, r1))
                self._list_starts.append(self._first[members] - r0)
            else:
                self._list_rows.append((0, 0))
                self._list_starts.append(np.zeros(0, dtype=np.int64))

    def similarity(self, vector: Vectors, entries: Sequence[int]) -> list[float]:
        """The similarity of `vector` to each of `entries` (its nearest phrasing), exactly."""
        out = []
        for d in entries:
            block = self._rows[self._first[d] : self._end[d]]
            out.append(float(np.max(block @ vector)))
        return out

    def nearest(self, vector: Vectors, limit: int) -> list[tuple[int, float]]:
        """Up to `limit` entries nearest `vector` as (entry, similarity), nearest first."""
        if limit <= 0 or self.entries == 0:
            return []
        if self.exhaustive:
            candidates: Ints = np.arange(self.entries)
            sims = np.maximum.reduceat(self._rows @ vector, self._first)
        else:
            near_lists = np.argsort(-(self._centroids @ vector))[: self.probes]
            parts, scores = [], []
            for lst in near_lists:
                r0, r1 = self._list_rows[lst]
                if r1 > r0:
                    parts.append(self._list_entries[lst])
                    scores.append(
                        np.maximum.reduceat(self._rows[r0:r1] @ vector, self._list_starts[lst])
                    )
            if not parts:
                return []
            candidates, sims = np.concatenate(parts), np.concatenate(scores)
        k = min(limit, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((candidates[top], -sims[top]))]
        return [(int(candidates[i]), float(sims[i])) for i in top]
