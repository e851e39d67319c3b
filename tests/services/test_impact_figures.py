"""The impact report's figures (on SQLite and PostgreSQL) and the small-number rule's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import Database
from bot.domain.impact import NO_CLOSE_ENTRY, Disclosure
from bot.knowledge import KnowledgeBase
from bot.models import Role, Surface
from bot.services import impact, questions, requests, roster
from bot.views.impact import Words, cpd_rows, gap_rows
from tests import seeding
from tests.conftest import SERVICE_SETTINGS as SETTINGS

START = datetime(2026, 10, 5, 9, tzinfo=UTC)
DATING_APP = "is using a dating app to find someone stalking"


def test_officers_helped_months_and_gaps(db: Database, kb: KnowledgeBase) -> None:
    tags = {e.id: list(e.tags) for e in kb.entries}
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
        for n, (who, text) in enumerate(
            [
                ("UOFF1", "max sentence for s4a"),  # answered: helped
                ("UOFF1", "who can apply for an spo"),  # the same officer again
                # not covered, and no entry close
                ("UOFF2", "do volcanoes have anything to do with stalking"),
                ("UOFF3", DATING_APP),  # not covered, with entries close
                ("UOFF4", "parking permit at hq"),  # off topic: asked, not helped
            ]
        ):
            questions.ask(
                session=s, kb=kb, asker_id=who, text=text, surface=Surface.DM,
                subject=SETTINGS.subject, now=START + timedelta(hours=n),
            )  # fmt: skip
        case = questions.handle(
            session=s, settings=SETTINGS, kb=kb, asker_id="UOFF5",
            text="my victim says her ex keeps following her home, should i arrest him",
            surface=Surface.DM, now=START + timedelta(days=30),
        ).request  # fmt: skip
        assert case is not None
        waiting = questions.handle(
            session=s, settings=SETTINGS, kb=kb, asker_id="UOFF6",
            text="the suspect keeps sending her messages from new accounts, can i arrest now",
            surface=Surface.DM, now=START + timedelta(days=31),
        ).request  # fmt: skip
        assert waiting is not None  # routed, never taken: UOFF6 asked but was not helped
        requests.claim(session=s, settings=SETTINGS, request_id=case.id, champion_id="UCHAMP1",
                       caller=seeding.member(s, "UCHAMP1"),
                       now=START + timedelta(days=30, minutes=7))  # fmt: skip
    with db.session() as s:
        report = impact.build(
            session=s, since=START - timedelta(days=4), until=START + timedelta(days=40),
            zone="Europe/London", network_name="Stalking Champions", tags=tags, settings=SETTINGS,
        )  # fmt: skip
    # Seven questions from six officers; UOFF1 (answered) and UOFF5 (reached a champion) were
    # helped; UOFF6's case still waits.
    assert (report.officers_asked, report.officers_helped) == (6, 2)
    assert [m.start.month for m in report.months] == [10, 11]
    assert [(m.officers_asked, m.officers_helped) for m in report.months] == [(4, 1), (2, 1)]
    assert [m.figures.requests.reached_champion for m in report.months] == [0, 1]
    topics = {g.topic: g.not_covered for g in report.gaps}
    # an uncovered question's gap is the topic of the closest entry, whichever that is now
    closest = kb.search(DATING_APP)[0].entry.id
    assert topics == {NO_CLOSE_ENTRY: 1, tags[closest][0]: 1}


def test_a_small_part_or_remainder_is_never_shown() -> None:
    words = Words(Disclosure(5))
    assert words.count(0) == "0" and words.count(4) == "fewer than 5" and words.count(5) == "5"
    assert words.part(12, 40) == "12 (30%)"
    assert words.part(3, 40) == "fewer than 5"
    # 38 of 40 would give away the other 2: a lower bound instead.
    assert words.part(38, 40) == "at least 36 (90%)"
    assert words.part(40, 40) == "40 (100%)"
    assert words.part(2, 3).startswith("too few to show")
    assert words.share(19, 20) == "at least 80%"
    assert words.part(0, 0) == "none"


def test_one_small_count_of_a_set_takes_the_next_smallest_with_it() -> None:
    d = Disclosure(5)
    assert d.hidden([14, 3, 9, 0]) == {1, 2}  # 3 alone would be 20 - 14 - 9 - 0
    assert d.hidden([14, 3, 2, 1]) == {1, 2, 3}
    assert d.hidden([14, 6, 9, 0]) == set()


def test_cpd_rows_and_gaps_follow_the_rule() -> None:
    from bot.domain.figures import CpdFigures, Figures, QuestionFigures, RequestFigures
    from bot.domain.impact import Gap

    q = QuestionFigures(None, 0, {}, 0, 0, 0, 0)
    r = RequestFigures(None, 0, 0, 0, 0, 0, 0, 0, [], [], 0, 0)
    cpd = CpdFigures(required_hours=6, champions=20, met=14, due_soon=3, behind=3, none_recorded=0)
    rows = {row.label: row.value for row in cpd_rows(Figures(None, None, q, r, cpd=cpd), Words(
        Disclosure(5)))}  # fmt: skip
    assert rows["Champions"] == "20"
    assert rows["Meeting the requirement, not due soon"] == "14 (70%)"
    assert rows["Meeting it, due within the reminder period"] == "fewer than 5"
    assert rows["Behind on CPD"] == "fewer than 5"
    shown, left_out = gap_rows([Gap("spo", 10, 2), Gap("cyber", 3, 1)], Words(Disclosure(5)))
    # The 2 is hidden, and so is the 10 beside it (else 12 - 10 gives it away).
    assert shown == [["spo", "not shown", "fewer than 5", "12"]] and left_out == 1
