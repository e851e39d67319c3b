"""The monthly summary's claim: two clocks asking at the same instant post it once (PostgreSQL),
and a month with no lead to tell is not claimed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.db import Database
from bot.models import OutboxMessage, Outcome, Question, ReportRun, Role, Surface
from bot.services import monthly, roster
from tests.conftest import SERVICE_SETTINGS

SETTINGS = SERVICE_SETTINGS.__class__.from_env(
    {"CHAMPBOT_REPORT_CRON": "0 8 1 * *", "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE"}, dotenv=None
)
NOW = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)


def _impact_rows(db: Database) -> int:
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.ref.startswith("impact:"))
            )
            or 0
        )


def _asked_in_november(db: Database) -> None:
    with db.session() as s:
        s.add(
            Question(
                asker_id="UOFF1",
                surface=Surface.DM,
                text=None,
                outcome=Outcome.OFF_TOPIC,
                asked_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            )
        )


def test_two_clocks_at_once_post_the_summary_once(pg: Database) -> None:
    _asked_in_november(pg)
    with pg.session() as s:
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def clock() -> None:
        barrier.wait()
        with pg.session() as s:
            results.append(monthly.send_summary(session=s, settings=SETTINGS, tags={}, now=NOW))

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [False, True]
    assert _impact_rows(pg) == 2  # the lead's summary and its PDF
    with pg.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportRun)) == 1
        # A later run in the same month adds nothing.
        assert not monthly.send_summary(session=s, settings=SETTINGS, tags={}, now=NOW)
    assert _impact_rows(pg) == 2


def test_no_activity_or_no_lead_no_claim(db: Database) -> None:
    with db.session() as s:
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    with db.session() as s:  # nothing asked before December: no November to report
        assert not monthly.send_summary(session=s, settings=SETTINGS, tags={}, now=NOW)
    _asked_in_november(db)
    with db.session() as s:
        roster.remove(session=s, slack_user_id="ULEAD1")
    with db.session() as s:
        assert not monthly.send_summary(session=s, settings=SETTINGS, tags={}, now=NOW)
        assert s.scalar(select(func.count()).select_from(ReportRun)) == 0
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    with db.session() as s:
        assert monthly.send_summary(session=s, settings=SETTINGS, tags={}, now=NOW)
    assert _impact_rows(db) == 2
