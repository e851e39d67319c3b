"""Broadcasts end to end: `/broadcast`, the form and its errors, the preview, sending now and
later, editing and cancelling, acknowledgements and reminders, refusals, Slack failing, and a
restart between scheduling and sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db import Database
from bot.emulator.blockkit import check_view
from bot.models import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus, Role, utcnow
from bot.runtime import Runtime
from bot.scheduler import sweep
from bot.services import roster
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp, settings_for
from tests.e2e.helpers import blocks_of, buttons, ok_calls, posts_to, responses, text_of

CHAMPION2, CHAMPION3 = "UCHAMP2", "UCHAMP3"
FAR_LEAD = "ULEAD9"  # a lead in another time zone
NETWORK = "CNETWORK"


def seed(app: RunningApp) -> None:
    app.emu.add_user(CHAMPION3, name="cara", real_name="Cara")
    app.emu.add_user(FAR_LEAD, name="farah", real_name="Farah", tz="Asia/Kolkata")
    with app.runtime.db.session() as s:
        for uid in (CHAMPION, CHAMPION2, CHAMPION3):
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        roster.add(session=s, slack_user_id=FAR_LEAD, role=Role.LEAD)


def as_view(value: Any) -> dict[str, Any]:
    view: dict[str, Any] = json.loads(value) if isinstance(value, str) else dict(value)
    return view


def open_form(app: RunningApp, user: str = LEAD) -> dict[str, Any]:
    """`/broadcast`; the form as it stands once the lead's time zone is in it."""
    updates = len(ok_calls(app, "views.update"))
    app.slack.command(
        "/broadcast", "", user=user, channel="CGENERAL", response_url=app.emu.response_url("bc")
    )
    update = app.emu.wait_for(
        lambda e: (lambda c: c[-1] if len(c) > updates else None)(ok_calls(app, "views.update"))
    )
    return as_view(update.args["view"])


def values(
    *,
    category: str | None = "national_policy",
    title: str = "New CPS guidance on stalking charges",
    message: str = "Read this before you charge. *Key change*: consider s2A first.",
    links: str = "https://www.cps.gov.uk/legal-guidance/stalking CPS guidance",
    send_at: datetime | None = None,
    ack: bool = True,
    dm: bool = False,
) -> dict[str, dict[str, dict[str, Any]]]:
    chosen = [{"value": v} for v, on in (("ack", ack), ("dm", dm)) if on]
    return {
        "category": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": category} if category else None,
            }
        },
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "message": {"value": {"type": "plain_text_input", "value": message}},
        "links": {"value": {"type": "plain_text_input", "value": links or None}},
        "send_at": {
            "value": {
                "type": "datetimepicker",
                "selected_date_time": int(send_at.timestamp()) if send_at else None,
            }
        },
        "options": {"value": {"type": "checkboxes", "selected_options": chosen}},
    }


def submit(
    app: RunningApp, form: dict[str, Any], user: str = LEAD, **fields: Any
) -> dict[str, Any]:
    """Submit the form; Slack's answer (errors, or the preview pushed)."""
    form_values = values(**fields)
    present = {b.get("block_id") for b in form["blocks"]}
    kept = {k: v for k, v in form_values.items() if k in present}
    resp = app.slack.view_submission(user=user, view=form, values=kept)
    assert resp.status == 200
    answer: dict[str, Any] = resp.json()
    if answer.get("response_action") == "push":
        assert check_view(answer["view"], method="views.push") == []
    return answer


def confirm(app: RunningApp, preview: dict[str, Any], user: str = LEAD) -> dict[str, Any]:
    resp = app.slack.view_submission(user=user, view=preview, values={})
    assert resp.status == 200
    answer: dict[str, Any] = resp.json()
    return answer


def broadcast(app: RunningApp, user: str = LEAD, **fields: Any) -> dict[str, Any]:
    """Write, preview and send a broadcast; the preview the lead saw."""
    answer = submit(app, open_form(app, user), user, **fields)
    assert answer["response_action"] == "push", answer
    assert confirm(app, answer["view"], user) == {"response_action": "clear"}
    preview: dict[str, Any] = answer["view"]
    return preview


def click(app: RunningApp, user: str, call: Any, label: str, action_id: str) -> None:
    ts = call.args.get("ts") or call.response["ts"]
    channel = call.response.get("channel") or call.args["channel"]
    resp = app.slack.block_action(
        user=user,
        action_id=action_id,
        value=buttons(blocks_of(call))[label],
        response_url=app.emu.response_url(label, channel=channel, message_ts=ts, user=user),
        channel=channel,
        message_ts=ts,
    )
    assert resp.status == 200


def later(app: RunningApp, seconds: float) -> None:
    """Move the app's clock on and run one sweep, as the clock process would."""
    moved = utcnow() + timedelta(seconds=seconds)
    app.runtime.clock = lambda: moved
    sweep(app.runtime)


def rows_for(app: RunningApp, title: str) -> list[OutboxMessage]:
    with app.runtime.db.session() as s:
        return [
            r
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.channel == NETWORK))
            if title in r.payload
        ]


def network_posts(app: RunningApp, needle: str) -> list[Any]:
    return [
        c
        for c in ok_calls(app, "chat.postMessage")
        if c.args.get("channel") == NETWORK and needle in text_of(c)
    ]


def test_the_form_opens_at_once_then_learns_the_leads_time_zone(app: RunningApp) -> None:
    seed(app)
    form = open_form(app, FAR_LEAD)
    order = [
        c.method for c in app.emu.calls if c.method in ("views.open", "users.info", "views.update")
    ]
    assert order == ["views.open", "users.info", "views.update"]  # the trigger id first
    labels = [b["label"]["text"] for b in form["blocks"] if b["type"] == "input"]
    assert labels == [
        "Category",
        "Title",
        "Message",
        "Links",
        "Send at",
        "Options",
        "Training session starts",
        "CPD hours",
    ]
    options = [o["text"]["text"] for o in form["blocks"][-3]["element"]["options"]]
    assert options == ["Ask champions to acknowledge", "Also send to each champion by DM"]
    categories = [o["text"]["text"] for o in form["blocks"][0]["element"]["options"]]
    assert categories == ["National policy", "Trend", "Local data", "Resource", "Training and CPD"]
    assert "Asia/Kolkata" in json.dumps(form["blocks"][4]["hint"])


def test_a_non_lead_is_told_politely_who_can_and_nothing_happens(app: RunningApp) -> None:
    seed(app)
    for user in (OFFICER, CHAMPION):
        app.slack.command(
            "/broadcast", "", user=user, channel="CGENERAL", response_url=app.emu.response_url("no")
        )
    told = responses(app, count=2)
    for reply in told:
        assert reply.body["response_type"] == "ephemeral"
        assert "Only the network's leads and admins can send broadcasts" in reply.body["text"]
        assert f"<@{LEAD}>" in reply.body["text"]
    assert app.emu.find_calls("views.open") == [] and ok_calls(app, "chat.postMessage") == []


def test_invalid_input_is_shown_on_its_field_in_the_modal(app: RunningApp) -> None:
    seed(app)
    form = open_form(app)
    answer = submit(
        app,
        form,
        category=None,
        title="  ",
        message="x" * 3001,
        links="www example",
        send_at=utcnow() - timedelta(hours=1),
    )
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {"category", "title", "message", "links", "send_at"}
    assert "title" in errors["title"].lower() and "3,000" in errors["message"]
    assert "web address" in errors["links"] and "passed" in errors["send_at"]
    with app.runtime.db.session() as s:
        assert list(s.scalars(select(Broadcast))) == []
    assert ok_calls(app, "chat.postMessage") == []


def test_send_now_posts_exactly_the_preview_once_with_pings_defused(app: RunningApp) -> None:
    seed(app)
    preview = broadcast(
        app,
        message="<!channel> *Read this* before charging. Ask <@U0FORGED> or @here.",
    )
    post = posts_to(app, NETWORK, "New CPS guidance")
    shown = preview["blocks"]
    # The preview's middle is, block for block, the message that was posted.
    assert shown[2:-2] == blocks_of(post)
    posted = text_of(post)
    assert "<!channel>" not in posted and "<@U0FORGED>" not in posted
    assert "&lt;!channel&gt;" in posted and "*Read this*" in posted
    assert "0 of 3 champions have acknowledged" in posted
    assert "Acknowledge" in buttons(blocks_of(post))
    told = posts_to(app, LEAD, "is posted in")
    assert "Who hasn't acknowledged" in buttons(blocks_of(told))
    with app.runtime.db.session() as s:
        (b,) = s.scalars(select(Broadcast))
        assert b.status is BroadcastStatus.SENT
    assert len(network_posts(app, "New CPS guidance")) == 1


def test_acknowledgements_count_live_once_each_and_leads_remind_who_has_not(
    app: RunningApp,
) -> None:
    seed(app)
    broadcast(app, dm=True)
    post = posts_to(app, NETWORK, "Acknowledge")
    copy = posts_to(app, CHAMPION2, "Please press")
    for uid in (CHAMPION, CHAMPION3):
        posts_to(app, uid, "Please press")

    click(app, CHAMPION, post, "Acknowledge", "broadcast_ack")
    assert "acknowledgement is recorded" in responses(app)[0].body["text"]
    app.emu.wait_for(
        lambda e: [
            c
            for c in ok_calls(app, "chat.update")
            if c.args["ts"] == post.response["ts"] and "1 of 3 champions" in text_of(c)
        ]
    )
    app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.update") if "You acknowledged" in text_of(c)]
    )
    edits = len(app.emu.find_calls("chat.update"))
    click(app, CHAMPION, post, "Acknowledge", "broadcast_ack")  # a second click
    assert "already acknowledged" in responses(app, count=2)[1].body["text"]
    click(app, OFFICER, post, "Acknowledge", "broadcast_ack")
    assert "Only champions" in responses(app, count=3)[2].body["text"]
    assert len(app.emu.find_calls("chat.update")) == edits  # neither changed anything

    click(app, CHAMPION2, copy, "Acknowledge", "broadcast_ack")  # from their own copy
    app.emu.wait_for(
        lambda e: [
            c
            for c in ok_calls(app, "chat.update")
            if c.args["ts"] == post.response["ts"] and "2 of 3 champions" in text_of(c)
        ]
    )

    told = posts_to(app, LEAD, "is posted in")
    opened = len(ok_calls(app, "views.open"))
    click(app, LEAD, told, "Who hasn't acknowledged", "broadcast_pending")
    pending = app.emu.wait_for(
        lambda e: (lambda c: c[-1] if len(c) > opened else None)(ok_calls(app, "views.open"))
    )
    listing = as_view(pending.args["view"])
    assert f"<@{CHAMPION3}>" in json.dumps(listing) and f"<@{CHAMPION}>" not in json.dumps(listing)
    listing["id"] = pending.response["view"]["id"]
    answer = app.slack.view_submission(user=LEAD, view=listing, values={}).json()
    assert "sent a reminder to 1 champion" in json.dumps(answer["view"])
    reminder = posts_to(app, CHAMPION3, "asks you to read")
    assert "Acknowledge" in buttons(blocks_of(reminder))
    again = app.slack.view_submission(user=LEAD, view=listing, values={}).json()
    assert "already been reminded" in json.dumps(again["view"])

    # Two days on, the bot reminds whoever still has not acknowledged, once.
    later(app, 49 * 3600)
    posts_to(app, CHAMPION3, "you haven't acknowledged")
    later(app, 50 * 3600)
    auto = [
        c for c in ok_calls(app, "chat.postMessage") if "you haven't acknowledged" in text_of(c)
    ]
    assert [c.args["channel"] for c in auto] == [CHAMPION3]


def test_schedule_list_edit_and_send_at_the_time_in_the_leads_time_zone(
    app: RunningApp,
) -> None:
    seed(app)
    at = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    preview = broadcast(app, FAR_LEAD, title="Training day", category="training", send_at=at)
    local = at.astimezone(ZoneInfo("Asia/Kolkata"))
    when = f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M} {local:%Z}"
    assert when in json.dumps(preview["blocks"][0])
    posts_to(app, FAR_LEAD, "is scheduled for")
    assert network_posts(app, "Training day") == []

    app.slack.command(
        "/broadcast",
        "list",
        user=FAR_LEAD,
        channel="CGENERAL",
        response_url=app.emu.response_url("l"),
    )
    listed = responses(app)[0].body
    assert "Training day" in json.dumps(listed) and when in json.dumps(listed)
    edit_value = buttons(listed["blocks"])["Edit"]

    updates = len(ok_calls(app, "views.update"))
    app.slack.block_action(
        user=FAR_LEAD,
        action_id="broadcast_edit",
        value=edit_value,
        response_url=app.emu.response_url("edit"),
        channel="CGENERAL",
    )
    form = as_view(
        app.emu.wait_for(
            lambda e: (lambda c: c[-1] if len(c) > updates else None)(ok_calls(app, "views.update"))
        ).args["view"]
    )
    assert form["blocks"][1]["element"]["initial_value"] == "Training day"
    assert form["blocks"][4]["element"]["initial_date_time"] == int(at.timestamp())
    answer = submit(
        app, form, FAR_LEAD, title="Training day moved", category="training", send_at=at
    )
    assert confirm(app, answer["view"], FAR_LEAD) == {"response_action": "clear"}
    assert network_posts(app, "Training day") == []

    later(app, 3 * 3600)
    posts_to(app, NETWORK, "Training day moved")
    later(app, 3 * 3600 + 60)
    assert len(network_posts(app, "Training day")) == 1
    with app.runtime.db.session() as s:
        (b,) = s.scalars(select(Broadcast).where(Broadcast.edit_of.is_(None)))
        assert b.status is BroadcastStatus.SENT and b.send_at == at


def test_cancel_before_it_goes_and_edit_after_it_has_gone(app: RunningApp) -> None:
    seed(app)
    broadcast(app, title="Cancelled news", send_at=utcnow() + timedelta(hours=1))
    told = posts_to(app, LEAD, "is scheduled for")
    click(app, LEAD, told, "Cancel broadcast", "broadcast_cancel")
    assert "will not be sent" in responses(app)[0].body["text"]
    later(app, 2 * 3600)
    assert network_posts(app, "Cancelled news") == []

    app.runtime.clock = utcnow
    broadcast(app, title="Posted news", message="First version.")
    post = posts_to(app, NETWORK, "Posted news")
    told = posts_to(app, LEAD, "Posted news")
    updates = len(ok_calls(app, "views.update"))
    click(app, LEAD, told, "Edit", "broadcast_edit")
    form = as_view(
        app.emu.wait_for(
            lambda e: (lambda c: c[-1] if len(c) > updates else None)(ok_calls(app, "views.update"))
        ).args["view"]
    )
    assert "send_at" not in {b.get("block_id") for b in form["blocks"]}  # it has gone
    answer = submit(app, form, title="Posted news", message="Second version.")
    assert "will be changed to this" in json.dumps(answer["view"])
    confirm(app, answer["view"])
    edit = app.emu.wait_for(
        lambda e: [
            c
            for c in ok_calls(app, "chat.update")
            if c.args["ts"] == post.response["ts"] and "Second version" in text_of(c)
        ]
    )[0]
    assert "edited" in text_of(edit)
    assert len(network_posts(app, "Posted news")) == 1


def test_a_429_and_a_500_from_slack_still_make_exactly_one_post(app: RunningApp) -> None:
    seed(app)
    for title, fault in (
        ("Rate limited news", {"status": 429, "retry_after": 1}),
        ("Flaky news", {"status": 500, "times": 3}),
    ):
        app.emu.inject("chat.postMessage", **fault)
        broadcast(app, title=title)
        posts_to(app, NETWORK, title, timeout=15)
        app.emu.wait_for(
            lambda e, title=title: all(r.status is OutboxStatus.SENT for r in rows_for(app, title))
        )
        assert len(network_posts(app, title)) == 1
    failed = [c for c in app.emu.find_calls("chat.postMessage") if c.injected]
    assert {c.status for c in failed} == {429, 500}


def test_a_scheduled_broadcast_survives_a_restart_and_is_sent_once(app: RunningApp) -> None:
    seed(app)
    broadcast(app, title="Survives a restart", send_at=utcnow() + timedelta(hours=1))
    posts_to(app, LEAD, "is scheduled for")
    sweep(app.runtime)  # a sweep before its time sends nothing
    assert network_posts(app, "Survives a restart") == []
    # A new process: its own database connection, runtime and app.
    from bot.app import create_app

    db = Database(app.runtime.db.url)
    fresh = Runtime(settings=settings_for(app.emu, db), db=db, kb=app.runtime.kb)
    create_app(fresh)
    moved = utcnow() + timedelta(hours=1, minutes=1)
    fresh.clock = lambda: moved
    sweep(fresh)
    sweep(fresh)
    db.dispose()
    assert len(network_posts(app, "Survives a restart")) == 1


def test_leads_see_scheduled_broadcasts_on_app_home_and_can_cancel_there(
    app: RunningApp,
) -> None:
    seed(app)
    broadcast(app, title="Home news", send_at=utcnow() + timedelta(hours=1))
    app.slack.home_opened(user=LEAD, channel=app.im(LEAD))
    home = app.emu.wait_for(lambda e: ok_calls(app, "views.publish"))[-1]
    view = as_view(home.args["view"])
    assert "Scheduled broadcasts* (1)" in json.dumps(view) and "Home news" in json.dumps(view)
    published = len(ok_calls(app, "views.publish"))
    app.slack.block_action(
        user=LEAD,
        action_id="broadcast_cancel",
        value=buttons(view["blocks"])["Cancel broadcast"],
        response_url=app.emu.response_url("home"),
        view={**view, "id": home.response["view"]["id"], "type": "home"},
    )
    refreshed = app.emu.wait_for(
        lambda e: (lambda c: c[-1] if len(c) > published else None)(ok_calls(app, "views.publish"))
    )
    assert "Scheduled broadcasts* (0)" in json.dumps(refreshed.args["view"])
    with app.runtime.db.session() as s:
        (b,) = s.scalars(select(Broadcast))
        assert b.status is BroadcastStatus.CANCELLED


def test_the_weekly_digest_reaches_the_network_channel_once(app: RunningApp) -> None:
    seed(app)
    broadcast(app, title="Digest item", category="local_data")
    posts_to(app, NETWORK, "Digest item")
    london = ZoneInfo("Europe/London")
    today = utcnow().astimezone(london).date()
    next_monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    monday = datetime.combine(next_monday, time(8, 1), tzinfo=london).astimezone(UTC)
    app.runtime.clock = lambda: monday + timedelta(days=-1)  # Sunday: not yet
    sweep(app.runtime)
    app.runtime.clock = lambda: monday
    sweep(app.runtime)
    sweep(app.runtime)
    digest = posts_to(app, NETWORK, "the week to")
    assert len(network_posts(app, "the week to")) == 1
    assert "Digest item" in text_of(digest) and "Local data" in text_of(digest)
    assert "Questions asked" in text_of(digest) and "Median time to a champion" in text_of(digest)
