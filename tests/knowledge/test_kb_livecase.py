"""Live-case and immediate-risk detection from the wording of a question."""

from __future__ import annotations

import pytest

from bot.knowledge.livecase import detect


@pytest.mark.parametrize(
    "text",
    [
        "my victim says he keeps turning up",
        "on this job what do i do",
        "should I charge",
        "what should I charge him with",
        "is that a breach",
        "he has breached his SPO",
        "can I arrest him",
        "John Smith keeps texting her",
        "Mr Patel has sent 20 letters",
        "she says he follows her home",
        "the suspect has sent 40 messages",
        "the ex keeps calling",
        "her ex keeps turning up at work",
        "I've got a job where the IP is being followed",
        "does this count as stalking",
        "can a champion look over my MG3 before it goes to CPS",
        "incidents on my file go back to 2016, which max applies",
    ],
)
def test_live_cases(text: str) -> None:
    signals = detect(text)
    assert signals.live_case and signals.reasons


@pytest.mark.parametrize(
    "text",
    [
        "what is the max sentence for s4A",
        "whats max for 4a",
        "what is an SPO",
        "who is the Suzy Lamplugh Trust",
        "what counts as cyber stalking",
        "is threats to kill an offence",
        "what happens if a suspect breaches an SPO",
        "stalking by an ex partner, is it domestic abuse",
        "how do I apply for a Stalking Protection Order",
        "What did the Crown Prosecution Service say",
    ],
)
def test_general_questions_are_not_live_cases(text: str) -> None:
    known = {"suzy", "lamplugh", "trust", "stalking", "protection", "order", "crown"}
    known |= {"prosecution", "service"}
    assert not detect(text, known_words=known).live_case


@pytest.mark.parametrize(
    "text",
    [
        "he is outside her house now",
        "he's threatening to kill her",
        "he has a knife",
        "he is at her door right now",
        "the ex is trying to get in, she is in danger",
    ],
)
def test_immediate_risk(text: str) -> None:
    signals = detect(text)
    assert signals.immediate_risk and signals.live_case


@pytest.mark.parametrize(
    "text",
    [
        "he turned up outside her house last week",
        "what is the offence of threats to kill",
        "my victim is worried he will come back",
    ],
)
def test_no_immediate_risk(text: str) -> None:
    assert not detect(text).immediate_risk


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("DASH came out at 12 yeses on mine, does it go to marac", "this job"),
        ("victim wants to withdraw on the stalking job, what now", "this job"),
        ("can he see the kids under the spo conditions we got for her", "this job"),
        ("victim is very anxious about seeing him in court", "the victim's state"),
        ("suspect sent a wreath to her work today, how do i grade it", "someone's act today"),
        ("he's parked at the end of her road with the lights off", "facts about him or her"),
        ("victim just rang to say he is outside", "case facts"),
        ("the risk is high, can we run it without her", "without the victim"),
        # told through the victim's news, a job, what the suspect did or what to do now
        ("victim found a tracker under her car seat, how do i handle it", "the victim's news"),
        ("the vic wants me to drop it now he's apologised", "the victim's news"),
        ("told by the IP that he has a key to her flat", "the victim's news"),
        ("my victim is a 15 year old lad getting snaps off an adult", "the victim's news"),
        ("got a job where the suspect is her landlord, any advice", "a job where"),
        ("cps bounced my harassment file, thoughts?", "a job where"),
        ("suspect messaged the victim from a fake number again", "what someone did to the victim"),
        ("stalker has been bailed but ringing the victim", "what someone did to the victim"),
        ("ex keeps setting up new accounts to post about him", "keeps doing"),
        ("he turned up at her work twice, what now", "what now"),
        ("risk came out medium but my gut says otherwise", "what now"),
        ("our interim order was refused by the bench this morning", "a decision today"),
    ],
)
def test_a_case_of_ones_own_in_other_words(text: str, reason: str) -> None:
    signals = detect(text)
    assert signals.live_case and reason in signals.reasons


@pytest.mark.parametrize(
    "text",
    [
        "what can go in an spo",
        "can a victim withdraw her statement and the case still go ahead",
        "which special measures can a stalking victim ask for in court",
        "does a stalking protection order need a conviction first",
        "should she block him on everything?",
        "who do i contact about a broken radio",
        "whats on in the canteen today",
        "who won the match last night",
        "victim has moved force areas, which force keeps the investigation",
        "what if the suspect keeps contacting her after charge",
        "can a victim apply for an spo herself",
        "is there a time limit for harassment, job ref 1234",
    ],
)
def test_general_questions_in_those_words_are_not_live_cases(text: str) -> None:
    assert not detect(text).live_case


def test_she_is_home_alone_now_is_immediate_risk() -> None:
    assert detect("address is online and shes at home alone now").immediate_risk
