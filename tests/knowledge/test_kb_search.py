"""Search and triage on the fixture knowledge base: officers' shorthand, typos, the four cases."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_entries, load_entry
from bot.knowledge.index import Document, InvertedIndex
from bot.knowledge.vocabulary import load_vocabulary

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
EntryWriter = Callable[..., Path]


def first(kb: KnowledgeBase, text: str) -> str:
    hits = kb.search(text)
    assert hits, f"nothing found for {text!r}"
    return hits[0].entry.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("who can apply for an SPO", "spo-who-can-apply"),
        ("who applies for a stalking protection order", "spo-who-can-apply"),
        ("how long does an SPO last", "spo-duration"),
        ("what is the VRR scheme", "victims-right-to-review"),
        ("victims right to review", "victims-right-to-review"),
        ("max sentence s.4A PHA", "s4a-maximum-sentence"),
        ("what is the maximum sentence for section 4A", "s4a-maximum-sentence"),
        (
            "what is the maximum sentence for stalking involving fear of violence",
            "s4a-maximum-sentence",
        ),
    ],
)
def test_abbreviations_and_full_names_meet(
    fixture_kb: KnowledgeBase, text: str, expected: str
) -> None:
    assert first(fixture_kb, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("whats max for 4a", "s4a-maximum-sentence"),
        ("can i nick him for 2a", "arrest-powers"),
        ("spo breach sentance", "spo-breach"),
        ("wot counts as cyber stalking", "cyberstalking"),
        ("whats the diff between stalking n harassment", "stalking-or-harassment"),
        ("who do i ring for advice on a stalking case", "get-advice"),
        ("is onlin stalking stil stalking", "cyberstalking"),
    ],
)
def test_officers_shorthand(fixture_kb: KnowledgeBase, text: str, expected: str) -> None:
    assert first(fixture_kb, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("harrasment vs stalkin", "stalking-or-harassment"),
        ("stalking protecion order who can aply", "spo-who-can-apply"),
        ("maximum sentnce for s4a", "s4a-maximum-sentence"),
        ("natonal stalking helpline numbr", "national-stalking-helpline"),
    ],
)
def test_typos_are_forgiven(fixture_kb: KnowledgeBase, text: str, expected: str) -> None:
    assert first(fixture_kb, text) == expected


def test_scores_are_confidences_best_first(fixture_kb: KnowledgeBase) -> None:
    hits = fixture_kb.search("spo breach sentence", limit=10)
    scores = [h.score for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)
    assert scores[0] >= 0.9 and scores[0] >= fixture_kb.answer_threshold
    assert scores[-1] < 0.5 < scores[0]
    assert fixture_kb.search("") == [] and fixture_kb.search("the of and") == []
    assert len(fixture_kb.search("stalking", limit=2)) == 2


def test_a_matching_question_beats_a_mere_mention(make_entry: EntryWriter, tmp_path: Path) -> None:
    make_entry(
        tmp_path,
        name="mentions",
        title="Bail conditions",
        questions="\n  - what bail conditions can be set\n  - conditions of bail",
        body="Bail conditions can stop contact. A restraining order on conviction or acquittal "
        "is another way to protect a victim, and an SPO is a third.\n",
    )
    make_entry(
        tmp_path,
        name="restraining-orders",
        title="When can the court make a restraining order?",
        questions="\n  - restraining order on acquittal\n  - can a restraining order be made",
        body="On conviction for any offence, or on acquittal under s5A.\n",
    )
    kb = KnowledgeBase.load(tmp_path)
    assert first(kb, "can you get a restraining order on acquittal") == "restraining-orders"


@pytest.mark.parametrize(
    "text",
    [
        "where do i get a parking permit at HQ",
        "annual leave form?",
        "what time is the canteen open",
        "how do i reset my password",
        "who won the football last night",
    ],
)
def test_off_topic_gets_no_entry(fixture_kb: KnowledgeBase, text: str) -> None:
    triage = fixture_kb.triage(text)
    assert triage.kind == "off_topic" and triage.hits == [] and triage.best is None


def test_on_topic_but_not_covered(fixture_kb: KnowledgeBase) -> None:
    triage = fixture_kb.triage("does a stalking conviction affect a firearms certificate")
    assert triage.kind == "not_covered"
    assert all(h.score >= fixture_kb.related_threshold for h in triage.hits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is the max sentence for s4A", "s4a-maximum-sentence"),
        ("who can apply for an SPO", "spo-who-can-apply"),
        ("what is the stalking helpline number", "national-stalking-helpline"),
    ],
)
def test_answered(fixture_kb: KnowledgeBase, text: str, expected: str) -> None:
    triage = fixture_kb.triage(text)
    assert triage.kind == "answered" and not triage.immediate_risk
    assert triage.best is not None and triage.best.entry.id == expected
    assert triage.hits[0] == triage.best


@pytest.mark.parametrize(
    "text",
    [
        "my victim says he keeps turning up at her work",
        "what should I charge him with",
        "he has breached his SPO, what now",
        "can I arrest him",
        "John Smith keeps texting her",
        "on this job the suspect has sent 40 messages",
        "is that a breach?",
    ],
)
def test_live_cases(fixture_kb: KnowledgeBase, text: str) -> None:
    triage = fixture_kb.triage(text)
    assert triage.kind == "live_case" and not triage.immediate_risk


def test_a_live_case_keeps_the_general_answer_that_helps(fixture_kb: KnowledgeBase) -> None:
    triage = fixture_kb.triage("my victim's ex breached his SPO last night, should i charge him")
    assert triage.kind == "live_case"
    assert triage.best is not None and triage.best.entry.id == "spo-breach"


@pytest.mark.parametrize(
    "text",
    [
        "he is outside her house now",
        "he is outside her house right now threatening to kill her",
        "the ex has a knife and is at her door",
        "suspect is threatening to kill her",
    ],
)
def test_immediate_risk(fixture_kb: KnowledgeBase, text: str) -> None:
    triage = fixture_kb.triage(text)
    assert triage.kind == "live_case" and triage.immediate_risk


def test_entries_and_get(fixture_kb: KnowledgeBase) -> None:
    assert len(fixture_kb.entries) == len(load_entries(FIXTURES))
    entry = fixture_kb.get("spo-duration")
    assert entry is not None and entry.title.startswith("How long")
    assert fixture_kb.get("no-such-entry") is None


def test_duplicate_ids_are_refused() -> None:
    entry = load_entry(FIXTURES / "spo-duration.md")
    with pytest.raises(ValueError, match="duplicate"):
        KnowledgeBase.from_entries([entry, entry])


def test_thresholds_are_attributes(fixture_kb: KnowledgeBase) -> None:
    kb = KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)
    kb.answer_threshold = 1.01
    assert kb.triage("how long does an SPO last").kind == "not_covered"


def _synthetic(count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(3000)]
    # the running sums of the weights 1/(i+1), made once: `choices` given plain weights sums
    # all 3,000 again on each of its 20,000 calls (over a CPU-second), for the same draws
    cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(words))))
    return [
        Document(
            title=rng.choices(words, cum_weights=cum, k=6),
            questions=[rng.choices(words, cum_weights=cum, k=6) for _ in range(rng.randint(1, 4))],
            tags=rng.choices(words, cum_weights=cum, k=3),
            body=rng.choices(words, cum_weights=cum, k=rng.randint(20, 120)),
        )
        for _ in range(count)
    ]


def test_small_indexes_are_exact_and_large_ones_close() -> None:
    documents = _synthetic(4000, seed=7)
    exact = InvertedIndex(documents, exhaustive_limit=10**9)
    fast = InvertedIndex(documents)
    rng = random.Random(11)
    best = 0
    for _ in range(200):
        terms = [f"w{int(rng.paretovariate(0.5)) % 3000}" for _ in range(rng.randint(1, 6))]
        got, want = fast.top(terms, 10), exact.top(terms, 10)
        assert len(got) == len(want)
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        best += got[0][1] == pytest.approx(want[0][1])
    assert best >= 150  # an anytime ranking: the knowledge base reranks the leaders anyway
    # a small index sums its common terms' whole vectors and adds its rare terms' postings:
    # the same scores as summing every posting
    small = InvertedIndex(documents[:300])
    assert small._small and 0 < len(small._dense) < len(small.postings)
    small_exact = InvertedIndex(documents[:300], exhaustive_limit=10**9, dense_limit=0)
    for _ in range(50):
        terms = [f"w{int(rng.paretovariate(0.5)) % 3000}" for _ in range(rng.randint(1, 6))]
        got, want = small.top(terms, 10), small_exact.top(terms, 10)
        assert [round(s, 9) for _, s in got] == [round(s, 9) for _, s in want]


def test_a_large_synthetic_index_still_finds_the_real_entry() -> None:
    real = load_entries(FIXTURES)
    rng = random.Random(3)
    vocabulary = sorted({w for e in real for w in e.body.lower().split() if w.isalpha()})
    fake = [
        e.__class__(
            **{
                **e.__dict__,
                "id": f"synthetic-{n}",
                "title": " ".join(rng.choices(vocabulary, k=7)),
                "questions": (" ".join(rng.choices(vocabulary, k=6)),),
                "body": " ".join(rng.choices(vocabulary, k=60)),
            }
        )
        for n, e in enumerate(real * 1000)
    ]
    nz = load_vocabulary(FIXTURES).normaliser()
    kb = KnowledgeBase.from_entries(real + fake, normaliser=nz, encoder=None)  # at scale
    assert len(kb.entries) == len(real) * 1001
    assert first(kb, "who can apply for a stalking protection order") == "spo-who-can-apply"
    assert first(kb, "whats max for 4a") == "s4a-maximum-sentence"
