"""The entries' sentence encodings, for a knowledge base that searches by meaning too: the
model's modules (and NumPy) are imported here when it does, so that a process searching by
words alone (`champbot serve`'s web process) imports none of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.knowledge.entries import Entry

if TYPE_CHECKING:
    from bot.knowledge.encoder import Encoder
    from bot.knowledge.vectors import VectorIndex


def shared() -> Encoder | None:
    """The process's shared encoder, if the model is installed (`encoder.shared_encoder`)."""
    from bot.knowledge.encoder import shared_encoder

    return shared_encoder()


def texts(entries: Sequence[Entry], expand: Callable[[str], str]) -> tuple[list[str], list[int]]:
    """What the encoder reads of each entry: its phrasings (title and questions) and its
    answer's first paragraph, `expand`ed to plain words; and where each entry's begin."""
    out: list[str] = []
    starts: list[int] = []
    for entry in entries:
        starts.append(len(out))
        # its phrasings, and its answer's first paragraph: what it says, in its words
        out += [expand(t) for t in (entry.title, *entry.questions, entry.summary)]
    return out, starts


def nearest(
    encoder: Encoder, texts: Sequence[str], starts: Sequence[int], cache: Path | None = None
) -> VectorIndex:
    """The index of the entries' encodings (`texts`), kept in `cache` (the encoder's own)."""
    from bot.knowledge.encoder import encode_cached
    from bot.knowledge.vectors import VectorIndex

    return VectorIndex(encode_cached(encoder, texts, cache), starts)
