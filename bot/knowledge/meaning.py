"""The entries' sentence encodings, for a knowledge base that searches by meaning too: in a
module of their own, so that a process searching by words alone (`champbot serve`'s web
process) imports neither the model's modules nor NumPy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bot.knowledge.encoder import Encoder, encode_cached
from bot.knowledge.entries import Entry
from bot.knowledge.vectors import VectorIndex


def nearest(
    encoder: Encoder,
    entries: Sequence[Entry],
    expand: Callable[[str], str],
    cache: Path | None = None,
) -> VectorIndex:
    """The index of the entries' encodings: each entry's phrasings (title and questions) and
    its answer's first paragraph, `expand`ed to plain words; kept in `cache` (the encoder's)."""
    texts: list[str] = []
    starts: list[int] = []
    for entry in entries:
        starts.append(len(texts))
        # its phrasings, and its answer's first paragraph: what it says, in its words
        texts += [expand(t) for t in (entry.title, *entry.questions, entry.summary)]
    return VectorIndex(encode_cached(encoder, texts, cache), starts)
