"""`kill -9` of `champbot serve` (the web process and its worker) around a question's ack: after a
restart the question is recorded and answered exactly once. On SQLite only (each test starts
the app twice; the claims' races on PostgreSQL are in `test_inbox_two_processes.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import InboxItem, Question
from bot.slack_requests import SlackSender
from tests.conftest import OFFICER, SIGNING_SECRET, _reset
from tests.e2e.processes import Process

QUESTION = "whats the difference between stalking and harassment"
CLAIM_SECONDS = 3  # how long before a dead worker's claim is retaken (CHAMPBOT_INBOX_CLAIM_SECONDS)

# Loaded by every process started with the hook's directory on PYTHONPATH: holds the web
# process once the inbox row is committed (before the ack), or before its insert commits, or
# the worker in the middle of the work, and says so in a file, so that the test can kill it
# exactly there.
HOOK = """
import os, pathlib, time
where, marker = os.environ.get("HOLD_AT"), pathlib.Path(os.environ.get("HOLD_MARKER", "-"))
if where == "before_ack":
    from bot.unit import Unit
    receive = Unit.receive
    def held(self, body, **kwargs):
        got = receive(self, body, **kwargs)  # committed
        marker.write_text(str(got))
        time.sleep(60)
        return got
    Unit.receive = held
elif where == "before_commit":
    from bot.services import inbox
    insert = inbox.receive_many
    def held(**kwargs):
        got = insert(**kwargs)  # inserted, not yet committed
        marker.write_text(str(got))
        time.sleep(60)
        return got
    inbox.receive_many = held
elif where == "mid_work":
    from bot.services import questions
    ask = questions.handle
    def held(**kwargs):
        got = ask(**kwargs)  # the question is written in the work's transaction, not committed
        marker.write_text("working")
        time.sleep(60)
        return got
    questions.handle = held
"""


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    _reset(sqlite_db)
    return sqlite_db


@pytest.fixture
def served(
    emulator: SlackEmulator, db: Database, tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> Iterator[Process]:
    process = Process(
        emulator,
        db,
        tmp_path,
        encodings=encodings_cache,
        env={"CHAMPBOT_INBOX_CLAIM_SECONDS": str(CLAIM_SECONDS)},
    )
    try:
        yield process
    finally:
        process.stop()


def hold(process: Process, tmp: Path, where: str) -> Path:
    """Start `process` with the hook holding it at `where`; the marker file it will write."""
    hooks = tmp / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(HOOK)
    marker = tmp / f"held-{where}"
    base = dict(process.env)
    process.env.update(
        PYTHONPATH=f"{hooks}:{base['PYTHONPATH']}", HOLD_AT=where, HOLD_MARKER=str(marker)
    )
    process.start()
    process.env.clear()
    process.env.update(base)  # the next start runs without the hook
    return marker


def wait_for_file(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


def answers(emu: SlackEmulator) -> list[object]:
    channel = emu.im_channel(OFFICER)
    return [
        c for c in emu.find_calls("chat.postMessage", ok=True) if c.args.get("channel") == channel
    ]


def questions(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Question)) or 0)


def answered_once(emu: SlackEmulator, db: Database) -> None:
    """One answer arrives, and no second one within the claim timeout and two sweeps more."""
    emu.wait_for(lambda e: answers(e) or None, timeout=30)
    time.sleep(CLAIM_SECONDS + 3)
    assert len(answers(emu)) == 1
    assert questions(db) == 1
    with db.session() as s:
        rows = list(s.scalars(select(InboxItem)))
    assert len(rows) == 1 and rows[0].handled_at is not None and rows[0].body is None


def sender(process: Process) -> SlackSender:
    return SlackSender(f"http://127.0.0.1:{process.port}/slack/events", SIGNING_SECRET)


@pytest.mark.parametrize("where", ["before_ack", "before_commit"])
def test_killed_before_the_ack(
    served: Process, emulator: SlackEmulator, db: Database, tmp_path: Path, where: str
) -> None:
    """Killed once the inbox row is committed (the sweep answers it, Slack's retry is a
    repeat), or before (Slack's retry is answered)."""
    marker = hold(served, tmp_path, where)
    slack = sender(served)
    statuses: list[object] = []

    def ask() -> None:
        try:
            statuses.append(
                slack.dm(
                    user=OFFICER,
                    channel=emulator.im_channel(OFFICER),
                    text=QUESTION,
                    event_id="EvCRASH0001",
                ).status
            )
        except OSError as error:  # the connection dies with the process
            statuses.append(type(error).__name__)

    asking = threading.Thread(target=ask)
    asking.start()
    wait_for_file(marker)
    served.kill()
    asking.join(timeout=10)
    assert statuses and statuses[0] != 200  # Slack never had its 200 ...
    served.start()
    # ... so it delivers the event again, which the inbox already holds.
    resp = sender(served).dm(
        user=OFFICER,
        channel=emulator.im_channel(OFFICER),
        text=QUESTION,
        event_id="EvCRASH0001",
        retry_num=1,
    )
    assert resp.status == 200
    answered_once(emulator, db)


def test_killed_a_few_milliseconds_after_the_ack(
    served: Process, emulator: SlackEmulator, db: Database
) -> None:
    served.start()
    resp = sender(served).dm(user=OFFICER, channel=emulator.im_channel(OFFICER), text=QUESTION)
    assert resp.status == 200
    time.sleep(0.003)
    served.kill()
    served.start()
    answered_once(emulator, db)


def test_killed_in_the_middle_of_the_work(
    served: Process, emulator: SlackEmulator, db: Database, tmp_path: Path
) -> None:
    marker = hold(served, tmp_path, "mid_work")
    resp = sender(served).dm(user=OFFICER, channel=emulator.im_channel(OFFICER), text=QUESTION)
    assert resp.status == 200
    wait_for_file(marker)
    served.kill()
    assert questions(db) == 0 and not answers(emulator)  # nothing of the work was committed
    with db.session() as s:
        (row,) = s.scalars(select(InboxItem))
        assert row.claimed_at is not None and row.handled_at is None and row.body
    served.start()
    answered_once(emulator, db)  # the stale claim is retaken: once, after CLAIM_SECONDS
    with db.session() as s:
        (row,) = s.scalars(select(InboxItem))
        assert row.attempts == 2
