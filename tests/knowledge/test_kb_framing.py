"""The framing around a question (greetings, thanks, references) and help requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.framing import Scope, is_greeting, strip_framing
from bot.knowledge.vocabulary import load_vocabulary, parse_vocabulary

ROOT = Path(__file__).resolve().parents[2]
# the scope is the network's own data, in its vocabulary beside its entries
SCOPE = load_vocabulary(ROOT / "knowledge").scope


def elsewhere(text: str) -> bool:
    return SCOPE.is_elsewhere(text)


QUESTION = "can an SPO stop him going near her work"


@pytest.mark.parametrize(
    "wrapped",
    [
        f"Hello team — {QUESTION}?",
        f"hiya, {QUESTION} ta",
        f"Good morning all. Quick question: {QUESTION}",
        f"urgent please!! {QUESTION}???",
        f"{QUESTION} [log 2231/01122026]",
        f"DC 3318 speaking, {QUESTION}, many thanks in advance",
        f"{QUESTION} (collar no. 6612) cheers",
        f"sorry to bother you - {QUESTION}... thank you!",
        f"**{QUESTION}**",
    ],
)
def test_framing_is_taken_off_and_the_question_kept(wrapped: str) -> None:
    assert strip_framing(wrapped) == QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "call 999 if he comes back to the house",
        "what is the right to know scheme",
        "is section 2 stalking summary only",
        "can I arrest for an SPO breach",
    ],
)
def test_words_that_belong_to_the_question_stay(text: str) -> None:
    assert strip_framing(text) == text


@pytest.mark.parametrize(
    "text",
    ["hi", "Hello!", "thanks", "Thank you so much", "help", "what can you do?", "Who are you",
     "how does this work?", "morning all", "cheers", "?", "thanks, that's really useful",
     "are you a real person", "what kind of things can I ask you?", "first time using this"],
)  # fmt: skip
def test_greetings_thanks_and_help(text: str) -> None:
    assert is_greeting(text)


@pytest.mark.parametrize(
    "text",
    ["help, he is outside her house", "hi, what is an SPO?", "thanks, and what about s4a?",
     "what can you do about a stalker who uses fake accounts"],
)  # fmt: skip
def test_a_question_with_a_greeting_is_not_a_greeting(text: str) -> None:
    assert not is_greeting(text)


@pytest.mark.parametrize(
    "text",
    [
        "what are the notification requirements for a registered sex offender",
        "max sentence for burglary",
        "how do I reset my laptop password",
        "when does the new shift rota come out",
        "how many days annual leave do I get",
        "max sentence for breaching a sexual harm prevention order",
        "is it s4 of the public order act for threatening words",
        "how do I fill in a missing person risk assessment",
        "ptp for common assault",
        "who can authorise a sec 60 and for how many hours",
        "my body armour is out of date, who replaces it",
        "can police apply for an fgm protection order",
        "grievance for being harassed by my sergeant",
        "a driver complained that we harassed him at a stop",
    ],
)
def test_other_parts_of_policing_are_elsewhere(text: str) -> None:
    assert elsewhere(text)


@pytest.mark.parametrize(
    "text",
    [
        "what are the notification requirements for someone on an SPO",
        "can a stalking suspect's firearms licence be revoked",
        "what is the sentence for stalking",
        "is it s4 or s4a for threats of violence",
        "can the PHA cover harassment at work by a colleague",
        "officer accused of stalking an ex, does psd deal with it",
    ],
)
def test_the_subject_is_never_elsewhere(text: str) -> None:
    assert not elsewhere(text)


def test_the_scope_is_the_networks_own_data() -> None:
    # Another network's vocabulary brings its own boundary; with none, nothing is sent away.
    other = parse_vocabulary(
        "elsewhere: ['parking fines?']\nown_subject: ['fraud\\w*']\nexamples: [scam-types]\n",
        Path("vocabulary.yaml"),
    ).scope
    assert other.is_elsewhere("who handles parking fines")
    assert not other.is_elsewhere("max sentence for burglary")
    assert not other.is_elsewhere("fraud and parking fines")
    assert other.examples == ("scam-types",)
    assert not Scope().is_elsewhere("max sentence for burglary")
    assert SCOPE.examples[0] == "stalking-or-harassment"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("elsewhere: ['burglar(y']", "not a valid pattern"),
        ("elsewhere: ['Burglary']", "not lower-case"),
        ("core: [stalk, stalk]", "listed twice"),
        ("elsewhere: theft", "expected a list of patterns"),
        ("examples: ['not an id']", "entry id"),
    ],
)
def test_a_bad_scope_is_named_by_kb_check(text: str, problem: str) -> None:
    with pytest.raises(Exception, match=problem):
        parse_vocabulary(text + "\n", Path("vocabulary.yaml"))
