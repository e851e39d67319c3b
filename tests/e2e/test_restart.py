"""A killed process loses nothing: the old buttons work and the timers still fire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import Role
from bot.services import requests, roster
from bot.slack_requests import SlackSender
from tests.conftest import OFFICER, SIGNING_SECRET
from tests.e2e.processes import Process

CHAMP_A, CHAMP_B = "UCHAMP1", "UCHAMP2"


@pytest.fixture
def served(
    emulator: SlackEmulator, db: Database, tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> Iterator[Process]:
    with db.session() as s:
        for uid in (CHAMP_A, CHAMP_B):
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
    process = Process(emulator, db, tmp_path, encodings=encodings_cache)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def offer_to(emu: SlackEmulator, champion: str, request_id: int, timeout: float = 15) -> object:
    def found(e: SlackEmulator) -> object:
        for c in e.find_calls("chat.postMessage"):
            if (
                c.ok
                and c.args.get("channel") == champion
                and f"Request #{request_id}" in str(c.args.get("text"))
                and "Accept" in str(c.args.get("blocks"))
            ):
                return c
        return None

    return emu.wait_for(found, timeout=timeout)


def test_sigkill_between_offer_and_accept(
    served: Process, emulator: SlackEmulator, db: Database
) -> None:
    slack = SlackSender(f"http://127.0.0.1:{served.port}/slack/events", SIGNING_SECRET)
    live = "my victim's ex keeps following her home, should i arrest him"
    slack.dm(user=OFFICER, channel=emulator.im_channel(OFFICER), text=live)
    old_offer = offer_to(emulator, CHAMP_A, 1)
    slack.dm(user=OFFICER, channel=emulator.im_channel(OFFICER), text=live + " today")
    offer_to(emulator, CHAMP_B, 2)

    served.kill()
    served.start()

    # The Accept button posted by the dead process works in the new one.
    value = next(
        e["value"]
        for b in old_offer.args["blocks"]  # type: ignore[attr-defined]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "offer_accept"
    )
    resp = slack.block_action(
        user=CHAMP_A,
        action_id="offer_accept",
        value=value,
        response_url=emulator.response_url("accept"),
        channel=old_offer.response["channel"],  # type: ignore[attr-defined]
        message_ts=old_offer.response["ts"],
    )  # type: ignore[attr-defined]
    assert resp.status == 200
    emulator.wait_for(lambda e: _status(db, 1) == "claimed", timeout=10)

    # Request 2's offer to B times out under the new process's clock and moves on to A.
    offer_to(emulator, CHAMP_A, 2, timeout=20)
    with db.session() as s:
        assert requests.pending_offer_for(session=s, request_id=2).champion_id == CHAMP_A  # type: ignore[union-attr]


def _status(db: Database, request_id: int) -> str:
    with db.session() as s:
        return requests.get(session=s, request_id=request_id).status.value
