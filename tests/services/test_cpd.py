"""CPD rules: where a champion stands, the reminder claimed once under a race, the note purged
while the activity stays, and outcome figures as shares of the consults resolved."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from bot.db import Database
from bot.domain.cpd import ActivityForm, ActivityKind, CpdState, Logged, standing
from bot.domain.errors import InvalidActivity
from bot.domain.outcomes import OffenceAdvised, OutcomePicks, RiskStep, SpoAdvice
from bot.models import CpdActivity, CpdReminder, OutboxMessage, Role, utcnow
from bot.services import cpd, outcomes, requests, roster, stats
from tests import seeding
from tests.conftest import CHAMPION, OFFICER, SERVICE_SETTINGS
from tests.seeding import log_cpd

TODAY = date(2026, 12, 1)


def test_standing_counts_the_last_twelve_months_and_dates_the_next_due() -> None:
    logged = [
        Logged(date(2026, 3, 1), 4),
        Logged(date(2026, 9, 1), 3, ActivityKind.INITIAL, "Paladin"),
        Logged(date(2025, 6, 1), 10),  # more than a year ago: no longer counts
    ]
    s = standing("U", logged, today=TODAY, required=6, reminder_days=30)
    assert (s.hours_last_year, s.state, s.initial_on, s.initial_provider) == (
        7,
        CpdState.MET,
        date(2026, 9, 1),
        "Paladin",
    )
    assert s.due_on == date(2027, 3, 1)  # the March hours are needed: a year on, it is due
    soon = standing("U", logged, today=date(2027, 2, 10), required=6, reminder_days=30)
    assert soon.state is CpdState.DUE_SOON
    behind = standing("U", logged[:1], today=TODAY, required=6, reminder_days=30)
    assert (behind.state, behind.due_on) == (CpdState.BEHIND, TODAY)
    assert standing("U", [], today=TODAY, required=6, reminder_days=30).state is CpdState.NONE
    future = [Logged(TODAY + timedelta(days=3), 8)]  # not yet happened: does not count
    assert standing("U", future, today=TODAY, required=6, reminder_days=30).state is CpdState.NONE


def test_a_29_february_activity_falls_due_on_28_february() -> None:
    s = standing(
        "U", [Logged(date(2028, 2, 29), 6)], today=date(2028, 3, 1), required=6, reminder_days=30
    )
    assert s.due_on == date(2029, 2, 28)


def _seed(db: Database, days_ago: int = 345) -> None:
    with db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
        log_cpd(
            s,
            CHAMPION,
            ActivityForm(
                title="Webinar",
                held_on=cpd.today_of(utcnow()) - timedelta(days=days_ago),
                hours="6",
                note="asked about case 12",
            ),
            key="seed",
        )


@pytest.mark.postgres
def test_two_clocks_remind_once(pg: Database) -> None:
    _seed(pg)
    now = utcnow()
    with pg.session() as s:
        assert cpd.due_reminders(session=s, settings=SERVICE_SETTINGS, now=now) == [CHAMPION]
    start = threading.Barrier(2)
    sent: list[bool] = []

    def clock() -> None:
        start.wait()
        with pg.session() as s:
            sent.append(cpd.remind(session=s, settings=SERVICE_SETTINGS, user_id=CHAMPION, now=now))

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pg.session() as s:
        assert s.query(CpdReminder).count() == 1
        assert s.query(OutboxMessage).filter(OutboxMessage.ref.like("cpd-remind:%")).count() == 1
        assert cpd.due_reminders(session=s, settings=SERVICE_SETTINGS, now=now) == []
    assert sorted(sent) == [False, True], sent


def test_the_note_is_purged_and_the_activity_stays(db: Database) -> None:
    _seed(db)
    later = utcnow() + timedelta(days=91)
    with db.session() as s:
        assert cpd.purge_expired_notes(session=s, retention_days=90, now=later) == 1
    with db.session() as s:
        (row,) = s.query(CpdActivity).all()
        assert row.note is None and row.note_purged_at is not None and row.hours == 6
        figures = cpd.figures(session=s, settings=SERVICE_SETTINGS, now=utcnow())
        assert (figures.champions, figures.compliant, figures.due_soon) == (1, 1, 1)


def test_a_lead_cannot_log_for_a_stranger_and_a_half_valid_form_saves_nothing(db: Database) -> None:
    _seed(db)
    with db.session() as s:
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    with db.session() as s, pytest.raises(InvalidActivity) as refused:
        cpd.record_session(
            session=s,
            settings=SERVICE_SETTINGS,
            lead_id="ULEAD1",
            caller=seeding.member(s, "ULEAD1"),
            form=ActivityForm(title="Day", held_on=cpd.today_of(utcnow()), hours="3"),
            attendees=[CHAMPION, "USTRANGER"],
            key="v1",
        )
    assert "USTRANGER" in refused.value.errors["cpd_attendees"]
    with db.session() as s:
        assert s.query(CpdActivity).count() == 1  # only the seeded one


def test_outcome_figures_are_shares_of_the_consults_resolved(db: Database) -> None:
    picks = [
        OutcomePicks(offence=OffenceAdvised.S4A, spo=SpoAdvice.APPLIED),
        OutcomePicks(offence=OffenceAdvised.S2, risk=frozenset({RiskStep.MARAC})),
        OutcomePicks(),
    ]
    with db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
        for chosen in picks:
            req, _ = requests.create(
                session=s, settings=SERVICE_SETTINGS, asker_id=OFFICER, text="he follows her"
            )
            seeding.claim_and_resolve(s, SERVICE_SETTINGS, req.id, CHAMPION, picks=chosen)
        outcomes.record_changed(session=s, request_id=1, user_id=OFFICER, changed=True)
        outcomes.record_changed(session=s, request_id=2, user_id=OFFICER, changed=False)
    with db.session() as s:
        o = stats.figures(session=s, settings=SERVICE_SETTINGS).outcomes
    assert (o.resolved, o.recorded, o.stalking_offence, o.harassment_only) == (3, 2, 1, 1)
    assert (o.spo_applied_or_recommended, o.marac, o.arrest_advised) == (1, 1, 0)
    assert o.of_resolved(o.stalking_offence) == pytest.approx(1 / 3)
    assert (o.changed_practice, o.unchanged_practice, o.changed_share) == (1, 1, 0.5)
