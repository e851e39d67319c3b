"""Two web processes on PostgreSQL, champions clicking *Claim* at the same instant through both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import RequestStatus, Role
from bot.services import requests, roster
from bot.slack_requests import SlackSender
from tests.conftest import OFFICER, SIGNING_SECRET
from tests.e2e.processes import Process

CHAMPIONS = [f"UCHAMP{i}" for i in range(1, 9)]
REQUESTS = 10


@pytest.fixture
def two_processes(
    emulator: SlackEmulator, pg: Database, tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> Iterator[tuple[Process, Process]]:
    for uid in CHAMPIONS:
        emulator.add_user(uid, name=uid.lower())
    with pg.session() as s:
        for uid in CHAMPIONS:
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
    first = Process(emulator, pg, tmp_path / "a", encodings=encodings_cache, scheduler=False)
    second = Process(emulator, pg, tmp_path / "b", encodings=encodings_cache, scheduler=False)
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_simultaneous_claims_through_two_processes(
    two_processes: tuple[Process, Process], emulator: SlackEmulator, pg: Database
) -> None:
    senders = [
        SlackSender(f"http://127.0.0.1:{p.port}/slack/events", SIGNING_SECRET)
        for p in two_processes
    ]
    with pg.session() as s:
        from tests.conftest import SERVICE_SETTINGS as SETTINGS

        ids = [
            requests.create(session=s, settings=SETTINGS, asker_id=OFFICER, text=f"case {n}")[0].id
            for n in range(REQUESTS)
        ]
    for rid in ids:
        barrier = threading.Barrier(len(CHAMPIONS))

        def click(index: int, rid: int = rid, barrier: threading.Barrier = barrier) -> None:
            champion = CHAMPIONS[index]
            barrier.wait()
            resp = senders[index % 2].block_action(
                user=champion,
                action_id="request_claim",
                value=str(rid),
                response_url=emulator.response_url(f"claim-{rid}-{champion}"),
                channel="CQUEUE",
                message_ts="1.000001",
            )
            assert resp.status == 200

        threads = [threading.Thread(target=click, args=(i,)) for i in range(len(CHAMPIONS))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        told = emulator.wait_for(
            lambda e, rid=rid: (lambda r: r if len(r) == len(CHAMPIONS) - 1 else None)(
                [p for p in e.responses if p.tag.startswith(f"claim-{rid}-")]
            ),
            timeout=15,
        )
        with pg.session() as s:
            req = requests.get(session=s, request_id=rid)
            assert req.status is RequestStatus.CLAIMED and req.claims == 1
            winner = req.champion_id
        assert all(f"already been claimed by <@{winner}>" in p.body["text"] for p in told)
        assert not any(p.tag.endswith(str(winner)) for p in told)
