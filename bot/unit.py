"""The unit of work of every request, and how every listener runs in it.

A Bolt global middleware (`install`) builds the request's `Unit`: the caller, the time, the
event (Slack's repeats of an event are dropped here, before the ack). `listen`, the one place
listeners are registered, wraps each listener: in the request's thread it acks (a command,
button, shortcut; Bolt acks events itself once the wrapper returns) and hands the rest to the
app's work pool (`bot.workpool`), so the ack goes back to Slack at once however slow the work.
There, in one thread, the unit's session is opened, the listener runs, the work commits (or
rolls back), the replies that must follow the commit go out, the outbox rows go to the delivery
worker, and what was raised is mapped (`handlers.errors`). A form's listener runs before its
ack, since its ack is its answer. (Bolt runs with `process_before_response=True` for that
reason: nothing slow happens before any ack.) One session per request, never shared between
threads; no listener opens a session, commits or marks an event by hand.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Member
from bot.services import ServiceError, events, forces, roster
from bot.tenancy import Workspace, resolve
from handlers.errors import Call, Where, failure, tell
from handlers.values import StaleInput

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["Session", "Unit", "UnitClosed", "install", "listen"]

log = logging.getLogger(__name__)
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
        workspace: Workspace | None = None,
        event_id: str | None = None,
        client: WebClient | None = None,
        hand_over: Callable[[Callable[[], object]], None] | None = None,
    ) -> None:
        self.db = db
        self.defaults = settings
        self.kb = kb
        self.now = now
        self.user_id = user_id
        # The workspace the request came from (from Slack's signed envelope, via Bolt): every
        # query of the unit's session is scoped to it (`bot.tenancy`).
        self.workspace = workspace
        self.event_id = event_id
        self._deliver = deliver
        # The client whose posts are paced as interactive (None: Bolt's own for the request).
        self.client = client
        # Where the work goes after the ack (None: done in the calling thread).
        self.hand_over = hand_over
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
    def settings(self) -> Settings:
        """The settings of the request's force: the environment's, with that force's own
        (`bot.services.forces`) while the unit's session is open."""
        if self._session is None:
            return self.defaults
        return forces.effective(session=self._session, defaults=self.defaults)

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
        with self.db.session(self.workspace) as session:
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
            with self.db.session(self.workspace) as session:
                events.finish(session=session, event_id=self.event_id, now=self.now)


Listener = Callable[..., Any]
# What a listener may ask for, besides Bolt's own arguments (ack, body, action, client, …).
FROM_UNIT: dict[str, Callable[[Unit], Any]] = {
    "unit": lambda u: u,
    "session": lambda u: u.session,
    "caller": lambda u: u.caller,
    "user_id": lambda u: u.user_id or "",
    "now": lambda u: u.now,
    "settings": lambda u: u.settings,
    "kb": lambda u: u.kb,
}


def install(app: App, runtime: Runtime) -> None:
    """The global middleware: drop Slack's repeated deliveries of an event, and put the
    request's unit of work in the context."""

    @app.middleware
    def open_unit(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        now = runtime.now()
        # The workspace is the verified envelope's (Bolt's context), never a payload field's.
        team = context.team_id or (org_workspace(body) if context.is_enterprise_install else None)
        workspace = resolve(runtime.installations, team, context.enterprise_id)
        if workspace is None:
            return BoltResponse(status=200, body="")  # not installed there: acked, ignored
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            event_id = event_id[:64]
            # Before the ack, in Bolt's thread: a repeat must be answered without running.
            with runtime.db.session(workspace) as session:
                fresh = events.begin(session=session, event_id=event_id, now=now)
            if not fresh:
                log.info("dropped a repeated delivery of event %s", event_id)
                return BoltResponse(status=200, body="")
        else:
            event_id = None
        context["unit"] = Unit(
            db=runtime.db,
            settings=runtime.settings,
            kb=runtime.kb,
            now=now,
            user_id=context.user_id,
            workspace=workspace,
            event_id=event_id,
            deliver=runtime.worker.submit,
            client=runtime.client_for(workspace),
            hand_over=runtime.work_pool.submit,
        )
        return next()


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


def listen(
    route: Callable[[Listener], Any],
    listener: Listener,
    *,
    errors_block: str | None = None,
    title: str = "Champion Network",
) -> None:
    """Register `listener` with Bolt's `route` (e.g. `app.action(ids.CLAIM)`), run in the
    request's unit of work. Commands, buttons and shortcuts are acked first and their work is
    handed to the work pool, so that a listener cannot be slow to ack nor hold up the next one's
    ack; a form's listener acks itself, after its work (its ack is its answer)."""
    wanted = list(inspect.signature(listener).parameters)
    unknown = [
        n for n in wanted if n not in FROM_UNIT and n not in inspect.signature(Args).parameters
    ]
    if unknown:
        raise TypeError(f"{listener.__name__} asks for unknown arguments: {unknown}")
    where = Where(errors_block=errors_block, title=title)

    def run(args: Args) -> None:
        unit: Unit = args.context["unit"]
        kind = args.body.get("type")
        if kind not in ("view_submission", "event_callback"):  # Bolt acks events itself
            args.ack()
        if kind == "view_submission" or unit.hand_over is None:
            work(args, unit)
        else:
            unit.hand_over(lambda: work(args, unit))

    def work(args: Args, unit: Unit) -> None:
        call = Call(body=args.body, ack=args.ack, respond=args.respond, client=_client(args, unit))
        try:
            unit.run(lambda: listener(**{name: _argument(name, args, unit) for name in wanted}))
        except StaleInput as stale:
            tell(call, where, stale.message)
        except ServiceError as refused:
            unit.finish_event()
            tell(call, where, str(refused), getattr(refused, "errors", None))
        except Exception as error:
            failure(call, where, listener.__name__, error)

    # Bolt names listeners in its logs by these; `functools.wraps` would also make Bolt read
    # the listener's own parameters instead of `args`.
    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    route(run)


def _argument(name: str, args: Args, unit: Unit) -> Any:
    if name in FROM_UNIT:
        return FROM_UNIT[name](unit)
    if name == "client":
        return _client(args, unit)
    return getattr(args, name)


def _client(args: Args, unit: Unit) -> WebClient:
    return unit.client if unit.client is not None else args.client
