"""Workspaces: every domain row belongs to one, and every session works in one (or, said so
explicitly, in all of them), enforced here in one place.

A table joins the tenancy by inheriting `Tenanted` (`class Foo(Tenanted, Base)`): it gets
`team_id` and `enterprise_id` columns, and from then on every ORM select, update and delete on
it in a session of `bot.db.Database` is filtered to the session's workspace, every new row is
stamped with it, and a session with no workspace that touches it raises `NoWorkspace`. A
session opened "in all workspaces" (the clock's lists of due rows, national figures, delivery)
is not filtered; a row it adds must name its workspace.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import String, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

__all__ = [
    "EVERYWHERE",
    "PENDING_TEAM",
    "CrossWorkspace",
    "Installations",
    "NoWorkspace",
    "SingleWorkspace",
    "Tenanted",
    "TokenMap",
    "Workspace",
    "enforce",
    "resolve",
    "workspace_of",
]

log = logging.getLogger(__name__)

# The team of rows written before rows knew their workspace (and by the command line before the
# single workspace's id is known): single-workspace start-up gives them the id `auth.test`
# names (`bot.workspaces.claim_pending`).
PENDING_TEAM = "-"

_KEY = "workspace"
_ALL = "all_workspaces"


class NoWorkspace(RuntimeError):
    """A query on a workspace's tables in a session that works in no workspace."""


class CrossWorkspace(RuntimeError):
    """A row of one workspace written in a session of another."""


@dataclass(frozen=True)
class Workspace:
    """One force's Slack workspace: its team, and its Enterprise organisation if any."""

    team_id: str
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        if not self.team_id:
            raise ValueError("a workspace needs a team id")


# Passed where a session works across every workspace (see `bot.db.Database.session`).
EVERYWHERE = "everywhere"


class Tenanted:
    """Mixin for a table whose rows each belong to one workspace."""

    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    enterprise_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


def workspace_of(session: Session) -> Workspace | None:
    """The workspace a session works in (None: none, or all of them)."""
    found = session.info.get(_KEY)
    return found if isinstance(found, Workspace) else None


def is_everywhere(session: Session) -> bool:
    """Whether the session was opened to work across every workspace."""
    return bool(session.info.get(_ALL))


def open_in(session: Session, where: Workspace | str | None) -> None:
    """Mark a fresh session as working in `where` (a workspace, EVERYWHERE, or None)."""
    session.info.pop(_KEY, None)
    session.info.pop(_ALL, None)
    if where == EVERYWHERE:
        session.info[_ALL] = True
    elif isinstance(where, Workspace):
        session.info[_KEY] = where
    elif where is not None:
        raise TypeError(f"a session works in a Workspace or EVERYWHERE, not {where!r}")


def _tenant_tables() -> set[str]:
    names: set[str] = set()
    stack: list[type] = [Tenanted]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if table is not None:
            names.add(table.name)
    return names


def _touches_tenant(statement: Any) -> bool:
    tenant = _tenant_tables()
    try:
        tables = find_tables(statement, include_crud=True, include_joins=True, include_aliases=True)
    except Exception:  # a statement the visitor cannot walk: treat it as touching the tenancy
        return True
    return any(getattr(t, "name", None) in tenant for t in tables)


def _scope_statement(state: ORMExecuteState) -> None:
    session = state.session
    if is_everywhere(session):
        return
    if state.is_column_load or state.is_relationship_load:
        # A refresh or lazy load of a row already in this session, which was loaded scoped;
        # the criteria below propagate to these loads anyway.
        return
    ws = workspace_of(session)
    if ws is None:
        if _touches_tenant(state.statement):
            raise NoWorkspace(
                "this session works in no workspace: open it with bot.db.Database.session("
                "Workspace(...)) or, for work across every workspace, EVERYWHERE"
            )
        return
    if state.is_insert and _touches_tenant(state.statement):
        raise CrossWorkspace("add rows with session.add, which stamps their workspace")
    if state.is_select or state.is_update or state.is_delete:
        team = ws.team_id
        state.statement = state.statement.options(
            with_loader_criteria(
                Tenanted,
                lambda cls: cls.team_id == team,
                include_aliases=True,
            )
        )


def _stamp_rows(session: Session, _context: Any, _instances: Any) -> None:
    everywhere = is_everywhere(session)
    ws = workspace_of(session)
    for obj in session.new:
        if not isinstance(obj, Tenanted):
            continue
        if everywhere:
            if not obj.team_id:
                raise CrossWorkspace(
                    f"a {type(obj).__name__} added across every workspace must name its team"
                )
            continue
        if ws is None:
            raise NoWorkspace(f"a {type(obj).__name__} added in a session of no workspace")
        if obj.team_id is None:
            obj.team_id = ws.team_id
            if obj.enterprise_id is None:
                obj.enterprise_id = ws.enterprise_id
        elif obj.team_id != ws.team_id:
            raise CrossWorkspace(f"a {type(obj).__name__} of another workspace")
    if everywhere:
        return
    for obj in session.dirty:
        if isinstance(obj, Tenanted) and ws is not None and obj.team_id != ws.team_id:
            raise CrossWorkspace(f"a {type(obj).__name__} moved to another workspace")


def enforce(factory: sessionmaker[Session]) -> None:
    """Scope every session `factory` makes to the workspace it is opened in."""
    event.listen(factory, "do_orm_execute", _scope_statement)
    event.listen(factory, "before_flush", _stamp_rows)


class Installations(Protocol):
    """Where the app is installed: a request from anywhere else is acknowledged and ignored."""

    def installed(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether the app serves this workspace."""
        ...

    def workspaces(self) -> list[Workspace]:
        """Every workspace the app serves (the clock's steps run once in each)."""
        ...


class SingleWorkspace:
    """The one workspace of `SLACK_BOT_TOKEN`, as `auth.test` names it (asked once; until it
    answers, the clock works in the workspace start-up recorded, `recorded`)."""

    def __init__(
        self, whoami: Callable[[], Workspace], recorded: Callable[[], Workspace] | None = None
    ) -> None:
        self._whoami = whoami
        self._recorded = recorded
        self._home: Workspace | None = None
        self._lock = threading.Lock()

    def home(self) -> Workspace:
        """The workspace the token belongs to."""
        with self._lock:
            if self._home is None:
                self._home = self._whoami()
            return self._home

    def known(self) -> Workspace:
        """The workspace, asking Slack if need be; the recorded one if Slack cannot say."""
        try:
            return self.home()
        except Exception:
            if self._recorded is None:
                raise
            log.warning("could not learn the workspace from auth.test; using the recorded one")
            return self._recorded()

    def installed(self, team_id: str | None, enterprise_id: str | None) -> bool:
        if not team_id:
            return False
        try:
            return team_id == self.home().team_id
        except Exception:  # Slack unreachable: refuse now, ask again on the next request
            log.warning("could not learn the workspace from auth.test")
            return False

    def workspaces(self) -> list[Workspace]:
        return [self.known()]


class TokenMap:
    """Workspaces each with a bot token of their own, given up front (a fixed set of installs)."""

    def __init__(self, tokens: dict[str, str], enterprises: dict[str, str] | None = None) -> None:
        self.tokens = dict(tokens)
        self.enterprises = dict(enterprises or {})

    def installed(self, team_id: str | None, enterprise_id: str | None) -> bool:
        return bool(team_id) and team_id in self.tokens

    def workspaces(self) -> list[Workspace]:
        return [Workspace(team, self.enterprises.get(team)) for team in sorted(self.tokens)]


_refused: set[tuple[str | None, str | None]] = set()
_refused_lock = threading.Lock()


def resolve(
    installations: Installations, team_id: str | None, enterprise_id: str | None
) -> Workspace | None:
    """The workspace of a request whose envelope names `team_id` and `enterprise_id`; None
    (logged once per workspace, without the payload) where the app is not installed."""
    if team_id and installations.installed(team_id, enterprise_id):
        return Workspace(team_id, enterprise_id or None)
    with _refused_lock:
        first = (team_id, enterprise_id) not in _refused and len(_refused) < 10_000
        _refused.add((team_id, enterprise_id))
    if first:
        log.warning(
            "ignoring requests from workspace %s (enterprise %s): the app is not installed there",
            team_id or "-",
            enterprise_id or "-",
        )
    return None


def org_workspace(body: dict[str, Any]) -> str | None:
    """The workspace a request of an org-wide install came from: Slack authorizes it for the
    organisation (no team), and names the workspace in the signed envelope itself."""
    for found in (
        body.get("team_id"),
        body.get("context_team_id"),
        (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None,
        (body.get("view") or {}).get("team_id") if isinstance(body.get("view"), dict) else None,
    ):
        if isinstance(found, str) and found:
            return found
    return None
