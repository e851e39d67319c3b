"""What the latency benchmarks share: the officers' questions they ask and the percentile."""

from __future__ import annotations

QUESTIONS = [
    "whats the difference between stalking and harassment",
    "max sentence for s4a",
    "who can apply for an spo",
    "what does FOUR stand for",
    "how long does a restraining order last",
    "wot counts as cyber stalking",
    "can i get a warrant to search for stalking evidence",
    "what is the national stalking helpline number",
]


def percentile(values: list[float], pct: float) -> float:
    """The `pct`th percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
