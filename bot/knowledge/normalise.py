"""Turns an officer's question or an entry's text into canonical, stemmed search terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from types import MappingProxyType

from bot.knowledge import lexicon
from bot.knowledge.stem import stem

# "s.4A", "sec 4a", "section 4A", "ss 2 and 2A" -> "s4a", "s2 and 2a"; and a bare "2a" -> "s2a"
_SECTION = re.compile(
    r"\b(?:ss?|sec|sect|section|sections)\s*\.?\s*(\d{1,3}[a-d]?)\b|(?<![\w.])(\d{1,2}[a-d])\b"
)
_LETTER_PREFIX = re.compile(r"\b([a-z]|vs)-(?=[a-z])")  # s-dash, e-mail, vs-dash
_IP_ADDRESS = re.compile(r"\bip\s+address(es)?\b")
_DIGIT = re.compile(r"\d")
_QUESTION_NUMBER = re.compile(r"\bq\s?(\d{1,2})\b")  # "dash q8" -> "dash question 8"
_APOSTROPHES = ("\u2018", "\u2019", "'", "`")


def _section(match: re.Match[str]) -> str:
    return f" s{match.group(1) or match.group(2)} "


_WORD = re.compile(r"[a-z0-9]+")

Corrector = Callable[[str], "str | None"]

_NONE: Mapping[str, str] = MappingProxyType({})


class Normaliser:
    """Shorthand, synonyms, stop words and stemming, built from generic English and (through
    `Vocabulary.normaliser()`) a network's own words: with the stalking network's, "whats max
    for 4a" and "maximum sentence for s4A" share their terms."""

    def __init__(
        self,
        *,
        words: Mapping[str, str] = lexicon.WORDS,
        phrases: Mapping[str, str] = _NONE,
        stop_words: Iterable[str] = lexicon.STOP_WORDS,
        rewrites: Iterable[tuple[str, str]] = (),
        canonical: Iterable[str] = (),
        subject: Iterable[str] = (),
        generic: Iterable[str] = lexicon.GENERIC,
        expansions: Mapping[str, str] = _NONE,
    ) -> None:
        self._expansions = dict(expansions)
        self.stop_words = frozenset(stop_words)
        self._rewrites = tuple((re.compile(p), r) for p, r in rewrites)
        self.canonical = frozenset(canonical)
        self._words = {k: tuple(v.split()) for k, v in words.items()}
        self._cache: dict[str, tuple[tuple[str, bool], ...]] = {}
        self._phrase_text = tuple(phrases)
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase, text in phrases.items():
            key = tuple(term for term, _ in self._analyse_words(self.words(phrase)))
            self._phrases[key] = tuple(self.term(w) for w in text.split())
        # phrases by their first two terms, longest first, so most words cost one lookup
        self._phrase_openings: dict[
            tuple[str, str], list[tuple[int, tuple[str, ...], tuple[str, ...]]]
        ] = {}
        for key, replacement in sorted(self._phrases.items(), key=lambda p: -len(p[0])):
            if len(key) >= 2:
                self._phrase_openings.setdefault((key[0], key[1]), []).append(
                    (len(key), key, replacement)
                )
        self.subject = frozenset(t for s in subject for t in self.analyse(s))
        self.generic = frozenset(t for s in generic for t in self.analyse(s)) - self.subject

    def term(self, word: str) -> str:
        """The search term for one already-mapped word: canonical tokens and sections as they
        are, everything else stemmed."""
        if word in self.canonical or not word.isalpha():
            return word
        return stem(word)

    def words(self, text: str) -> list[str]:
        """The lower-case words of `text`, with section numbers and hyphenated prefixes joined
        and the lexicon's rewrites made."""
        text = text.lower()
        for mark in _APOSTROPHES:
            if mark in text:
                text = text.replace(mark, "")
        if "&" in text:
            text = text.replace("&", " and ")
        for pattern, replacement in self._rewrites:
            text = pattern.sub(replacement, text)
        if "ip" in text:
            text = _IP_ADDRESS.sub("ipaddress", text)
        if _DIGIT.search(text):
            text = _SECTION.sub(_section, text)
            text = _QUESTION_NUMBER.sub(r" question \1 ", text)
        if "-" in text:
            text = _LETTER_PREFIX.sub(r"\1", text)
        return _WORD.findall(text)

    def lexicon_words(self) -> set[str]:
        """Every word the lexicon knows: shorthand, its replacements, the words of its phrases,
        and the longer stop words (so "shoud" can be read as "should")."""
        words = set(self._words) | {w for ws in self._words.values() for w in ws}
        words.update(w for key in self._phrase_text for w in key.split())
        words.update(w for w in self.stop_words if len(w) >= 5)
        return {w for w in words if w.isalpha()}

    def is_known_word(self, word: str) -> bool:
        """Whether the lexicon itself knows `word` (so it is never treated as a typo)."""
        return word in self._words or word in self.stop_words or word in self.canonical

    def _analyse_word(self, word: str) -> tuple[tuple[str, bool], ...]:
        """(term, is a stop word) for each word `word` maps to, from a cache."""
        cached = self._cache.get(word)
        if cached is None:
            mapped = self._words.get(word, (word,))
            cached = tuple((self.term(w), w in self.stop_words) for w in mapped)
            if len(self._cache) < 200_000:
                self._cache[word] = cached
        return cached

    def _analyse_words(
        self,
        words: Iterable[str],
        known: Container[str] | None = None,
        correct: Corrector | None = None,
    ) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        cache = self._cache
        for word in words:
            analysed = cache.get(word) or self._analyse_word(word)
            if (
                correct is not None
                and known is not None
                and len(analysed) == 1
                and not analysed[0][1]
                and analysed[0][0] not in known
                and not self.is_known_word(word)
            ):
                fixed = correct(word)
                if fixed is not None:
                    analysed = self._analyse_word(fixed)
            out.extend(analysed)
        return out

    def expand(
        self,
        text: str,
        *,
        known: Container[str] | None = None,
        correct: Corrector | None = None,
    ) -> str:
        """`text` as plain words for the sentence encoder: shorthand and typos mapped as for
        the search terms (with `known` and `correct`), abbreviations spelt out, stop words
        kept and nothing stemmed, so "wot counts as cyber stalkin" reads as
        "what counts as cyber stalking"."""
        out: list[str] = []
        for word in self.words(text):
            mapped = self._words.get(word, (word,))
            if (
                correct is not None
                and known is not None
                and len(mapped) == 1
                and word not in self.stop_words
                and self.term(word) not in known
                and not self.is_known_word(word)
            ):
                fixed = correct(word)
                if fixed is not None:
                    mapped = self._words.get(fixed, (fixed,))
            out.extend(self._expansions.get(w, w) for w in mapped)
        return " ".join(out)

    def analyse(
        self,
        text: str,
        *,
        known: Container[str] | None = None,
        correct: Corrector | None = None,
    ) -> list[str]:
        """The search terms of `text`, in order, stop words dropped and multi-word names
        (`stalking protection order`, `victims right to review`) merged into one term each.
        With `known` and `correct`, a word whose term is not known is first passed to
        `correct` (a typo corrector), which may return a replacement word."""
        items = self._analyse_words(self.words(text), known, correct)
        out: list[str] = []
        i, n = 0, len(items)
        openings = self._phrase_openings
        while i < n:
            term, is_stop = items[i]
            if i + 1 < n:
                candidates = openings.get((term, items[i + 1][0]))
                if candidates is not None:
                    for length, key, replacement in candidates:
                        if i + length <= n and all(
                            items[i + j][0] == key[j] for j in range(2, length)
                        ):
                            out.extend(replacement)
                            i += length
                            break
                    else:
                        candidates = None
                    if candidates is not None:
                        continue
            if not is_stop:
                out.append(term)
            i += 1
        return out
