"""Typo tolerance: corrects a word to the nearest word of the index (edit distance 1 or 2)."""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours costs 1), or `limit + 1` once
    it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def _deletions(word: str, depth: int) -> Iterator[str]:
    """Every string made from `word` by deleting up to `depth` characters (with repeats)."""
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        yield from frontier


class TypoCorrector:
    """A deletion-neighbourhood index (as in SymSpell) over the vocabulary of a knowledge base:
    a query word and a vocabulary word within distance d share a string made by deleting at most
    d characters from each, so a lookup touches a few dozen keys, not the whole vocabulary."""

    def __init__(
        self,
        frequencies: Mapping[str, int],
        *,
        min_length: int = 4,
        long_word: int = 8,
        max_candidates: int = 64,
    ) -> None:
        self.min_length = min_length
        self.long_word = long_word
        self.max_candidates = max_candidates
        # Whether a word is English that the vocabulary lacks ("drone"): such a word is left as
        # it is, not made a typo of a vocabulary word ("drove"). Set by the search from its
        # sentence model's own vocabulary; None: every unknown word may be a typo.
        self.english: Callable[[str], bool] | None = None
        self._frequencies = dict(frequencies)
        # Kept compact (the index is most of a words-only knowledge base's memory): not a dict
        # of the 75,000 deletion strings but their CRC-32s, sorted, beside the number of the
        # word each leads to (1 MB against 6). Two strings with one checksum only add a
        # candidate, which the edit distance then turns down.
        self._words = [w for w in self._frequencies if len(w) >= min_length - 1]
        keys: list[int] = []
        owners: list[int] = []
        for number, word in enumerate(self._words):
            for key in (word, *_deletions(word, 2)):
                keys.append(_checksum(key))
                owners.append(number)
        # (Arrays of the standard library, not numpy: the web process imports no numpy.)
        pairs = sorted(zip(keys, owners, strict=True), key=itemgetter(0))  # stable: word order
        self._keys = array("I", [key for key, _ in pairs])
        self._owners = array("i", [number for _, number in pairs])

    def _candidates(self, keys: list[str]) -> Iterator[str]:
        """The vocabulary words that share one of `keys`, key by key, each key's in order."""
        found, words, owners = self._keys, self._words, self._owners
        for key in keys:
            checksum = _checksum(key)
            low = bisect_left(found, checksum)
            for number in owners[low : bisect_right(found, checksum, low)]:
                yield words[number]

    def max_distance(self, word: str) -> int:
        """How many edits a word of this length may carry: none when short, 1, or 2 when long."""
        if len(word) < self.min_length:
            return 0
        return 2 if len(word) >= self.long_word else 1

    def _acceptable(self, word: str, candidate: str) -> bool:
        # Typos rarely touch the first letter, so a fix keeps it (or swaps the first two);
        # "dwelling" is not "telling". Nor does a fix make a short word out of a longer one
        # ("drone" is not "done"). Four-letter words are too easily another word: only fix
        # those that gain a letter or swap two ("aply" -> "apply"), never a changed letter
        # ("fill" is not "full").
        if word[0] != candidate[0] and word[1::-1] != candidate[:2]:
            return False
        if len(candidate) < min(len(word), self.min_length + 1):
            return False
        if len(word) > self.min_length:
            return True
        return len(candidate) == len(word) + 1 or sorted(candidate) == sorted(word)

    def correct(self, word: str) -> str | None:
        """The nearest vocabulary word (ties go to the more frequent), or None if none is near."""
        limit = self.max_distance(word)
        if limit == 0 or word in self._frequencies:
            return None
        if self.english is not None and self.english(word):
            return None
        seen: set[str] = set()
        best: tuple[int, bool, int, str] | None = None
        for candidate in self._candidates([word, *_deletions(word, limit)]):
            if candidate in seen:
                continue
            seen.add(candidate)
            if len(seen) > self.max_candidates:
                break
            distance = edit_distance(word, candidate, limit)
            if distance <= limit and self._acceptable(word, candidate):
                rank = (distance, word[0] != candidate[0], -self._frequencies[candidate], candidate)
                if best is None or rank < best:
                    best = rank
        return None if best is None else best[3]


def _checksum(text: str) -> int:
    return zlib.crc32(text.encode())
