"""Replays over HTTP: a signed request accepted once is refused when sent again (200 with
nothing, nothing changed), and a slash command a client sent twice within seconds is
answered once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.models import AuditEvent, Member, Question, Request, Role, utcnow
from bot.services import roster
from bot.slack_requests import SlackResponse, SlackSender
from tests.conftest import ADMIN, CHAMPION, OFFICER, RunningApp

LIVE = "my victim says her ex keeps following her home, should i arrest him"
FORM = "application/x-www-form-urlencoded"


def command_body(command: str, text: str, *, user: str, response_url: str, n: int = 1) -> bytes:
    """A slash command's body as Slack sends it (trigger id `n`: a new one per sending)."""
    return urlencode(
        {
            "token": "unused",
            "team_id": "T0001",
            "team_domain": "force",
            "channel_id": "CGENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": response_url,
            "trigger_id": f"{n}.{int(time.time())}.trigger",
        }
    ).encode()


def send_twice(slack: SlackSender, body: bytes) -> tuple[SlackResponse, SlackResponse]:
    """The same bytes with the same timestamp, hence the same signature, twice."""
    stamp = int(time.time())
    first = slack.post(body, content_type=FORM, timestamp=stamp)
    again = slack.post(body, content_type=FORM, timestamp=stamp)
    return first, again


def settle(app: RunningApp) -> None:
    assert app.runtime.work_pool.wait_idle(15)
    assert app.runtime.worker.wait_idle(15)


def count(app: RunningApp, model: Any, *where: Any) -> int:
    with app.runtime.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_replayed_ask_makes_no_second_request(app: RunningApp) -> None:
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
    body = command_body("/ask", LIVE, user=OFFICER, response_url=app.emu.response_url("ask"))
    first, again = send_twice(app.slack, body)
    assert (first.status, again.status) == (200, 200)
    assert again.body == ""  # 200 with nothing: the first is being answered
    settle(app)
    time.sleep(0.3)
    settle(app)
    assert count(app, Request) == 1 and count(app, Question) == 1
    offers = [
        c
        for c in app.emu.find_calls("chat.postMessage", ok=True)
        if c.args.get("channel") == CHAMPION
    ]
    assert len(offers) == 1
    assert len(app.emu.responses) == 1  # one reply to the officer


def test_a_replayed_roster_change_is_not_made_twice(app: RunningApp) -> None:
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=ADMIN, role=Role.ADMIN)
    changes = count(app, AuditEvent, AuditEvent.action == "role.change")
    body = command_body(
        "/champbot",
        "roster add UNEW1 champion",
        user=ADMIN,
        response_url=app.emu.response_url("roster"),
    )
    first, again = send_twice(app.slack, body)
    assert (first.status, again.status) == (200, 200) and again.body == ""
    settle(app)
    time.sleep(0.3)
    settle(app)
    assert count(app, AuditEvent, AuditEvent.action == "role.change") == changes + 1
    assert count(app, Member, Member.slack_user_id == "UNEW1") == 1
    assert len(app.emu.responses) == 1


def test_a_command_sent_twice_by_the_client_is_answered_once(app: RunningApp) -> None:
    app.runtime.settings = replace(app.runtime.settings, repeat_seconds=2)  # the default
    url = app.emu.response_url("ask")
    # Two sendings of one command: each its own trigger id, so its own signature.
    for n in (1, 2):
        body = command_body("/ask", "what is an spo", user=OFFICER, response_url=url, n=n)
        assert app.slack.post(body, content_type=FORM).status == 200
    settle(app)
    assert count(app, Question) == 1 and len(app.emu.responses) == 1
    # Asked again two slots later: a new question, answered.
    later = utcnow() + timedelta(seconds=5)
    app.runtime.clock = lambda: later
    body = command_body("/ask", "what is an spo", user=OFFICER, response_url=url, n=3)
    assert app.slack.post(body, content_type=FORM).status == 200
    settle(app)
    assert count(app, Question) == 2 and len(app.emu.responses) == 2
