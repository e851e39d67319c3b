"""The unit of work of one request: one session, the caller and the time, committed once; then the
steps that must follow the commit (replies), then the outbox rows it wrote handed to delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Member
from bot.services import events, roster

__all__ = ["Session", "Unit", "UnitClosed"]

T = TypeVar("T")
_UNRESOLVED = object()


class UnitClosed(RuntimeError):
    """The unit's session was used outside `Unit.run` (a listener kept it past its call)."""


class Unit:
    """What one listener call works with. Built before the listener runs (in Bolt's request
    thread); its session is opened by `run` in the thread that does the work, so a session is
    never shared between threads."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        kb: KnowledgeBase,
        now: datetime,
        user_id: str | None,
        deliver: Callable[[list[int]], None],
        event_id: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.kb = kb
        self.now = now
        self.user_id = user_id
        self.event_id = event_id
        self._deliver = deliver
        self._session: Session | None = None
        self._caller: object = _UNRESOLVED
        self._after: list[Callable[[], object]] = []

    @property
    def session(self) -> Session:
        """The unit's session (only while `run` runs)."""
        if self._session is None:
            raise UnitClosed("the unit of work is not open")
        return self._session

    @property
    def caller(self) -> Member | None:
        """The person behind the request, as the roster knows them (None: not on it). Looked up
        on first use, so that listeners that never ask cost no query before their ack."""
        if self._caller is _UNRESOLVED:
            found = (
                roster.get(session=self.session, slack_user_id=self.user_id)
                if self.user_id
                else None
            )
            self._caller = found
        return self._caller  # type: ignore[return-value]

    def after_commit(self, step: Callable[[], object]) -> None:
        """Run `step` once the work is committed: a reply that refers to what was just written
        (a question's buttons, a draft's preview) must not reach anyone before it exists."""
        self._after.append(step)

    def run(self, work: Callable[[], T]) -> T:
        """Do `work` in one transaction and mark the event handled in it; commit (or roll back
        if it raises); then the after-commit steps, then delivery of the outbox rows it wrote."""
        self._after.clear()
        with self.db.session() as session:
            self._session = session
            try:
                result = work()
                if self.event_id:
                    events.finish(session=session, event_id=self.event_id, now=self.now)
                queued = list(session.info.get("outbox_ids", []))
            finally:
                self._session = None
                self._caller = _UNRESOLVED
        try:
            for step in self._after:
                step()
        finally:
            self._deliver(queued)
        return result

    def finish_event(self) -> None:
        """Mark the event handled after the work was refused (and rolled back): a retry would
        be refused the same way."""
        if self.event_id:
            with self.db.session() as session:
                events.finish(session=session, event_id=self.event_id, now=self.now)
