"""A killed process loses nothing: the old buttons work and the timers still fire."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import Role
from bot.services import requests, roster
from bot.slack_requests import SlackSender
from tests.conftest import BOT_TOKEN, KB_DIR, OFFICER, ROOT, SIGNING_SECRET

CHAMP_A, CHAMP_B = "UCHAMP1", "UCHAMP2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """`champbot serve`, scheduler embedded, as a real child process."""

    def __init__(
        self,
        emu: SlackEmulator,
        db: Database,
        tmp: Path,
        *,
        encodings: Path,
        scheduler: bool = True,
    ) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.scheduler = scheduler
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emu.api_url,
            "DATABASE_URL": db.url,
            "CHAMPBOT_KB_DIR": str(KB_DIR),
            "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE",
            "CHAMPBOT_OFFER_TIMEOUT": "4",
            "CHAMPBOT_SWEEP_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            "CHAMPBOT_CACHE_DIR": str(encodings),
        }
        self.tmp = tmp
        self.log = open(tmp / "serve.log", "ab")  # noqa: SIM115 (closed in stop)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ([] if self.scheduler else ["--no-scheduler"]),
            cwd=self.tmp,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.log.flush()
        tail = (self.tmp / "serve.log").read_text()[-3000:]
        raise RuntimeError(f"champbot serve did not come up:\n{tail}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.log.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


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
