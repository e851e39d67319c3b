"""The workspaces a deployment serves, and single-workspace start-up: the team `auth.test`
names becomes the home workspace, and rows written before rows knew their workspace (the
placeholder team of migration 0012, or the command line before any start) become its rows."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.models import Base, KnownWorkspace
from bot.tenancy import PENDING_TEAM, Tenanted, Workspace

log = logging.getLogger(__name__)


def adopt(db: Database, workspace: Workspace) -> int:
    """Make `workspace` the home workspace and give it every row of the placeholder team;
    how many rows moved. Idempotent: a second start moves nothing, and processes starting at
    once (many web processes and the clock) each succeed."""
    try:
        return _adopt(db, workspace)
    except IntegrityError:  # another process recorded the workspace first
        return _adopt(db, workspace)


def _adopt(db: Database, workspace: Workspace) -> int:
    moved = 0
    with db.everywhere() as session:
        known = session.get(KnownWorkspace, workspace.team_id)
        if known is None:
            session.add(
                KnownWorkspace(
                    team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, home=True
                )
            )
        else:
            known.home = True
        session.flush()
        session.execute(
            update(KnownWorkspace)
            .where(KnownWorkspace.team_id != workspace.team_id)
            .values(home=False)
            .execution_options(synchronize_session=False)
        )
        for mapper in Base.registry.mappers:
            cls = mapper.class_
            if not issubclass(cls, Tenanted):
                continue
            result = session.execute(
                update(cls)
                .where(cls.team_id == PENDING_TEAM)
                .values(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id)
                .execution_options(synchronize_session=False)
            )
            moved += int(getattr(result, "rowcount", 0) or 0)
    if moved:
        log.info(
            "gave %d rows written before workspaces were known to %s", moved, workspace.team_id
        )
    return moved


def home(db: Database) -> Workspace:
    """The single workspace's id as start-up recorded it; the placeholder team before any
    start (its rows are adopted by the first)."""
    with db.everywhere() as session:
        known = session.scalar(select(KnownWorkspace).where(KnownWorkspace.home.is_(True)))
    if known is None:
        return Workspace(PENDING_TEAM)
    return Workspace(known.team_id, known.enterprise_id)


def named_or_home(db: Database, team: str | None) -> Workspace:
    """Where a command works: the team `--team` names (T… or E…), else the single workspace."""
    team = (team or "").strip()
    if not team:
        return home(db)
    if not (team[:1] in ("T", "E") and team.isalnum() and team.isupper()):
        raise ValueError(f"--team must be a Slack team ID like T0123ABCD, got {team!r}")
    return Workspace(team)
