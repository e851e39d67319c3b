"""Requests end to end: routing, offers, the queue, claims, the consult and the clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.models import OutboxMessage, OutboxStatus, Request, RequestStatus, Role, utcnow
from bot.scheduler import sweep
from bot.services import roster
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp
from tests.e2e.helpers import (
    blocks_of,
    buttons,
    ok_calls,
    posts_to,
    responses,
    text_of,
    updates_of,
)

CHAMPION2 = "UCHAMP2"
LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"


def seed(app: RunningApp, *champions: str) -> None:
    with app.runtime.db.session() as s:
        for uid in champions or (CHAMPION, CHAMPION2):
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)


def click(app: RunningApp, user: str, call: object, label: str) -> None:
    """Press the button `label` on the message a recorded call posted or updated."""
    args = call.args  # type: ignore[attr-defined]
    ts = args.get("ts") or call.response["ts"]  # type: ignore[attr-defined]
    channel = call.response.get("channel") or args["channel"]  # type: ignore[attr-defined]
    value = buttons(blocks_of(call))[label]
    action = {
        "Accept": "offer_accept",
        "Pass": "offer_pass",
        "Claim": "request_claim",
        "Resolve": "request_resolve",
        "Release": "request_release",
        "Reassign": "request_reassign",
        "Cancel request": "request_cancel",
        "Yes, it helped": "request_helped",
        "Add detail": "request_add_detail",
        "Ask a champion": "ask_champion",
    }[label]
    resp = app.slack.block_action(
        user=user,
        action_id=action,
        value=value,
        response_url=app.emu.response_url(label),
        channel=channel,
        message_ts=ts,
    )
    assert resp.status == 200


def request_row(app: RunningApp) -> Request:
    with app.runtime.db.session() as s:
        (req,) = s.scalars(select(Request))
        return req


def settled(app: RunningApp) -> bool:
    """Whether every outbox row has been sent (and recorded as sent)."""
    with app.runtime.db.session() as s:
        return not s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
        )


def later(app: RunningApp, seconds: int) -> None:
    """Move the app's clock on and run one sweep, as the clock process would.

    Waits first until the outbox is empty: a send still in flight would look, to a clock
    jumped forward, like one whose sender died, and be sent again.
    """
    app.emu.wait_for(lambda e: settled(app))
    moved = utcnow() + timedelta(seconds=seconds)
    app.runtime.clock = lambda: moved
    sweep(app.runtime)


def test_full_lifecycle_offer_pass_timeout_claim_consult_resolve_feedback(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    reply = posts_to(app, app.im(OFFICER), "live case")
    assert "request #1" in text_of(reply)
    first_offer = posts_to(app, CHAMPION, "Accept")
    card = posts_to(app, "CQUEUE", "Claim")
    assert "&lt;" not in text_of(card) or True
    told = posts_to(app, OFFICER, "offered request")
    assert f"<@{CHAMPION}>" in text_of(told)

    click(app, CHAMPION, first_offer, "Pass")
    updates_of(app, first_offer.args["channel"], first_offer.response["ts"], "You passed")
    second_offer = posts_to(app, CHAMPION2, "Accept")

    later(app, app.runtime.settings.offer_timeout + 1)  # the second champion never answers
    updates_of(app, second_offer.args["channel"], second_offer.response["ts"], "timed out")
    posts_to(app, LEAD, "No champion is available")
    assert request_row(app).status is RequestStatus.OPEN

    app.runtime.clock = utcnow
    click(app, CHAMPION2, card, "Claim")
    app.emu.wait_for(lambda e: request_row(app).champion_id == CHAMPION2)
    updates_of(app, "CQUEUE", card.response["ts"], f"Claimed by <@{CHAMPION2}>")
    posts_to(app, OFFICER, "has taken your request")
    opened = app.emu.wait_for(lambda e: ok_calls(app, "conversations.open"))
    assert set(opened[0].args["users"].split(",")) == {CHAMPION2, OFFICER}
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]

    # A late click on the queue card is told politely, and nothing changes.
    before = len(app.emu.responses)
    click(app, CHAMPION, card, "Claim")
    late = responses(app, count=before + 1)[-1].body
    assert f"already been claimed by <@{CHAMPION2}>" in late["text"]
    assert late["response_type"] == "ephemeral"
    assert request_row(app).champion_id == CHAMPION2

    click(app, CHAMPION2, consult, "Resolve")
    opened_view = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[0]
    view = opened_view.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    resp = app.slack.view_submission(
        user=CHAMPION2,
        view=view,
        values={
            "outcome": {"value": {"type": "plain_text_input", "value": "advised s2A and an SPO"}}
        },
    )
    assert resp.status == 200 and resp.body in ("", "null")
    assert request_row(app).status is RequestStatus.RESOLVED
    asked = posts_to(app, OFFICER, "Did the advice help?")
    click(app, OFFICER, asked, "Yes, it helped")
    app.emu.wait_for(lambda e: request_row(app).helped is True)
    updates_of(app, "CQUEUE", card.response["ts"], "Resolved")


def test_resolve_modal_shows_errors_in_the_modal(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    offer = posts_to(app, CHAMPION, "Accept")
    click(app, CHAMPION, offer, "Accept")
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]
    click(app, CHAMPION, consult, "Resolve")
    view = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    resp = app.slack.view_submission(
        user=CHAMPION,
        view=view,
        values={"outcome": {"value": {"type": "plain_text_input", "value": "   "}}},
    )
    body = resp.json()
    assert body["response_action"] == "errors" and "outcome" in body["errors"]
    assert request_row(app).status is RequestStatus.CLAIMED


def test_cancel_by_the_officer_updates_every_copy(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    offer = posts_to(app, CHAMPION, "Accept")
    card = posts_to(app, "CQUEUE", "Claim")
    mine = posts_to(app, OFFICER, "Cancel request")
    before = len(app.emu.responses)
    click(app, CHAMPION, mine, "Cancel request")  # not theirs to cancel
    assert "Only the officer who asked" in responses(app, count=before + 1)[-1].body["text"]
    click(app, OFFICER, mine, "Cancel request")
    app.emu.wait_for(lambda e: request_row(app).status is RequestStatus.CANCELLED)
    updates_of(app, "CQUEUE", card.response["ts"], "Cancelled")
    updates_of(app, offer.args["channel"], offer.response["ts"], "cancelled")
    assert request_row(app).status is RequestStatus.CANCELLED


def test_release_and_reassign(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    card = posts_to(app, "CQUEUE", "Claim")
    click(app, CHAMPION, card, "Claim")
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Release" in text_of(c)]
    )[0]
    click(app, CHAMPION, consult, "Release")
    app.emu.wait_for(lambda e: request_row(app).status is RequestStatus.OPEN)
    # The released consult no longer offers the champion who let it go anything to press.
    closed = consult_closed(app, consult)
    assert not {"Resolve", "Release", "Reassign"} & set(buttons(blocks_of(closed)))
    reoffer = posts_to(app, CHAMPION2, "Accept")
    posts_to(app, OFFICER, "release request")
    click(app, CHAMPION2, reoffer, "Accept")
    app.emu.wait_for(lambda e: request_row(app).champion_id == CHAMPION2)
    consult2 = app.emu.wait_for(
        lambda e: (
            [
                c
                for c in ok_calls(app, "chat.postMessage")
                if "Reassign" in text_of(c) and CHAMPION2 in text_of(c)
            ]
            or None
        )
    )[-1]
    click(app, CHAMPION2, consult2, "Reassign")
    view = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    app.slack.view_submission(
        user=CHAMPION2,
        view=view,
        values={"champion": {"value": {"type": "users_select", "selected_user": CHAMPION}}},
    )
    app.emu.wait_for(lambda e: request_row(app).champion_id == CHAMPION)
    posts_to(app, OFFICER, "has handed request")
    # The consult handed over is closed; the new champion gets a live one.
    handed = consult_closed(app, consult2)
    assert not {"Resolve", "Release", "Reassign"} & set(buttons(blocks_of(handed)))
    assert CHAMPION in text_of(handed)
    posts_to(app, CHAMPION, "has handed you request")


def consult_closed(app: RunningApp, consult: Any) -> Any:
    """The edit that closed a consult message (same channel and ts as the consult's post)."""
    channel, ts = consult.response["channel"], consult.response["ts"]
    return app.emu.wait_for(
        lambda e: (
            [
                c
                for c in ok_calls(app, "chat.update")
                if c.args.get("channel") == channel and c.args.get("ts") == ts
            ]
            or [None]
        )[-1]
    )


def test_nobody_available_tells_the_officer_and_the_leads_at_once(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.command(
        "/champion",
        "off",
        user=CHAMPION,
        channel="CGENERAL",
        response_url=app.emu.response_url("off"),
    )
    assert "off duty" in responses(app)[0].body["text"]
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    posts_to(app, OFFICER, "No champion is available right now")
    posts_to(app, LEAD, "No champion is available")
    # When the champion comes back on, the waiting request is offered at once.
    app.slack.command(
        "/champion",
        "on",
        user=CHAMPION,
        channel="CGENERAL",
        response_url=app.emu.response_url("on"),
    )
    posts_to(app, CHAMPION, "Accept")


def test_sla_warning_then_escalation(app: RunningApp) -> None:
    # An offer outlasting three quarters of the SLA, so the warning has someone to go to.
    app.runtime.settings = replace(app.runtime.settings, offer_timeout=3600)
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    card = posts_to(app, "CQUEUE", "Claim")
    sla = app.runtime.settings.claim_sla
    later(app, int(sla * 0.76))
    posts_to(app, CHAMPION, "escalates to the leads soon")
    later(app, sla + 1)
    posts_to(app, LEAD, "overdue")
    updates_of(app, "CQUEUE", card.response["ts"], "Overdue")


def test_availability_away_expires_by_itself(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.command(
        "/champion",
        "away until 3h",
        user=CHAMPION,
        channel="CGENERAL",
        response_url=app.emu.response_url("away"),
    )
    assert "away until" in responses(app)[0].body["text"]
    app.slack.command(
        "/champion",
        "status",
        user=CHAMPION,
        channel="CGENERAL",
        response_url=app.emu.response_url("status"),
    )
    assert "away until" in responses(app, count=2)[1].body["text"]
    later(app, 3 * 3600 + 5)
    posts_to(app, CHAMPION, "away time has ended")
    app.runtime.clock = utcnow
    app.slack.command(
        "/champion",
        "",
        user=OFFICER,
        channel="CGENERAL",
        response_url=app.emu.response_url("officer"),
    )
    assert "Only champions set availability" in responses(app, count=3)[2].body["text"]


def test_ask_a_champion_button_and_message_shortcut(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text="what is an spo")
    answer = posts_to(app, app.im(OFFICER), "Ask a champion")
    click(app, OFFICER, answer, "Ask a champion")
    assert "request #1" in responses(app)[0].body["text"]
    posts_to(app, CHAMPION, "Accept")
    app.slack.message_shortcut(
        user=OFFICER,
        callback_id="ask_champion_shortcut",
        channel="CGENERAL",
        message_text="suspect keeps emailing her",
        response_url=app.emu.response_url("shortcut"),
    )
    assert "request #2" in responses(app, count=2)[1].body["text"]


def test_home_for_a_champion_and_a_lead(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    posts_to(app, CHAMPION, "Accept")
    for user in (CHAMPION, LEAD):
        app.slack.home_opened(user=user, channel=app.im(user))
    published = app.emu.wait_for(
        lambda e: (lambda c: c if len(c) >= 2 else None)(ok_calls(app, "views.publish"))
    )
    by_user = {c.args["user_id"]: json.dumps(c.args["view"]) for c in published}
    assert "Your availability" in by_user[CHAMPION] and "*The queue* (1 open)" in by_user[CHAMPION]
    assert "Champions" in by_user[LEAD] and "1 of 3" in by_user[LEAD]


def test_officer_adds_detail_to_the_queue_then_the_consult(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    card = posts_to(app, "CQUEUE", "Claim")
    mine = posts_to(app, OFFICER, "Add detail")
    click(app, OFFICER, mine, "Add detail")
    view = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    app.slack.view_submission(
        user=OFFICER,
        view=view,
        values={"detail": {"value": {"type": "plain_text_input", "value": "<!here> he has a car"}}},
    )
    in_thread = posts_to(app, "CQUEUE", "added detail")
    assert in_thread.args["thread_ts"] == card.response["ts"]
    assert "&lt;!here&gt; he has a car" in text_of(in_thread) and "<!here>" not in text_of(
        in_thread
    )
    offer = posts_to(app, CHAMPION, "Accept")
    click(app, CHAMPION, offer, "Accept")
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]
    click(app, OFFICER, mine, "Add detail")
    view = app.emu.wait_for(
        lambda e: (lambda c: c if len(c) >= 2 else None)(ok_calls(app, "views.open"))
    )[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    app.slack.view_submission(
        user=OFFICER,
        view=view,
        values={"detail": {"value": {"type": "plain_text_input", "value": "he moved house"}}},
    )
    posts_to(app, consult.response["channel"], "he moved house")
