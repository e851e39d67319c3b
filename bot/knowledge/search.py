"""The knowledge base search: ranked, calibrated answers, and the four-way triage of a question."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from math import exp
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from bot.knowledge import meaning
from bot.knowledge.beside import beside, joins_two_asks
from bot.knowledge.entries import Entry
from bot.knowledge.framing import Scope, is_greeting, strip_framing
from bot.knowledge.index import Document, FieldWeights, InvertedIndex
from bot.knowledge.kept import by_words
from bot.knowledge.livecase import detect
from bot.knowledge.normalise import Normaliser
from bot.knowledge.results import Assessment, Hit, Triage
from bot.knowledge.scoring import (
    ConfidenceWeights,
    Query,
    lacking,
    make_query,
    profile,
    rerank,
)
from bot.knowledge.typos import TypoCorrector

if TYPE_CHECKING:  # the model's modules (and NumPy) only where the model is used
    from bot.knowledge.encoder import Encoder, Vectors
    from bot.knowledge.vectors import VectorIndex

# `encoder` argument meaning "the process's shared encoder, if the model is installed".
SHARED: Literal["shared"] = "shared"


class KnowledgeBase:
    """The curated entries, indexed once at load; `search` ranks, `triage` decides the case.

    Thresholds are attributes so `evaluation.tune` can set them from the evaluation set:
    `answer_threshold` (a hit this confident answers the question), `related_threshold`
    (hits shown beside an uncovered question), `live_threshold` (general entries shown beside
    a live case), `topic_threshold` (the share of a question's words that must belong to the
    subject for it to be on topic), `sure_threshold` (how confident a match must be to answer
    a question that is not on topic by its words)."""

    # Words only: fitted on the tune split by `champbot kb tune --cv 5`, CHAMPBOT_SEMANTIC=off
    # (tuning.py; crossval.py's folds kept the 10% cap on uncovered questions answered).
    answer_threshold: float = 0.33
    related_threshold: float = 0.17
    live_threshold: float = 0.15
    topic_threshold: float = 0.45
    sure_threshold: float = 0.8
    # The chance that the entry is right: (a, b, c) in 1 / (1 + e^-(a raw + c lacking + b)),
    # `lacking` what the entry does not hold (`scoring.lacking`); (a, b): c = 0; None: raw.
    calibration: tuple[float, ...] | None = (11.56, -3.84, -3.51)
    pool: int = 8
    generic_weight: float = 1.0
    # Raw-score margins: a runner-up this close is offered ("Also: …"); one within
    # `second_margin` adding `second_share` of the question's weight is shown whole too; fitted
    # by `tuning.fit_margins` (the second on the tune split's two-entry questions).
    also_margin: float = 0.08
    second_margin: float = 0.2
    second_share: float = 0.25
    # With the sentence encoder, an entry's raw score is its word-match confidence plus
    # `semantic_weight` x the cosine similarity of the question to the entry's nearest
    # phrasing; the thresholds and calibration above are then these, tuned the same way.
    semantic_weight: float = 1.0
    # Fitted by `champbot kb tune --cv 5` on the tune split, by the same procedure.
    SEMANTIC_SETTINGS: ClassVar[Mapping[str, object]] = {
        "answer_threshold": 0.54,
        "related_threshold": 0.1,
        "live_threshold": 0.15,
        "topic_threshold": 0.45,
        "sure_threshold": 0.6,
        "calibration": (10.51, -9.6, -3.85),
        "also_margin": 0.08,
        "second_margin": 0.28,
        "second_share": 0.0,
    }
    # ... and the word-match confidence leans less on coverage and more on the answer's
    # first paragraph (coordinate ascent on the tune split's mean reciprocal rank)
    SEMANTIC_CONFIDENCE: ClassVar[ConfidenceWeights] = ConfidenceWeights(
        coverage=0.45, phrasing=0.4, pairs=0.0, body_only=0.35, summary_only=0.9, bm25=0.05
    )

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        normaliser: Normaliser | None = None,
        scope: Scope | None = None,
        weights: FieldWeights | None = None,
        confidence_weights: ConfidenceWeights | None = None,
        encoder: Encoder | Literal["shared"] | None = SHARED,
        encodings_cache: Path | None = None,
    ) -> None:
        self._entries = tuple(entries)
        self._by_id: dict[str, Entry] = {}
        self._number: dict[str, int] = {}
        for entry in self._entries:
            self._number[entry.id] = len(self._number)
            if entry.id in self._by_id:
                raise ValueError(f"duplicate knowledge entry id {entry.id!r}")
            self._by_id[entry.id] = entry
        self.normaliser = nz = normaliser or Normaliser()
        # where the network's subject ends: what is declined as another part of policing
        self.scope = scope or Scope()
        self.confidence_weights = confidence_weights or ConfidenceWeights()
        documents: list[Document] = []
        phrasings: list[tuple[tuple[str, ...], ...]] = []
        tag_terms: list[tuple[str, ...]] = []
        summaries: list[list[str]] = []
        surface: Counter[str] = Counter()
        for entry in self._entries:
            title = nz.analyse(entry.title)
            questions = [nz.analyse(q) for q in entry.questions]
            tags = [t for tag in entry.tags for t in nz.analyse(tag)]
            body = nz.analyse(entry.body)
            summary = nz.analyse(entry.summary)
            documents.append(Document(title, questions, tags, body, summary))
            phrasings.append((tuple(title), *(tuple(q) for q in questions)))
            tag_terms.append(tuple(tags))
            summaries.append(summary)
            text = " ".join((entry.title, *entry.questions, " ".join(entry.tags), entry.body))
            surface.update(set(nz.words(text)))
        self.index = InvertedIndex(documents, weights)
        idf = self.index.idf
        self._profiles = [
            profile(p, t, idf, s) for p, t, s in zip(phrasings, tag_terms, summaries, strict=True)
        ]
        self.known_words = frozenset(surface)
        # Typos are corrected towards the words the entries use, then the lexicon's own words
        # ("online", "should"), which count for less when two candidates are as near.
        vocabulary = dict.fromkeys(nz.lexicon_words(), 0)
        vocabulary.update((w, n) for w, n in surface.items() if w.isalpha())
        self._corrector = TypoCorrector(vocabulary)
        self._corrections: dict[str, str | None] = {}
        head_terms = frozenset().union(*(p.head for p in self._profiles))
        self.subject_terms = (nz.subject | head_terms) - nz.generic
        self._use(encoder, encodings_cache, confidence_weights is None)

    def _use(self, encoder: Encoder | str | None, cache: Path | None, fitted: bool) -> None:
        """Search by meaning too with `encoder` (None: by words); `fitted`: with its own weights."""
        encoder = meaning.shared() if isinstance(encoder, str) else encoder
        self.encoder: Encoder | None = encoder if self._entries else None
        self._corrector.english = getattr(self.encoder, "is_word", None)  # see TypoCorrector
        self._nearest: VectorIndex | None = None
        if self.encoder is not None:
            self._nearest = meaning.nearest(self.encoder, *self._texts, cache)
            for name, value in self.SEMANTIC_SETTINGS.items():
                setattr(self, name, value)
            if fitted:
                self.confidence_weights = self.SEMANTIC_CONFIDENCE

    @property
    def semantic(self) -> bool:
        """Whether the search matches meaning (the sentence encoder) as well as words."""
        return self._nearest is not None

    @cached_property
    def _texts(self) -> tuple[list[str], list[int]]:
        """What the sentence encoder reads of the entries (kept with the index: `kept`)."""
        return meaning.texts(self._entries, self._expand)

    def _expand(self, text: str) -> str:
        return self.normaliser.expand(text, known=self.index.idf, correct=self._correct)

    def vector(self, text: str) -> Vectors | None:
        """The question's sentence encoding, or None when the search matches words only."""
        if self.encoder is None or self._nearest is None:
            return None
        return self.encoder.encode([self._expand(text)])[0]

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        encoder: Encoder | Literal["shared"] | None = SHARED,
        encodings_cache: Path | None = None,
    ) -> KnowledgeBase:
        """Load and index every entry under `directory`, read with the network's vocabulary in
        `directory/vocabulary.yaml` (generic English alone without one); KnowledgeError if a
        file is malformed. `encoder=None` searches by words alone; `encodings_cache` is a
        directory where the entries' encodings and index are kept between runs (`kept`)."""
        kb = by_words(cls, Path(directory), encodings_cache, lambda kept: kept._texts)
        kb._use(encoder, encodings_cache, True)
        return kb

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[Entry],
        *,
        normaliser: Normaliser | None = None,
        scope: Scope | None = None,
        encoder: Encoder | Literal["shared"] | None = SHARED,
    ) -> KnowledgeBase:
        """Index entries already loaded (with generic English and no scope unless `normaliser`
        and `scope` are given, such as another knowledge base's)."""
        return cls(entries, normaliser=normaliser, scope=scope, encoder=encoder)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry, in load order."""
        return self._entries

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, if there is one."""
        return self._by_id.get(entry_id)

    def examples(self, n: int = 3) -> tuple[Entry, ...]:
        """Entries whose questions are examples for a greeting: the preferred, then the first."""
        chosen = [e for e in (self.get(i) for i in self.scope.examples) if e is not None]
        chosen += [e for e in self._entries if e not in chosen]
        return tuple(chosen[:n])

    def _correct(self, word: str) -> str | None:
        if word in self._corrections:
            return self._corrections[word]
        fixed = self._corrector.correct(word)
        if len(self._corrections) < 100_000:
            self._corrections[word] = fixed
        return fixed

    def _unknown_weight(self, term: str) -> float:
        """A word no entry uses weighs as much as the rarest word, as it most likely names
        something the knowledge base does not cover; everyday words ("house", "sent"),
        numbers and scraps of two or three letters weigh little, being as likely noise."""
        if term.isdigit():
            return 0.25 * self.index.unknown_idf
        return self.index.unknown_idf * (0.5 if len(term) <= 3 else 1.0)

    def query(self, text: str) -> Query:
        """Analyse a question: normalise, correct typos against the index, weigh the terms."""
        idf, nz, fixed = self.index.idf, self.normaliser, []

        def correct(word: str) -> str | None:
            fixed.append(self._correct(word))
            return fixed[-1]

        terms = nz.analyse(text, known=idf, correct=correct)
        weights = {}
        for t in terms:
            weight = idf.get(t) or self._unknown_weight(t)
            # an everyday word says little about which entry is meant, however rare it is
            weights[t] = min(weight, self.generic_weight) if t in nz.generic else weight
        guessed = frozenset(t for w in fixed if w for t in nz.analyse(w))
        return make_query(terms, weights, guessed)

    def search(self, text: str, limit: int = 5) -> list[Hit]:
        """The entries that best answer `text`, most confident first."""
        return self.rank(self.query(text), limit, self.vector(text))

    def rank(self, query: Query, limit: int = 5, vector: Vectors | None = None) -> list[Hit]:
        """The entries that best answer an analysed question (see `query`, and `vector` for
        its sentence encoding), most confident first: `search` without the text analysis.

        Words alone: the BM25F pool, re-ranked by word-match confidence. With a vector: that
        pool and the entries nearest in meaning, each scored by its word-match confidence plus
        `semantic_weight` x its similarity."""
        if limit <= 0 or not query.terms:
            return []
        postings = self.index.postings
        present = [t for t in query.terms if t in postings]
        depth = max(self.pool, limit)
        top = self.index.top(present, depth) if present else []
        columns = [(t, postings[t]) for t in present]
        if vector is None or self._nearest is None:
            if not top:
                return []
            ranked = rerank(query, top, limit, self._profiles, columns, self.confidence_weights)
        else:
            similar = dict(self._nearest.nearest(vector, depth))
            pooled = {d for d, _ in top}
            top = top + [(d, 0.0) for d in similar if d not in pooled]
            unscored = [d for d, _ in top if d not in similar]
            similar.update(zip(unscored, self._nearest.similarity(vector, unscored), strict=True))
            words = {
                d: sure
                for sure, d in rerank(
                    query, top, len(top), self._profiles, columns, self.confidence_weights
                )
            }
            weight = self.semantic_weight
            scored = [(words.get(d, 0.0) + weight * max(similar[d], 0.0), d) for d, _ in top]
            scored.sort(key=lambda r: (-r[0], r[1]))
            ranked = scored[:limit]
        entries = self._entries
        if self.calibration is None:
            return [Hit(entries[d], round(sure, 4), sure) for sure, d in ranked]
        a, b, *rest = self.calibration
        c, postings = (rest[0] if rest else 0.0), self.index.postings
        return [
            Hit(
                entries[d],
                round(1 / (1 + exp(-a * sure - c * lacking(query, d, postings) - b)), 4),
                sure,
            )
            for sure, d in ranked
        ]

    def lacking(self, query: Query, number: int) -> float:
        """The share of the question's weight in words that entry `number` (its position in
        load order) does not use anywhere: what it leaves unanswered."""
        return lacking(query, number, self.index.postings)

    def topic_score(self, query: Query) -> float:
        """How much of the question is the network's subject: 1.0 when it names a core subject
        word (stalking, SPO, ISAC…), else the share of its weight in words that the knowledge
        base uses in its titles, questions and tags, everyday words ("time", "form", "court")
        never counting as the subject."""
        subject = self.normaliser.subject
        if any(t in subject for t in query.terms):
            return 1.0
        if query.total <= 0:
            return 0.0
        generic = self.normaliser.generic
        on_topic = sum(
            w for t, w in query.weights.items() if t in self.subject_terms and t not in generic
        )
        return on_topic / query.total

    def assess(self, text: str) -> Assessment:
        """Everything the triage weighs, before any threshold is applied. The greetings,
        thanks, references and punctuation around a question are taken off first, so that
        they change neither its case nor its entries."""
        greeting = is_greeting(text)
        text = strip_framing(text) or text
        signals = detect(text, known_words=self.known_words)
        query = self.query(text)
        vector = self.vector(text)
        return Assessment(
            hits=self.rank(query, 5, vector),
            topic=self.topic_score(query),
            live_case=signals.live_case,
            immediate_risk=signals.immediate_risk,
            query=query,
            vector=vector,
            greeting=greeting and not signals.live_case,
            elsewhere=self.scope.is_elsewhere(text),
            joined=joins_two_asks(text),
        )

    def decide(
        self,
        assessment: Assessment,
        *,
        answer_threshold: float | None = None,
        related_threshold: float | None = None,
        topic_threshold: float | None = None,
        sure_threshold: float | None = None,
        margins: tuple[float, float, float] | None = None,
    ) -> Triage:
        """The case for an assessed question, with this knowledge base's thresholds and
        margins (also, second, share) unless others are given (as `tuning.tune` does). A
        question whose words are mostly not the subject's is answered only if the match is
        sure; otherwise it is off topic."""
        answer = self.answer_threshold if answer_threshold is None else answer_threshold
        close = self.related_threshold if related_threshold is None else related_threshold
        topic = self.topic_threshold if topic_threshold is None else topic_threshold
        sure = self.sure_threshold if sure_threshold is None else sure_threshold
        on_topic = assessment.topic >= topic
        hits = assessment.hits
        best = hits[0] if hits else None
        related = [h for h in hits if h.score >= close]
        if assessment.greeting:
            return Triage("greeting", [], None, False)
        if assessment.live_case:
            # A live case's facts ("last night", "her ex") match no entry, so the general
            # answers beside it are held to a lower bar than an answer on its own.
            helpful = [h for h in hits if h.score >= min(close, self.live_threshold)]
            first = helpful[0] if helpful else None
            return Triage("live_case", helpful, first, assessment.immediate_risk)
        if assessment.elsewhere:
            # another part of policing: the nearest entry would be an answer to another question
            return Triage("off_topic", [], None, False)
        if best is not None and best.score >= (answer if on_topic else max(answer, sure)):
            second, also = beside(
                assessment.query,
                best,
                hits,
                heads=lambda e: self._profiles[self._number[e.id]].head,
                close=max(close, answer * 0.75),
                joined=assessment.joined,
                margins=margins or (self.also_margin, self.second_margin, self.second_share),
            )
            return Triage("answered", related, best, False, second, also)
        if on_topic:
            return Triage("not_covered", related, best, False)
        return Triage("off_topic", [], None, False)

    def triage(self, text: str) -> Triage:
        """Which case `text` is: answered, live case, not covered, off topic or a greeting.
        A live case keeps any general entries that help; an uncovered question keeps the
        closest entries if any are close; an off-topic one keeps none."""
        return self.decide(self.assess(text))
