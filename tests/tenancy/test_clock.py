"""The one clock across every workspace, on PostgreSQL: two clocks sweeping at once act on each
due row once, each in the row's own workspace."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import OutboxMessage, Request, Role, utcnow
from bot.runtime import Runtime
from bot.scheduler import sweep
from bot.services import requests, roster
from bot.tenancy import TokenMap
from tests.conftest import BOT_TOKEN, LEAD, OFFICER, settings_for
from tests.handlers.support import LIVE
from tests.tenancy.test_isolation import B_LEAD, B_OFFICER, B_TOKEN, A, B, _second_workspace


def test_two_clocks_escalate_each_forces_requests_once_in_that_force(
    pg: Database, emulator: SlackEmulator, kb: KnowledgeBase
) -> None:
    _second_workspace(emulator)
    strict = pg.strict()
    tokens = TokenMap({A.team_id: BOT_TOKEN, B.team_id: B_TOKEN})
    clocks = [
        Runtime(settings=settings_for(emulator, strict), db=strict, kb=kb, bot_tokens=tokens)
        for _ in range(2)
    ]
    start = utcnow() - timedelta(hours=2)
    for ws, officer, lead in ((A, OFFICER, LEAD), (B, B_OFFICER, B_LEAD)):
        with strict.session(ws) as s:
            roster.add(session=s, slack_user_id=lead, role=Role.LEAD)
            for _ in range(4):
                requests.create(
                    session=s,
                    settings=clocks[0].settings_in(s),
                    asker_id=officer,
                    text=LIVE,
                    now=start,
                )
    gate = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(runtime: Runtime) -> None:
        gate.wait()
        try:
            sweep(runtime)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(r,)) for r in clocks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for runtime in clocks:
        runtime.close()
    assert failures == []
    for ws, lead in ((A, LEAD), (B, B_LEAD)):
        with strict.session(ws) as s:
            escalated = s.scalars(select(Request.escalated_at)).all()
            assert len(escalated) == 4 and all(escalated)
            alerts = [
                row
                for row in s.scalars(select(OutboxMessage))
                if '"channel":"' + lead + '"' in row.payload and "overdue" in row.payload
            ]
            assert len(alerts) == 4  # one per request, however many clocks swept
            assert {row.team_id for row in alerts} == {ws.team_id}


def test_processes_starting_at_once_each_record_the_workspace(pg: Database) -> None:
    from bot.models import KnownWorkspace
    from bot.workspaces import adopt

    gate = threading.Barrier(4)
    failures: list[BaseException] = []

    def start() -> None:
        gate.wait()
        try:
            adopt(pg, A)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    with pg.everywhere() as s:
        assert [(w.team_id, w.home) for w in s.scalars(select(KnownWorkspace))] == [("T0001", True)]
