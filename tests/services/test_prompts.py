"""The agent view's example questions: what officers ask most, each one answered by its entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Outcome, Question, Surface, utcnow
from bot.services import prompts
from bot.services.questions import handle
from bot.views.assistant import ASK_CHAMPION_MESSAGE
from tests.conftest import SERVICE_SETTINGS


def test_each_example_is_answered_by_its_own_entry(db: Database, kb: KnowledgeBase) -> None:
    now = utcnow()
    with db.session() as s:
        examples = prompts.suggested(session=s, kb=kb, now=now)
    assert len(examples) == prompts.EXAMPLES
    tags = [set(kb.get(e.entry_id).tags) for e in examples]  # type: ignore[union-attr]
    assert not (tags[0] & tags[1] or tags[0] & tags[2] or tags[1] & tags[2])  # three topics
    for example in examples:
        with db.session() as s:
            handled = handle(
                session=s,
                settings=SERVICE_SETTINGS,
                kb=kb,
                asker_id="U1",
                text=example.message,
                surface=Surface.DM,
                now=now,
            )
        assert handled.asked.outcome is Outcome.ANSWERED, example
        assert handled.asked.best and handled.asked.best.entry.id == example.entry_id


def test_the_ask_a_champion_prompt_is_a_live_case(db: Database, kb: KnowledgeBase) -> None:
    with db.session() as s:
        handled = handle(
            session=s,
            settings=SERVICE_SETTINGS,
            kb=kb,
            asker_id="U1",
            text=ASK_CHAMPION_MESSAGE,
            surface=Surface.DM,
        )
        assert handled.asked.outcome is Outcome.LIVE_CASE and handled.request is not None


def test_the_most_asked_entries_come_first_and_old_questions_count_less(
    db: Database, kb: KnowledgeBase
) -> None:
    now = utcnow()
    popular, second, stale = "spo-duration", "national-stalking-helpline", "masip"
    with db.session() as s:
        for entry_id, times, ago in [
            (popular, 3, timedelta(days=1)),
            (second, 2, timedelta(days=2)),
            (stale, 9, prompts.WINDOW + timedelta(days=1)),  # asked long ago
        ]:
            for _ in range(times):
                s.add(
                    Question(
                        asker_id="U1",
                        surface=Surface.DM,
                        outcome=Outcome.ANSWERED,
                        entry_id=entry_id,
                        asked_at=now - ago,
                    )
                )
        # not answered: a not-covered question's closest entry is no example of an answer
        s.add(
            Question(
                asker_id="U1",
                surface=Surface.DM,
                outcome=Outcome.NOT_COVERED,
                entry_id="sash-screening-tool",
            )
        )
    with db.session() as s:
        examples = prompts.suggested(session=s, kb=kb, now=now)
    assert [e.entry_id for e in examples[:2]] == [popular, second]
    assert stale not in {e.entry_id for e in examples} and "sash-screening-tool" not in {
        e.entry_id for e in examples
    }


def test_entries_past_review_or_for_a_champion_are_never_examples(kb: KnowledgeBase) -> None:
    today = utcnow().date()
    first = prompts.pick(kb.entries, today=today)
    overdue = replace(kb.get(first[0].entry_id), review_by=today - timedelta(days=1))  # type: ignore[type-var]
    referred = replace(kb.get(first[1].entry_id), refer_to_champion=True)  # type: ignore[type-var]
    entries = [
        overdue if e.id == overdue.id else referred if e.id == referred.id else e
        for e in kb.entries
    ]
    asked = {overdue.id: 50, referred.id: 40}
    picked = {e.entry_id for e in prompts.pick(entries, today=today, asked=asked)}
    assert overdue.id not in picked and referred.id not in picked
    assert len(picked) == prompts.EXAMPLES


def test_the_examples_cover_different_topics_while_there_are_enough(kb: KnowledgeBase) -> None:
    today = utcnow().date()
    # three SPO entries asked most: one of them, then the next most asked on another topic
    asked = {"spo-duration": 9, "spo-overview": 8, "spo-cps-role": 7, "masip": 2}
    picked = [e.entry_id for e in prompts.pick(kb.entries, today=today, asked=asked)]
    assert picked[:2] == ["spo-duration", "masip"]
    assert not {"spo-overview", "spo-cps-role"} & set(picked)
    # one topic only: the examples repeat it rather than fall short
    spo = [e for e in kb.entries if "spo" in e.tags]
    assert len(prompts.pick(spo, today=today, asked=asked)) == prompts.EXAMPLES
