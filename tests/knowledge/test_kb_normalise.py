"""The normaliser, stemmer and typo corrector behind the search."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.stem import stem
from bot.knowledge.typos import TypoCorrector, edit_distance
from bot.knowledge.vocabulary import load_vocabulary

FIXTURES = Path(__file__).parent / "fixtures" / "kb"

NZ = load_vocabulary(FIXTURES).normaliser()  # the shipped vocabulary's copy


@pytest.mark.parametrize(
    "variants",
    [
        ["s2A", "section 2A", "2a", "sec 2a", "s.2A", "S 2A", "Section 2a"],
        ["s4A", "section 4a", "4A", "sect. 4A"],
        ["SPO", "stalking protection order", "Stalking Protection Orders", "spos"],
        ["PHA", "Protection from Harassment Act"],
        ["VRR", "victims right to review", "victim's right to review", "right to review"],
        ["ISAC", "independent stalking advocacy caseworker", "stalking advocate"],
        ["MARAC", "multi agency risk assessment conference"],
        ["restraining order", "RO"],
        ["CPS", "Crown Prosecution Service", "prosecutors"],
        ["HOCR", "Home Office Counting Rules", "crime recording"],
        ["S-DASH", "SDASH"],
        ["harassment warning", "police information notice"],
        ["arrest", "nick", "lift", "arrested"],
        ["maximum", "max"],
        ["sentence", "sentance", "penalty", "sentencing"],
        ["harassment", "harrasment", "harassing"],
        ["stalking", "stalkin", "stalked"],
        ["cyberstalking", "cyber stalking", "online stalking", "cyber-stalking"],
        ["ex-partner", "her ex", "former partner", "ex boyfriend"],
    ],
)
def test_variants_meet_in_one_form(variants: list[str]) -> None:
    # every spelling yields the first one's terms (a full name may keep some words as well)
    canonical = set(NZ.analyse(variants[0]))
    assert canonical
    for variant in variants[1:]:
        assert canonical <= set(NZ.analyse(variant)), (variant, NZ.analyse(variant))


def test_stop_words_and_text_speak_go() -> None:
    assert NZ.analyse("wot is the diff between stalking n harassment") == [
        "differ",
        "stalk",
        "harass",
    ]
    assert NZ.analyse("who do i ring for advice") == ["call", "advic"]
    assert NZ.analyse("what is it") == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("stalking", "stalk"),
        ("stalked", "stalk"),
        ("harassment", "harass"),
        ("breaches", "breach"),
        ("investigation", "investig"),
        ("investigating", "investig"),
        ("relational", "relat"),
        ("hopping", "hop"),
        ("spo", "spo"),
    ],
)
def test_stemmer(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("form", "from", 2) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("kitten", "sitting", 1) == 2  # stops early, past the limit


def test_typo_corrector() -> None:
    corrector = TypoCorrector({"harassment": 5, "sentence": 3, "stalking": 9, "apply": 2})
    assert corrector.correct("harrasment") == "harassment"
    assert corrector.correct("sentance") == "sentence"
    assert corrector.correct("stalkin") == "stalking"
    assert corrector.correct("aply") == "apply"
    assert corrector.correct("stalking") is None  # already a word
    assert corrector.correct("canteen") is None  # nothing near
    assert corrector.correct("spo") is None  # too short to guess
    # a word known to be English is no typo, however near a vocabulary word it is
    assert corrector.correct("apple") == "apply"
    corrector.english = {"apple"}.__contains__
    assert corrector.correct("apple") is None
    assert corrector.correct("harrasment") == "harassment"
