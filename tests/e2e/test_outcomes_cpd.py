"""Consult outcomes and champions' CPD end to end over real HTTP: picks in the Resolve modal
that outlive the outcome's text, the officer's word on what the advice changed, CPD logged by a
champion and by a lead for many, the reminder before CPD falls due, *I attended*, and the bad
input every form refuses field by field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.domain.cpd import ActivityForm
from bot.models import (
    AuditEvent,
    ConsultOutcome,
    CpdActivity,
    CpdReminder,
    Request,
    Role,
    utcnow,
)
from bot.scheduler import purge_expired_text, remind_cpd
from bot.services import cpd, roster
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp
from tests.e2e.admin_helpers import champbot
from tests.e2e.helpers import blocks_of, buttons, ok_calls, posts_to, responses, text_of
from tests.e2e.test_broadcasts import confirm, open_form, values
from tests.seeding import log_cpd

CHAMPION2, CHAMPION3 = "UCHAMP2", "UCHAMP3"
LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"


def seed(app: RunningApp) -> None:
    app.emu.add_user(CHAMPION3, name="cara", real_name="Cara")
    with app.runtime.db.session() as s:
        for uid in (CHAMPION, CHAMPION2, CHAMPION3):
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)


def as_view(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def press(app: RunningApp, user: str, action_id: str, value: str, **where: Any) -> None:
    resp = app.slack.block_action(
        user=user,
        action_id=action_id,
        value=value,
        response_url=app.emu.response_url(action_id),
        **where,
    )
    assert resp.status == 200


def opened_view(app: RunningApp, before: int) -> dict[str, Any]:
    """The modal the bot opened after `before` views.open calls: as Slack returned it (its id)."""
    call = app.emu.wait_for(
        lambda e: (lambda c: c[-1] if len(c) > before else None)(ok_calls(app, "views.open"))
    )
    return as_view(call.response["view"])


def command(app: RunningApp, user: str, name: str, text: str) -> dict[str, Any]:
    before = len(app.emu.responses)
    app.slack.command(
        name, text, user=user, channel="CGENERAL", response_url=app.emu.response_url(name)
    )
    return dict(responses(app, count=before + 1)[-1].body)


def home_of(app: RunningApp, user: str) -> str:
    """Open App Home as `user`; the view the bot published for them."""
    before = len(ok_calls(app, "views.publish"))
    app.slack.home_opened(user=user, channel=app.im(user))
    call = app.emu.wait_for(
        lambda e: (lambda c: c[-1] if len(c) > before and c[-1].args["user_id"] == user else None)(
            ok_calls(app, "views.publish")
        )
    )
    return json.dumps(as_view(call.args["view"]))


def count(app: RunningApp, model: Any, *where: Any) -> int:
    with app.runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# Outcomes -------------------------------------------------------------------------------------


def resolve_with_picks(app: RunningApp, picks: dict[str, Any]) -> None:
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    offer = posts_to(app, CHAMPION, "Accept")
    value = buttons(blocks_of(offer))["Accept"]
    press(app, CHAMPION, "offer_accept", value, channel=offer.args["channel"])
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]
    before = len(ok_calls(app, "views.open"))
    press(app, CHAMPION, "request_resolve", buttons(blocks_of(consult))["Resolve"])
    view = opened_view(app, before)
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {"pick_offence", "pick_arrest", "pick_spo", "pick_risk", "pick_referrals"} <= blocks
    resp = app.slack.view_submission(
        user=CHAMPION,
        view=view,
        values={
            "outcome": {"value": {"type": "plain_text_input", "value": "advised s2A and an SPO"}},
            **picks,
        },
    )
    assert resp.status == 200 and resp.body in ("", "null"), resp.body


def radio(value: str) -> dict[str, Any]:
    return {"value": {"type": "radio_buttons", "selected_option": {"value": value}}}


def boxes(*chosen: str) -> dict[str, Any]:
    return {"value": {"type": "checkboxes", "selected_options": [{"value": v} for v in chosen]}}


def test_picks_outlive_the_purged_text_in_stats_and_app_home(app: RunningApp) -> None:
    seed(app)
    resolve_with_picks(
        app,
        {
            "pick_offence": radio("s2a"),
            "pick_arrest": radio("yes"),
            "pick_spo": radio("recommended"),
            "pick_risk": boxes("assessment", "marac"),
            "pick_referrals": boxes("helpline", "paladin"),
        },
    )
    with app.runtime.db.session() as s:
        row = s.get(ConsultOutcome, 1)
        assert row is not None and row.offence == "s2a" and row.marac and not row.risk_escalated
        assert row.referral_helpline and row.referral_paladin and not row.referral_isac
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "outcome.record")).one()
        assert "offence=s2a" in audit.detail and "advised" not in audit.detail

    # The officer says the advice changed what they did (and a second press changes nothing).
    asked = posts_to(app, OFFICER, "change what you did")
    value = buttons(blocks_of(asked))["Yes, it changed what I did"]
    before = len(app.emu.responses)
    press(app, OFFICER, "request_changed_practice", value, channel=asked.args["channel"])
    assert "changed what you did" in responses(app, count=before + 1)[-1].body["text"]
    assert count(app, ConsultOutcome, ConsultOutcome.changed_practice) == 1
    before = len(app.emu.responses)
    press(app, CHAMPION, "request_changed_practice", value)  # not the asker
    assert "Only the officer who asked" in responses(app, count=before + 1)[-1].body["text"]

    # Past the retention period the outcome's text goes; the picks stay in the figures.
    app.emu.wait_for(
        lambda e: count(app, AuditEvent, AuditEvent.action == "outcome.changed_practice")
    )
    with app.runtime.db.session() as s:  # a CPD note is free text too: purged with the rest
        log_cpd(
            s,
            CHAMPION,
            ActivityForm(title="Webinar", held_on=cpd.today_of(utcnow()), hours="1", note="x"),
            key="note",
        )
    moved = utcnow() + timedelta(days=app.runtime.settings.retention_days + 1)
    app.runtime.clock = lambda: moved
    purge_expired_text(app.runtime)
    app.runtime.clock = utcnow
    with app.runtime.db.session() as s:
        req = s.get(Request, 1)
        assert req is not None and req.outcome_note is None and req.text is None
        (activity,) = s.scalars(select(CpdActivity))
        assert activity.note is None and activity.hours == 1

    stats = json.dumps(champbot(app, LEAD, "stats"))
    for line in (
        "stalking offence advised (s2A, s4A): 1 (100%); harassment only (s2, s4): 0 (0%)",
        "SPO applied for or recommended: 1 (100%)",
        "arrest advised: 1 (100%)",
        "MARAC referrals: 1 (100%)",
        "referred on: ISAC or advocacy service 0, National Stalking Helpline 1, Paladin 1",
        "advice changed what the officer did: 1 of the 1 who said (100%)",
    ):
        assert line in stats, line
    home = home_of(app, LEAD)
    assert "stalking offence advised (s2A, s4A): 1 (100%)" in home
    assert "MARAC referrals: 1 (100%)" in home


def test_resolve_without_picks_counts_as_resolved_with_nothing_recorded(app: RunningApp) -> None:
    seed(app)
    resolve_with_picks(app, {})
    stats = json.dumps(champbot(app, LEAD, "stats"))
    assert "consults resolved: 1, 0 with what the advice covered" in stats
    assert "stalking offence advised (s2A, s4A): 0 (0%)" in stats


# CPD ------------------------------------------------------------------------------------------


def activity_values(
    *,
    title: str | None = "Paladin webinar: stalking and coercive control",
    held_on: date | None = None,
    hours: str | None = "1.5",
    provider: str | None = "Paladin",
    note: str | None = None,
    initial: bool = False,
) -> dict[str, Any]:
    on = held_on or datetime.now(UTC).date() - timedelta(days=2)
    return {
        "cpd_title": {"value": {"type": "plain_text_input", "value": title}},
        "cpd_held_on": {"value": {"type": "datepicker", "selected_date": on.isoformat()}},
        "cpd_hours": {"value": {"type": "number_input", "value": hours}},
        "cpd_provider": {"value": {"type": "plain_text_input", "value": provider}},
        "cpd_note": {"value": {"type": "plain_text_input", "value": note}},
        "cpd_kind": boxes("initial") if initial else boxes(),
    }


def log_form(app: RunningApp, user: str = CHAMPION) -> dict[str, Any]:
    """`/champion cpd`, then *Log CPD activity*: the form Slack opened."""
    reply = command(app, user, "/champion", "cpd")
    before = len(ok_calls(app, "views.open"))
    press(app, user, "cpd_log", buttons(reply["blocks"])["Log CPD activity"])
    return opened_view(app, before)


def test_a_champion_logs_cpd_and_sees_it(app: RunningApp) -> None:
    seed(app)
    reply = command(app, CHAMPION, "/champion", "cpd")
    assert "No CPD recorded yet" in json.dumps(reply)
    form = log_form(app)
    initial_on = datetime.now(UTC).date() - timedelta(days=200)
    resp = app.slack.view_submission(
        user=CHAMPION,
        view=form,
        values=activity_values(
            title="Stalking Champion course", held_on=initial_on, hours="5", initial=True
        ),
    )
    assert resp.json()["response_action"] == "update"
    form = log_form(app)
    resp = app.slack.view_submission(user=CHAMPION, view=form, values=activity_values(note="good"))
    answer = resp.json()
    assert answer["response_action"] == "update"
    assert "6.5 of 6 hours in the last 12 months" in json.dumps(answer["view"])
    # The same form sent again (a retry, a double click) logs nothing more.
    again = app.slack.view_submission(user=CHAMPION, view=form, values=activity_values(note="good"))
    assert "already logged" in json.dumps(again.json()["view"])
    assert count(app, CpdActivity, CpdActivity.user_id == CHAMPION) == 2
    assert count(app, AuditEvent, AuditEvent.action == "cpd.log") == 2

    shown = json.dumps(command(app, CHAMPION, "/champion", "cpd"))
    assert "Initial champion course:" in shown and "Paladin webinar" in shown
    assert "6.5 of 6 hours in the last 12 months" in shown
    due = cpd.today_of(utcnow()).replace(
        year=initial_on.year + 1, month=initial_on.month, day=initial_on.day
    )
    assert f"{due.day} {due:%b %Y}" in shown  # due a year after the oldest hours needed
    # App Home shows a champion the same record.
    home = home_of(app, CHAMPION)
    assert "Your CPD" in home and "6.5 of 6 hours" in home and "Log CPD activity" in home


def test_bad_cpd_input_is_refused_field_by_field_and_nothing_saved(app: RunningApp) -> None:
    seed(app)
    form = log_form(app)
    future = datetime.now(UTC).date() + timedelta(days=3)
    for fields, block in (
        ({"title": "   "}, "cpd_title"),
        ({"hours": "-2"}, "cpd_hours"),
        ({"hours": "25"}, "cpd_hours"),
        ({"hours": "lots"}, "cpd_hours"),
        ({"held_on": future}, "cpd_held_on"),
    ):
        answer = app.slack.view_submission(
            user=CHAMPION, view=form, values=activity_values(**fields)
        ).json()
        assert answer["response_action"] == "errors", fields
        assert list(answer["errors"]) == [block], answer
    assert count(app, CpdActivity) == 0

    # A lead's session with someone not on the roster as a champion: refused, nothing saved.
    session_form = lead_session_form(app)
    answer = app.slack.view_submission(
        user=LEAD, view=session_form, values=session_values(CHAMPION, OFFICER, hours="30")
    ).json()
    assert answer["response_action"] == "errors"
    assert OFFICER in answer["errors"]["cpd_attendees"] and "cpd_hours" in answer["errors"]
    assert count(app, CpdActivity) == 0

    # Only champions keep a CPD record; only leads record sessions.
    before = len(app.emu.responses)
    press(app, OFFICER, "cpd_log", "log")
    assert "Only champions" in responses(app, count=before + 1)[-1].body["text"]
    reply = command(app, OFFICER, "/champion", "cpd")
    assert "Only champions" in reply["text"]
    before = len(app.emu.responses)
    press(app, CHAMPION, "cpd_session", "session")
    assert "Only admins or leads" in responses(app, count=before + 1)[-1].body["text"]


def lead_session_form(app: RunningApp) -> dict[str, Any]:
    reply = command(app, LEAD, "/champion", "cpd")
    before = len(ok_calls(app, "views.open"))
    press(app, LEAD, "cpd_session", buttons(reply["blocks"])["Record a training session"])
    return opened_view(app, before)


def session_values(*attendees: str, hours: str = "3") -> dict[str, Any]:
    fields = activity_values(title="Force stalking CPD day", hours=hours, provider="Force L&D")
    del fields["cpd_note"]
    fields["cpd_attendees"] = {
        "value": {"type": "multi_users_select", "selected_users": list(attendees)}
    }
    return fields


def test_a_lead_records_a_session_for_three_champions(app: RunningApp) -> None:
    seed(app)
    form = lead_session_form(app)
    assert any(b.get("element", {}).get("type") == "multi_users_select" for b in form["blocks"])
    answer = app.slack.view_submission(
        user=LEAD, view=form, values=session_values(CHAMPION, CHAMPION2, CHAMPION3)
    ).json()
    assert answer["response_action"] == "update"
    assert "is logged for 3 champions" in json.dumps(answer["view"])
    for uid in (CHAMPION, CHAMPION2, CHAMPION3):
        told = posts_to(app, uid, "on your CPD record")
        assert f"<@{LEAD}>" in text_of(told)
    again = app.slack.view_submission(
        user=LEAD, view=form, values=session_values(CHAMPION, CHAMPION2, CHAMPION3)
    )
    assert "Already logged from this form for 3" in json.dumps(again.json()["view"])
    with app.runtime.db.session() as s:
        rows = list(s.scalars(select(CpdActivity)))
    assert sorted(r.user_id for r in rows) == sorted([CHAMPION, CHAMPION2, CHAMPION3])
    assert {(r.hours, r.recorded_by, r.source) for r in rows} == {(3.0, LEAD, "lead")}
    assert count(app, AuditEvent, AuditEvent.action == "cpd.log", AuditEvent.actor_id == LEAD) == 3
    # The lead's App Home: where the champions stand (3 hours of 6: all behind).
    home = home_of(app, LEAD)
    assert "0 of 3 meet the requirement" in home and f"<@{CHAMPION2}>: behind, 3 of 6 hours" in home
    assert count(app, AuditEvent, AuditEvent.action == "cpd.view", AuditEvent.actor_id == LEAD)


def log_for(app: RunningApp, user: str, days_ago: int, hours: str) -> None:
    with app.runtime.db.session() as s:
        on = cpd.today_of(utcnow()) - timedelta(days=days_ago)
        log_cpd(
            s,
            user,
            ActivityForm(title="Earlier CPD", held_on=on, hours=hours),
            key=f"seed-{user}-{days_ago}",
        )


def reminders_to(app: RunningApp, user: str) -> list[Any]:
    return [
        c
        for c in ok_calls(app, "chat.postMessage")
        if c.args.get("channel") == user and "CPD is due by" in text_of(c)
    ]


def test_a_reminder_goes_once_before_the_due_date(app: RunningApp) -> None:
    seed(app)
    log_for(app, CHAMPION, 345, "6")  # due in about 20 days: inside the 30-day reminder period
    log_for(app, CHAMPION2, 320, "6")  # due in about 45 days: not yet
    remind_cpd(app.runtime)
    posts_to(app, CHAMPION, "CPD is due by")
    remind_cpd(app.runtime)  # the next run, and a second clock, send nothing more
    assert len(reminders_to(app, CHAMPION)) == 1 and not reminders_to(app, CHAMPION2)
    assert count(app, CpdReminder) == 1

    # Twenty days on, the second champion is inside their reminder period: reminded once.
    moved = utcnow() + timedelta(days=20)
    app.runtime.clock = lambda: moved
    remind_cpd(app.runtime)
    remind_cpd(app.runtime)
    posts_to(app, CHAMPION2, "CPD is due by")
    assert len(reminders_to(app, CHAMPION2)) == 1 and len(reminders_to(app, CHAMPION)) == 1


# I attended -----------------------------------------------------------------------------------


def training_broadcast(app: RunningApp, starts: datetime) -> Any:
    form = open_form(app)
    fields = values(category="training", title="Paladin CPD webinar", ack=False)
    fields["session_at"] = {
        "value": {"type": "datetimepicker", "selected_date_time": int(starts.timestamp())}
    }
    fields["cpd_hours"] = {"value": {"type": "number_input", "value": "2"}}
    present = {b.get("block_id") for b in form["blocks"]}
    assert {"session_at", "cpd_hours"} <= present
    answer = app.slack.view_submission(user=LEAD, view=form, values=fields).json()
    assert answer["response_action"] == "push", answer
    assert confirm(app, answer["view"]) == {"response_action": "clear"}
    return posts_to(app, "CNETWORK", "I attended")


def attend(app: RunningApp, user: str, post: Any) -> str:
    before = len(app.emu.responses)
    value = buttons(blocks_of(post))["I attended"]
    press(app, user, "cpd_attended", value, channel="CNETWORK", message_ts=post.response["ts"])
    return str(responses(app, count=before + 1)[-1].body["text"])


def test_i_attended_logs_the_session_once_per_champion_once_it_has_happened(
    app: RunningApp,
) -> None:
    seed(app)
    starts = utcnow() + timedelta(hours=2)
    post = training_broadcast(app, starts)
    assert "Not yet" in attend(app, CHAMPION, post)
    assert count(app, CpdActivity) == 0

    moved = starts + timedelta(hours=3)
    app.runtime.clock = lambda: moved
    assert "is logged on your CPD record" in attend(app, CHAMPION, post)
    assert "already logged" in attend(app, CHAMPION, post)
    assert "is logged on your CPD record" in attend(app, CHAMPION2, post)
    assert "Only champions" in attend(app, LEAD, post)
    with app.runtime.db.session() as s:
        rows = list(s.scalars(select(CpdActivity)))
    assert sorted(r.user_id for r in rows) == sorted([CHAMPION, CHAMPION2])
    assert {(r.title, r.hours, r.source) for r in rows} == {
        ("Paladin CPD webinar", 2.0, "broadcast")
    }


def test_a_session_time_is_refused_on_a_broadcast_that_is_not_training(app: RunningApp) -> None:
    seed(app)
    form = open_form(app)
    fields = values(category="national_policy")
    fields["cpd_hours"] = {"value": {"type": "number_input", "value": "2"}}
    answer = app.slack.view_submission(user=LEAD, view=form, values=fields).json()
    assert answer["response_action"] == "errors" and "cpd_hours" in answer["errors"]
