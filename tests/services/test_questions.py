"""Question services on SQLite and PostgreSQL: recording, feedback, retention, deduplication."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db import Database, SchemaOutOfDate
from bot.knowledge import KnowledgeBase
from bot.models import (
    AuditEvent,
    CurationItem,
    CurationReason,
    Feedback,
    Outcome,
    Question,
    Role,
    Surface,
)
from bot.services import NotAllowed, ServiceError, questions, roster

SUBJECT = "stalking and harassment"


def ask(db: Database, kb: KnowledgeBase, text: str, **kw: object) -> questions.Asked:
    with db.session() as s:
        return questions.ask(
            session=s, kb=kb, asker_id="U1", text=text, surface=Surface.DM, subject=SUBJECT, **kw
        )  # type: ignore[arg-type]


def test_an_answered_question_is_recorded(db: Database, kb: KnowledgeBase) -> None:
    asked = ask(db, kb, "what is the maximum sentence for stalking involving fear of violence")
    assert asked.outcome is Outcome.ANSWERED and asked.best is not None
    with db.session() as s:
        q = s.get(Question, asked.question_id)
        assert q is not None and q.entry_id == asked.best.entry.id and q.text
        assert s.scalar(select(func.count()).select_from(CurationItem)) == 0


def test_empty_and_huge_questions_are_refused_and_not_stored(
    db: Database, kb: KnowledgeBase
) -> None:
    with pytest.raises(ServiceError, match="Ask me a question"):
        ask(db, kb, " \x00\u200b ")
    with pytest.raises(ServiceError, match="too long"):
        ask(db, kb, "x" * 50_000)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 0


def test_faq_never_makes_a_live_case(db: Database, kb: KnowledgeBase) -> None:
    case = "my victim's ex breached his SPO last night, should i charge him"
    # The same words asked normally are a live case, so the search-only answer below is /faq's
    # doing, not a miss of the live-case detection.
    assert ask(db, kb, case).outcome is Outcome.LIVE_CASE
    asked = ask(db, kb, case, search_only=True)
    assert asked.outcome in (Outcome.ANSWERED, Outcome.NOT_COVERED)


def test_feedback_is_idempotent_and_only_the_askers(db: Database, kb: KnowledgeBase) -> None:
    asked = ask(db, kb, "what does the FOUR mnemonic stand for")
    with db.session() as s, pytest.raises(NotAllowed):
        questions.give_feedback(
            session=s, question_id=asked.question_id, user_id="U2", helpful=False
        )
    for _ in range(3):
        with db.session() as s:
            questions.give_feedback(
                session=s, question_id=asked.question_id, user_id="U1", helpful=False
            )
    with db.session() as s:
        assert s.get(Question, asked.question_id).feedback is Feedback.NOT_HELPFUL  # type: ignore[union-attr]
        reasons = list(s.scalars(select(CurationItem.reason)))
        assert reasons.count(CurationReason.NOT_HELPFUL) == 1
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["question.ask", "question.feedback", "curation.add"]
    with db.session() as s, pytest.raises(ServiceError):
        questions.give_feedback(session=s, question_id=999_999, user_id="U1", helpful=True)


def test_postgres_refuses_an_out_of_date_schema(pg: Database) -> None:
    with pg.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        with pytest.raises(SchemaOutOfDate, match="champbot db upgrade"):
            Database(pg.url).ensure_schema()
    finally:
        with pg.engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": pg.head_revision()}
            )


def test_sqlite_migrates_by_itself(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/fresh.db")
    assert db.current_revision() is None
    db.ensure_schema()
    assert db.current_revision() == db.head_revision()


SETTINGS = Settings.from_env({"CHAMPBOT_QUEUE_CHANNEL": "CQUEUE"}, dotenv=None)


def test_a_greeting_is_introduced_and_not_recorded(db: Database, kb: KnowledgeBase) -> None:
    for greeting in ("hi", "thanks!", "help", "what can you do?"):
        asked = ask(db, kb, greeting)
        assert asked.question_id is None and asked.outcome is None
        assert asked.shown.case == "greeting" and len(asked.shown.entries) == 3
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 0
        assert s.scalar(select(func.count()).select_from(CurationItem)) == 0


def test_the_reply_is_stored_and_drawn_again_after_feedback(
    db: Database, kb: KnowledgeBase
) -> None:
    asked = ask(db, kb, "how long does an spo last and can it be varied")
    first = asked.shown
    assert [e.id for e in first.entries] == ["spo-duration", "spo-variation-discharge-appeal"]
    assert asked.question_id is not None
    with db.session() as s:
        questions.give_feedback(
            session=s, question_id=asked.question_id, user_id="U1", helpful=True
        )
        again = questions.shown_for(session=s, kb=kb, question_id=asked.question_id)
    assert (again.case, again.entries, again.also) == (first.case, first.entries, first.also)
    assert again.helpful is True and first.helpful is None


def test_an_uncovered_question_keeps_its_closest_entries_to_offer(
    db: Database, kb: KnowledgeBase
) -> None:
    asked = ask(db, kb, "can we seize a stalker's drone")
    assert asked.outcome is Outcome.NOT_COVERED and asked.question_id is not None
    assert asked.shown.entries == () and asked.shown.also
    with db.session() as s:
        again = questions.shown_for(session=s, kb=kb, question_id=asked.question_id)
    assert again.also == asked.shown.also


def test_a_live_case_is_drawn_again_with_its_risk_line_and_request(
    db: Database, kb: KnowledgeBase
) -> None:
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
    with db.session() as s:
        handled = questions.handle(
            session=s,
            settings=SETTINGS,
            kb=kb,
            asker_id="UOFFICER1",
            text="he is outside her house right now threatening to kill her, did he breach the spo",
            surface=Surface.DM,
        )
    assert handled.request is not None and handled.asked.question_id is not None
    assert handled.shown.request_id == handled.request.id and handled.shown.immediate_risk
    with db.session() as s:
        again = questions.shown_for(session=s, kb=kb, question_id=handled.asked.question_id)
    assert again.case == "live_case" and again.immediate_risk
    assert again.request_id == handled.request.id
    assert again.entries == handled.shown.entries and again.entries
