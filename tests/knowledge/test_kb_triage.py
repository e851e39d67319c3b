"""The triage on the shipped knowledge base: greetings, neutral words, gaps, two entries."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeBase, Triage

GENERAL = [
    "how long does an SPO last",
    "max sentence for s4a",
    "whats the difference between stalking and harassment",
    "do they have spos in NI",
]
LIVE = [
    "my victim says her ex keeps turning up at her work, what should i charge him with",
    "he has breached his restraining order again, can i arrest him",
]
# Framing written apart from the evaluation's wrappers, so that the test is not of a list
# against itself.
FRAMES = [
    "Hello team — {q}",
    "hiya {q} ta",
    "Good morning all. Quick question: {q}",
    "urgent please!! {q}???",
    "{q} [log 2231/01122026]",
    "DC 3318 speaking, {q}, many thanks in advance",
    "{q} (collar no. 6612) cheers",
    "sorry to bother you - {q}... thank you!",
]


def _first(triage: Triage) -> str | None:
    hit = triage.best or (triage.hits[0] if triage.hits else None)
    return hit.entry.id if hit else None


@pytest.mark.parametrize("text", ["hi", "help", "thanks!", "what can you do?", "Hello?"])
def test_greetings_are_their_own_case(kb: KnowledgeBase, text: str) -> None:
    triage = kb.triage(text)
    assert triage.kind == "greeting" and triage.hits == [] and triage.best is None


def test_a_greeting_with_a_live_case_is_a_live_case(kb: KnowledgeBase) -> None:
    assert kb.triage("help, he is outside her house right now with a knife").kind == "live_case"


@pytest.mark.parametrize("question", GENERAL + LIVE)
def test_neutral_words_change_neither_case_nor_first_entry(
    kb: KnowledgeBase, question: str
) -> None:
    plain = kb.triage(question)
    for frame in FRAMES:
        framed = kb.triage(frame.replace("{q}", question))
        assert (framed.kind, _first(framed)) == (plain.kind, _first(plain)), frame


def test_a_live_case_with_a_job_reference_is_still_a_live_case(kb: KnowledgeBase) -> None:
    question = LIVE[0] + " (job ref 1006)"
    assert kb.triage(question).kind == "live_case"


@pytest.mark.parametrize(
    "question",
    [
        "what are the notification requirements for a registered sex offender",
        "whats the max sentence for burglary",
        "how do i reset my force laptop password",
        "when is the next shift rota out",
        "who do i ask about overtime payments",
        # a force's own business
        "when is the 2025 pay award being paid",
        "where do I record my protected learning time",
        "how long do we keep custody records for",
        "PACE custody clock - when does a superintendent need to authorise an extension",
        "member of the public wants to do a subject access request, how do they apply",
        "whats the force policy on bullying n harassment at work, how do i raise a grievance",
        "whats the max for breaching a criminal behaviour order",
    ],
)
def test_other_parts_of_policing_are_off_topic(kb: KnowledgeBase, question: str) -> None:
    triage = kb.triage(question)
    assert triage.kind == "off_topic" and triage.best is None and triage.hits == []


def test_two_entries_that_answer_a_question_between_them_are_both_given(
    kb: KnowledgeBase,
) -> None:
    triage = kb.triage("how long does an spo last and can it be varied")
    assert triage.kind == "answered" and triage.best is not None
    assert triage.best.entry.id == "spo-duration"
    assert triage.second is not None and triage.second.entry.id == "spo-variation-discharge-appeal"
    # one ask, one entry
    single = kb.triage("how long does an spo last")
    assert single.best is not None and single.best.entry.id == "spo-duration"
    assert single.second is None


def test_a_close_runner_up_is_offered_beside_the_answer(kb: KnowledgeBase) -> None:
    triage = kb.triage("does an english spo work in scotland")
    assert triage.best is not None and triage.best.entry.id == "spo-uk-wide-effect"
    assert [h.entry.id for h in triage.also] == ["scotland-protective-orders"]
    # a clear answer has no runner-up named
    assert kb.triage("what is the penalty for breaching an spo").also == ()


def test_another_areas_order_beside_the_subject_stays_on_the_subject(kb: KnowledgeBase) -> None:
    # a stalking question that names a criminal behaviour order is not sent elsewhere
    triage = kb.triage("is a criminal behaviour order any use in a stalking case")
    assert triage.kind != "off_topic"


@pytest.mark.parametrize(
    "question",
    [
        "urgent: victim just rang, he's parked at the end of her road with the engine running",
        "suspect sent a funeral wreath to her work today, she's in bits, how do i grade the risk?",
        "victim wants to withdraw on the stalking job but the risk is high, can we run it "
        "without her",
    ],
)
def test_a_greeting_or_reference_around_a_live_case_keeps_its_case(
    kb: KnowledgeBase, question: str
) -> None:
    assert kb.triage(question).kind == "live_case"
    for frame in FRAMES:
        assert kb.triage(frame.replace("{q}", question)).kind == "live_case", frame


def test_an_uncovered_question_shows_its_closest_entries_but_no_answer(kb: KnowledgeBase) -> None:
    triage = kb.triage("can a stalker be hypnotised")
    assert triage.kind == "not_covered" and not triage.also
    # the closest entries are offered at the fitted bar, for the officer and the curators
    assert triage.hits and triage.hits[0].entry.id == "stalking-perpetrator-interventions"
    assert all(h.score >= kb.related_threshold for h in triage.hits)
