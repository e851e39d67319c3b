"""Slack's rate limits are per workspace, and so is the pacing: one force's 429s never slow
another force's delivery (against the emulation's per-workspace limits)."""

from __future__ import annotations

import json

from bot.db import Database
from bot.delivery import Delivery
from bot.delivery.clients import Clients
from bot.delivery.pacing import WORKSPACE_RATE, Pacer
from bot.emulator import SlackEmulator
from bot.models import OutboxMessage, OutboxStatus
from bot.runtime import make_client
from bot.tenancy import Workspace

TOKENS = {"TFORCEA": "xoxb-force-a", "TFORCEB": "xoxb-force-b"}
CHANNELS = 6


def _queue(db: Database, team: str) -> None:
    with db.session(Workspace(team)) as s:
        s.add_all(
            OutboxMessage(
                method="chat.postMessage",
                payload=json.dumps({"channel": f"C{team[-1]}{n}", "text": f"copy {n}"}),
                ref=f"broadcast:1:1:C{n}",
            )
            for n in range(CHANNELS)
        )


def test_one_forces_429s_never_slow_another_force(db: Database) -> None:
    with SlackEmulator(token="xoxb-unused") as emu:
        for team, token in TOKENS.items():
            emu.add_workspace(team, bot_token=token)
            for n in range(CHANNELS):
                emu.add_channel(f"C{team[-1]}{n}", team_id=team)
        # Force A's workspace takes 6 posts a minute, one at a time; force B's is unlimited.
        emu.rate_limit("chat.postMessage", per_minute=6, burst=1, team_id="TFORCEA")
        _queue(db, "TFORCEA")
        _queue(db, "TFORCEB")

        def make(token: str | None, team: str | None, pacer: Pacer | None) -> object:
            return make_client(token=token, api_url=emu.api_url, pacer=pacer, team_id=team)

        clients = Clients(make, lookup=lambda team, _e: TOKENS.get(team or ""))  # type: ignore[arg-type]
        delivery = Delivery(db.strict(), clients=clients)
        delivery.deliver()

        a = emu.find_calls("chat.postMessage", team_id="TFORCEA")
        b = emu.find_calls("chat.postMessage", ok=True, team_id="TFORCEB")
        limited = [c for c in a if c.status == 429]
        assert limited, "force A met its limit"
        assert len(b) == CHANNELS and all(c.ok for c in b)
        # B never waited for A: every B post went before A's first 429 had run out.
        assert max(c.time for c in b) < min(c.time for c in limited) + 1.0
        assert not emu.find_calls("chat.postMessage", ok=False, team_id="TFORCEB")
        # A's pacer learnt A's limit; B's kept its own.
        assert clients.pacer("TFORCEB").rate == WORKSPACE_RATE
        assert clients.pacer("TFORCEA") is not clients.pacer("TFORCEB")
        with db.everywhere() as s:
            pending_a = [
                r
                for r in s.query(OutboxMessage).filter(OutboxMessage.team_id == "TFORCEA")
                if r.status is OutboxStatus.PENDING
            ]
        assert pending_a, "A's rest waits for its own limit, given back with Retry-After"
