"""Single-workspace mode: the one workspace is the one `auth.test` names; rows from before rows
knew their workspace, and the command line's before the first start, become its rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from bot.cli import main
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import Member, Question
from bot.runtime import Runtime
from bot.tenancy import PENDING_TEAM, Workspace
from bot.workspaces import home
from tests.conftest import OFFICER, SIGNING_SECRET, DispatchedApp, DispatchSender, settings_for
from tests.handlers.support import QUESTION


def test_a_workspace_other_than_the_tokens_is_ignored(bolt: DispatchedApp) -> None:
    other = DispatchSender("in-process", SIGNING_SECRET, team_id="TOTHER01", bolt=bolt.bolt)
    assert other.dm(user=OFFICER, channel=bolt.im(OFFICER), text=QUESTION).status == 200
    assert bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=QUESTION).status == 200
    bolt.settle()
    with bolt.runtime.db.everywhere() as s:
        assert s.scalars(select(Question.team_id)).all() == ["T0001"]
    assert len(bolt.emu.find_calls("chat.postMessage", ok=True)) == 1


def test_rows_from_before_workspaces_become_the_single_workspaces(
    tmp_path: Path,
    emulator: SlackEmulator,
    kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url).strict()
    cfg = db._alembic_config()
    command.upgrade(cfg, "0006")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (slack_user_id, role, skills, on_duty, max_active, "
                "created_at, updated_at) VALUES ('UOLD1', 'champion', '', 1, 3, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(cfg, "head")
    with db.everywhere() as s:
        assert s.scalars(select(Member.team_id)).all() == [PENDING_TEAM]
    # The command line, before any start, works in the placeholder workspace too.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["roster", "add", "UCLI1", "--role", "lead"]) == 0
    assert home(db) == Workspace(PENDING_TEAM)

    runtime = Runtime(settings=settings_for(emulator, db), db=db, kb=kb)
    runtime.start()  # asks auth.test: the emulation's workspace
    runtime.start()  # a second start changes nothing
    with db.everywhere() as s:
        rows = s.execute(select(Member.slack_user_id, Member.team_id).order_by(Member.id)).all()
    assert [tuple(r) for r in rows] == [("UOLD1", "T0001"), ("UCLI1", "T0001")]
    assert home(db) == Workspace("T0001") == runtime.home
    assert len(emulator.find_calls("auth.test")) == 1  # asked once
    # From now on the command line works in that workspace.
    assert main(["roster", "add", "UCLI2", "--role", "champion"]) == 0
    assert main(["roster", "add", "UCLI3", "--role", "champion", "--team", "TELSE01"]) == 0
    with db.session(Workspace("T0001")) as s:
        assert s.scalars(select(Member.slack_user_id).order_by(Member.id)).all() == [
            "UOLD1",
            "UCLI1",
            "UCLI2",
        ]
    runtime.close()
    db.dispose()
