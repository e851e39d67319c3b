"""Migration 0012 on SQLite (batch mode) and PostgreSQL: existing rows get the placeholder team,
the uniques become per workspace, and it downgrades."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.tenancy import PENDING_TEAM
from tests.conftest import PG_URL, need_postgres

MEMBER = (
    "INSERT INTO members (slack_user_id, role, skills, on_duty, max_active, created_at, "
    "updated_at{team}) VALUES ('U1', 'champion', '', true, 3, CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP{value})"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of this test's own."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
        yield db
        db.dispose()
        return
    need_postgres()
    schema = f"champbot_migration_{os.getpid()}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    db = Database(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _member(db: Database, team: str | None) -> None:
    sql = MEMBER.format(team=", team_id" if team else "", value=f", '{team}'" if team else "")
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def test_existing_rows_get_the_placeholder_and_uniques_become_per_workspace(
    fresh: Database,
) -> None:
    cfg = fresh._alembic_config()
    command.upgrade(cfg, "0006")
    _member(fresh, None)
    with fresh.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO digests (week, period_start, period_end, created_at) VALUES "
                "('2026-W49', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(cfg, "0012")
    with fresh.engine.connect() as conn:
        teams = conn.execute(
            text("SELECT team_id FROM members UNION ALL SELECT team_id FROM digests")
        )
        assert [t for (t,) in teams] == [PENDING_TEAM, PENDING_TEAM]
    _member(fresh, "T0002")  # the same person in another workspace
    with pytest.raises(IntegrityError):
        _member(fresh, "T0002")  # but once per workspace
    with pytest.raises(IntegrityError), fresh.engine.begin() as conn:
        conn.execute(text("INSERT INTO members (slack_user_id, role) VALUES ('U9', 'officer')"))

    with fresh.engine.begin() as conn:  # back to one workspace's rows, then down
        conn.execute(text("DELETE FROM members WHERE team_id = 'T0002'"))
    command.downgrade(cfg, "0006")
    with pytest.raises(IntegrityError):
        _member(fresh, None)  # one member per Slack user again
    with fresh.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM members")).scalar() == 1
    command.upgrade(cfg, "head")
