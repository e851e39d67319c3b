"""The nearest entries in meaning: exact on a network's knowledge base, close at scale."""

from __future__ import annotations

import numpy as np
import pytest

from bot.knowledge.vectors import VectorIndex


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _data(entries: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """Entries of 1-4 phrasings each, around 40 topics, as real phrasings cluster."""
    rng = np.random.default_rng(seed)
    topics = _unit(rng.standard_normal((40, 64)))
    rows, starts = [], []
    for _ in range(entries):
        starts.append(len(rows))
        centre = topics[rng.integers(40)] + 0.4 * _unit(rng.standard_normal(64))
        noise = _unit(rng.standard_normal((int(rng.integers(1, 5)), 64)))
        rows += list(_unit(centre + 0.3 * noise))
    return np.stack(rows), starts


def _brute(vectors: np.ndarray, starts: list[int], v: np.ndarray) -> np.ndarray:
    return np.maximum.reduceat(vectors @ v, starts)


def test_small_indexes_are_exact() -> None:
    vectors, starts = _data(300, seed=1)
    index = VectorIndex(vectors, starts)
    assert index.exhaustive
    rng = np.random.default_rng(2)
    for _ in range(20):
        v = _unit(rng.standard_normal(64))
        want = _brute(vectors, starts, v)
        got = index.nearest(v, 10)
        assert [d for d, _ in got] == sorted(range(300), key=lambda d: (-want[d], d))[:10]
        assert [s for _, s in got] == pytest.approx(sorted(want, reverse=True)[:10], abs=1e-6)
        assert index.similarity(v, [5, 7]) == pytest.approx([want[5], want[7]], abs=1e-6)
    assert index.nearest(v, 0) == []


def test_large_indexes_probe_nearby_lists_and_stay_close() -> None:
    vectors, starts = _data(6000, seed=3)
    index = VectorIndex(vectors, starts, exhaustive_limit=1000)
    assert not index.exhaustive
    rng = np.random.default_rng(4)
    found = 0
    for _ in range(50):
        d = int(rng.integers(6000))
        v = _unit(vectors[starts[d]] + 0.2 * _unit(rng.standard_normal(64)))
        want = _brute(vectors, starts, v)
        best = set(np.argsort(-want)[:10].tolist())
        got = index.nearest(v, 10)
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        for e, s in got:  # every similarity reported is the exact one
            assert s == pytest.approx(want[e], abs=1e-5)
        found += len(best & {e for e, _ in got})
    assert found >= 0.9 * 500  # recall of the true ten nearest, over 50 questions


def test_every_entry_needs_a_phrasing() -> None:
    with pytest.raises(ValueError, match="at least one"):
        VectorIndex(np.zeros((2, 8), dtype=np.float32), [0, 2, 2])
    empty = VectorIndex(np.zeros((0, 8), dtype=np.float32), [])
    assert empty.nearest(np.ones(8, dtype=np.float32), 5) == []
