"""Two forces on one deployment, over real HTTP against the Slack emulation (SQLite and
PostgreSQL): each force's requests, questions, App Home, figures and audit are its own; each is
answered with its own workspace's token; a forged team id reaches nobody else's rows; the one
clock acts in every workspace."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import AuditEvent, Question, Request, RequestStatus, Role, utcnow
from bot.runtime import Runtime
from bot.scheduler import sweep
from bot.services import requests, roster
from bot.slack_requests import SlackSender
from bot.tenancy import TokenMap, Workspace
from bot.views import ids
from tests.conftest import (
    BOT_TOKEN,
    CHAMPION,
    LEAD,
    OFFICER,
    SIGNING_SECRET,
    settings_for,
)
from tests.handlers.support import LIVE, QUESTION

A = Workspace("T0001")
B = Workspace("TFORCEB")
B_TOKEN = "xoxb-force-b-token"
B_OFFICER, B_CHAMPION, B_LEAD = "UBOFFICER1", "UBCHAMP1", "UBLEAD1"


@dataclass
class Forces:
    runtime: Runtime
    emu: SlackEmulator
    a: SlackSender
    b: SlackSender
    db: Database

    def sender(self, ws: Workspace) -> SlackSender:
        return self.a if ws == A else self.b

    def calls(self, ws: Workspace, method: str | None = None) -> list[Any]:
        return [c for c in self.emu.find_calls(method, team_id=ws.team_id) if c.ok]

    def text_in(self, ws: Workspace) -> str:
        return json.dumps([c.args for c in self.calls(ws)])


def _second_workspace(emu: SlackEmulator) -> None:
    try:
        emu.add_workspace(B.team_id, bot_token=B_TOKEN, name="Force B")
    except ValueError:  # the session's emulator already has it
        return
    for uid, name in ((B_OFFICER, "bella"), (B_CHAMPION, "bruno"), (B_LEAD, "beth")):
        emu.add_user(uid, name=name, real_name=name.title(), team_id=B.team_id)
    for channel in ("CQUEUEB", "CNETB"):
        emu.add_channel(channel, team_id=B.team_id)


@pytest.fixture
def forces(emulator: SlackEmulator, db: Database, kb: KnowledgeBase) -> Iterator[Forces]:
    """The app serving two workspaces, each with its own token, over HTTP; its database has no
    default workspace, so every session the app opens must name one."""
    from bot.app import create_app
    from bot.server import HttpServer, wsgi_app

    _second_workspace(emulator)
    strict = db.strict()
    tokens = TokenMap({A.team_id: BOT_TOKEN, B.team_id: B_TOKEN})
    runtime = Runtime(settings=settings_for(emulator, strict), db=strict, kb=kb, bot_tokens=tokens)
    with strict.session(B) as s:  # force B's own queue and network channels
        admin = roster.add(session=s, slack_user_id="UBADMIN1", role=Role.ADMIN)
        from bot.services import forces as own_settings

        for name, channel in (("queue", "CQUEUEB"), ("network", "CNETB")):
            own_settings.change(
                session=s,
                caller=admin,
                actor_id="UBADMIN1",
                name=name,
                words=[channel],
                defaults=runtime.settings,
            )
    for ws, people in ((A, (CHAMPION, LEAD)), (B, (B_CHAMPION, B_LEAD))):
        with strict.session(ws) as s:
            roster.add(session=s, slack_user_id=people[0], role=Role.CHAMPION)
            roster.add(session=s, slack_user_id=people[1], role=Role.LEAD)
    executor = ThreadPoolExecutor(max_workers=8)
    bolt = create_app(runtime, executor=executor)
    server = HttpServer(wsgi_app(bolt, strict), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}/slack/events"
    emulator.reset()
    try:
        yield Forces(
            runtime,
            emulator,
            SlackSender(url, SIGNING_SECRET, team_id=A.team_id),
            SlackSender(url, SIGNING_SECRET, team_id=B.team_id, bot_user_id="UBFORCEB"),
            strict,
        )
    finally:
        server.close()
        executor.shutdown(wait=True)
        runtime.close()


def _settle(f: Forces) -> None:
    assert f.runtime.work_pool.wait_idle(timeout=20)
    assert f.runtime.worker.wait_idle(timeout=20)


def _ask_champion(f: Forces, ws: Workspace, officer: str) -> None:
    f.sender(ws).message_shortcut(
        user=officer,
        callback_id=ids.SHORTCUT_ASK,
        channel="CGENERAL",
        message_text=LIVE,
        response_url=f.emu.response_url("shortcut", team_id=ws.team_id),
    )
    _settle(f)


def test_a_request_in_one_force_is_offered_and_shown_only_there(forces: Forces) -> None:
    f = forces
    _ask_champion(f, A, OFFICER)
    with f.db.session(A) as s:
        (req,) = s.scalars(select(Request)).all()
        assert req.team_id == A.team_id
    # Offered to A's champion, with A's token, in A; the queue card in A's queue channel.
    offers = [c for c in f.calls(A, "chat.postMessage") if f"#{req.id}" in json.dumps(c.args)]
    channels = {c.args["channel"] for c in offers}
    assert {"CQUEUE", CHAMPION} <= channels
    assert f.calls(B) == []  # nothing at all went to force B

    # B's champion and lead open App Home; B's lead asks for the figures and the audit trail.
    for person in (B_CHAMPION, B_LEAD):
        f.b.home_opened(user=person, channel=f.emu.im_channel(person, team_id=B.team_id))
    f.b.command(
        "/champbot",
        "stats",
        user=B_LEAD,
        channel="CGENERAL",
        response_url=f.emu.response_url("stats", team_id=B.team_id),
    )
    _settle(f)
    homes = [c for c in f.calls(B, "views.publish")]
    assert {c.args["user_id"] for c in homes} == {B_CHAMPION, B_LEAD}
    stats = [r.body for r in f.emu.responses if r.tag == "stats"]
    seen_in_b = (f.text_in(B) + json.dumps(stats)).lower()
    assert f"request #{req.id}" not in seen_in_b and f"*#{req.id}*" not in seen_in_b
    assert "turning up at her work" not in seen_in_b
    assert "requests to champions in the last 30 days: 0" in seen_in_b
    # A's lead sees it in A's App Home.
    f.a.home_opened(user=LEAD, channel=f.emu.im_channel(LEAD))
    _settle(f)
    (home_a,) = [c for c in f.calls(A, "views.publish") if c.args["user_id"] == LEAD]
    assert f"#{req.id}" in json.dumps(home_a.args["view"])
    with f.db.session(B) as s:
        audited = s.scalars(select(AuditEvent.subject_type)).all()
        assert "request" not in audited
    with f.db.session(A) as s:
        assert "request" in s.scalars(select(AuditEvent.subject_type)).all()


def test_the_same_question_in_both_forces_is_answered_in_each_with_its_own_token(
    forces: Forces,
) -> None:
    f = forces
    f.a.dm(user=OFFICER, channel=f.emu.im_channel(OFFICER), text=QUESTION)
    f.b.dm(user=B_OFFICER, channel=f.emu.im_channel(B_OFFICER, team_id=B.team_id), text=QUESTION)
    _settle(f)
    for ws, officer in ((A, OFFICER), (B, B_OFFICER)):
        dm = f.emu.im_channel(officer, team_id=ws.team_id)
        answers = [c for c in f.calls(ws, "chat.postMessage") if c.args["channel"] == dm]
        assert answers and "harassment" in json.dumps(answers[0].args).lower()
        with f.db.session(ws) as s:
            assert s.scalars(select(Question.asker_id)).all() == [officer]


def _claim_payload_value(f: Forces) -> str:
    with f.db.session(A) as s:
        return str(s.scalars(select(Request.id)).one())


def test_a_forged_team_id_reaches_no_other_force(forces: Forces) -> None:
    f = forces
    _ask_champion(f, A, OFFICER)
    a_request = _claim_payload_value(f)
    f.emu.reset()
    # Force B's champion claims force A's request, in a payload signed for the app whose inner
    # fields say force A: the envelope (force B) decides, and force B has no such request.
    url = f.emu.response_url("claim", team_id=B.team_id)
    payload = {
        "type": "block_actions",
        "team": {"id": B.team_id, "domain": "force-b"},
        "user": {"id": B_CHAMPION, "username": "bruno", "team_id": A.team_id},
        "api_app_id": "A0001",
        "token": "unused",
        "container": {"type": "message", "message_ts": "", "channel_id": None},
        "trigger_id": "1.1.trigger",
        "response_url": url,
        "actions": [
            {
                "type": "button",
                "action_id": ids.CLAIM,
                "block_id": "b",
                "value": a_request,
                "action_ts": "1.000001",
                "text": {"type": "plain_text", "text": "Claim"},
            }
        ],
    }
    body = f.b.post_form({"payload": json.dumps(payload)})
    assert body.status == 200
    _settle(f)
    told = json.dumps([r.body for r in f.emu.responses])
    assert f"There is no request #{a_request}" in told
    with f.db.session(A) as s:
        req = s.scalars(select(Request)).one()
        assert (req.status, req.champion_id) == (RequestStatus.OPEN, None)

    forged = {
        "token": "unused",
        "team_id": B.team_id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "EvFORGED0001",
        "event_time": 1,
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": B_OFFICER,
            "team": A.team_id,
            "user_team": A.team_id,
            "channel": f.emu.im_channel(B_OFFICER, team_id=B.team_id),
            "text": QUESTION,
            "ts": "1.000001",
        },
        "authorizations": [{"team_id": B.team_id, "user_id": "UBFORCEB", "is_bot": True}],
    }
    assert f.b.post_json(forged).status == 200
    _settle(f)
    with f.db.session(A) as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 0
    with f.db.session(B) as s:
        assert s.scalars(select(Question.asker_id)).all() == [B_OFFICER]


def test_a_workspace_with_no_installation_is_acknowledged_and_ignored(
    forces: Forces, caplog: pytest.LogCaptureFixture
) -> None:
    f = forces
    with f.db.everywhere() as s:
        audited = s.scalar(select(func.count()).select_from(AuditEvent))
    stranger = SlackSender(f.a.url, SIGNING_SECRET, team_id="TNOTHERE1")
    with caplog.at_level("WARNING", logger="bot.tenancy"):
        for _ in range(2):
            assert stranger.dm(user="UWHO1", channel="DWHO1", text="secret words").status == 200
            reply = stranger.command(
                "/champbot", "stats", user="UWHO1", channel="C1", response_url="http://x/"
            )
            assert reply.status == 200
    _settle(f)
    assert f.emu.calls == []
    with f.db.everywhere() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audited
    logged = [r.getMessage() for r in caplog.records if "TNOTHERE1" in r.getMessage()]
    assert len(logged) <= 1 and all("secret" not in m for m in logged)


def test_one_clock_acts_in_every_workspace_with_each_ones_token(forces: Forces) -> None:
    f = forces
    start = utcnow() - timedelta(hours=2)
    for ws, officer in ((A, OFFICER), (B, B_OFFICER)):
        with f.db.session(ws) as s:
            requests.create(
                session=s,
                settings=f.runtime.settings_in(s),
                asker_id=officer,
                text=LIVE,
                now=start,
            )
    f.emu.reset()
    sweep(f.runtime)
    f.runtime.delivery.deliver()  # what the sweep queued after its own clock reading
    for ws, lead in ((A, LEAD), (B, B_LEAD)):
        with f.db.session(ws) as s:
            (req,) = s.scalars(select(Request)).all()
            assert isinstance(req.escalated_at, datetime)
        told = [c for c in f.calls(ws, "chat.postMessage") if c.args["channel"] == lead]
        assert told, f"{ws.team_id}'s lead was not told"
    assert not any(B_LEAD in json.dumps(c.args) for c in f.calls(A))
    assert not any(LEAD in json.dumps(c.args) for c in f.calls(B))
    assert "CQUEUEB" in {c.args["channel"] for c in f.calls(B, "chat.postMessage")}
    assert [c for c in f.emu.calls if not c.ok] == []
