"""The way of every request, from its ack to its committed work, and how every listener runs.

A Bolt global middleware (`install`) builds the request's `Unit`: the caller, the time, and
where the work goes. `listen`, the one place listeners are registered, wraps each listener.
In the receiving app (the one Slack's HTTP requests reach) the wrapper, in the request's
thread, writes the request to the inbox (`bot.services.inbox`: one INSERT that also refuses
a replayed signature, a repeated event and a command sent twice, committed with those of
concurrent requests by `bot.acks`), acks (a command, button, shortcut; Bolt acks events
itself once the wrapper returns) and hands the inbox row to a `Transport`, so the ack goes
back to Slack at once however slow the work: `bot.app.LocalTransport` to this process's work
pool (tests, the console, Socket Mode, `champbot serve --no-worker`),
`bot.worker.PipeTransport` down a socket to the worker process `champbot serve` starts beside
itself. A repeat is answered 200 with nothing and runs nothing.

Either way the work is `Processor.process`: the row is claimed, its stored body dispatched
through the processing app (a second Bolt app, verification off), whose wrapper runs the work:
the unit's session is opened, the listener runs, the inbox row is marked done in the same
transaction, the work commits (or rolls back), the replies that must follow the commit go
out, the outbox rows go to delivery, and what was raised is mapped (`handlers.errors`). The
sweeper (`bot.inbox`) retries what a crash left. A form's listener runs in the receiving app
before its ack, since its ack is its answer; its inbox row keeps only its keys. (Bolt runs
with `process_before_response=True` for that reason: nothing slow happens before any ack.)
One session per request, never shared between threads; no listener opens a session, commits
or marks a request done by hand.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.kwargs_injection import Args
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import tenancy
from bot.config import Settings
from bot.db import Database, once_more_if_lost
from bot.knowledge import KnowledgeBase
from bot.models import Member
from bot.services import ServiceError, forces, inbox, roster
from bot.tenancy import Workspace, resolve
from handlers.errors import Call, Where, failure, tell
from handlers.values import StaleInput

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")
_UNRESOLVED = object()
_attempts = itertools.count(1)  # of claims by this process, in each claimer's name


@dataclass
class Claim:
    """One attempt at one inbox row, as the processing app's unit of work sees it."""

    inbox_id: int
    claimer: str
    finished: bool = field(default=False)


class Transport(Protocol):
    """How the receiving app hands over a row's work, and a form's outbox rows."""

    def hand_over(self, inbox_id: int) -> None: ...

    def deliver(self, ids: list[int]) -> None: ...


class UnitClosed(RuntimeError):
    """The unit's session was used outside `Unit.run` (a listener kept it past its call)."""


class ClaimLost(RuntimeError):
    """The inbox row was taken over (this attempt's claim went stale): its work rolls back."""


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
        client: WebClient | None = None,
        hand_over: Callable[[int], None] | None = None,
        claim: Claim | None = None,
        signature: str | None = None,
        receive: Callable[[inbox.Arrival], int | None] | None = None,
    ) -> None:
        self.db = db
        self.defaults = settings
        self.kb = kb
        self.now = now
        self.user_id = user_id
        self._deliver = deliver
        # The workspace the request came from (from Slack's signed envelope, via Bolt): every
        # query of the unit's session is scoped to it (`bot.tenancy`).
        self.workspace = workspace
        # The client whose posts are paced as interactive (None: Bolt's own for the request).
        self.client = client
        # Receiving: where the inbox row goes after the ack. None: this is the processing
        # app, and `claim` is the inbox row being worked on.
        self.hand_over = hand_over
        self.claim = claim
        self.signature = signature
        # Receiving: how the request's inbox row is committed (`bot.acks`, with the rows of
        # concurrent requests); None: in a transaction of its own.
        self._receive = receive
        self._session: Session | None = None
        self._caller: object = _UNRESOLVED
        self._after: list[Callable[[], object]] = []

    @property
    def settings(self) -> Settings:
        """The settings of the request's force: the environment's, with that force's own
        (`bot.services.forces`) while the unit's session is open."""
        if self._session is None:
            return self.defaults
        return forces.effective(session=self._session, defaults=self.defaults)

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
        """Run `step` once the work is committed: a form's ack, a modal opened, a short notice
        that nothing depends on. Anything a person must get (an answer, a reply that carries
        what was decided) is an outbox row instead (`bot.notify`), written with the work, so
        that Slack failing the call, or the process dying, cannot lose it."""
        self._after.append(step)

    def run(self, work: Callable[[], T]) -> T:
        """Do `work` in one transaction and mark its inbox row done in it (`ClaimLost` if the
        row was taken over meanwhile); commit (or roll back if it raises); then hand the outbox
        rows it wrote to the delivery worker (they go out at once), then the after-commit
        steps."""
        self._after.clear()
        claim = self.claim
        with self.db.session(self.workspace) as session:
            self._session = session
            try:
                result = work()
                if (
                    claim is not None
                    and not claim.finished
                    and not inbox.finish(
                        session=session,
                        inbox_id=claim.inbox_id,
                        claimer=claim.claimer,
                        now=self.now,
                    )
                ):
                    raise ClaimLost(claim.inbox_id)
                queued = list(session.info.get("outbox_ids", []))
            finally:
                self._session = None
                self._caller = _UNRESOLVED
        if claim is not None:
            claim.finished = True
        self._deliver(queued)
        for step in self._after:
            step()
        return result

    def receive(self, body: dict[str, Any], *, handled: bool) -> int | None:
        """Write the request to the inbox (in its own short transaction, before the ack); its
        row's id, or None if it repeats one already received. `handled`: a form, whose work
        runs now, before its ack."""
        arrival = inbox.arrival_of(
            body,
            secret=(self.defaults.signing_secret or "socket-mode").encode(),
            signature=self.signature,
            now=self.now,
            handled=handled,
            slot=self.defaults.repeat_seconds,
        )
        if self._receive is not None:
            return self._receive(arrival)
        with self.db.connection() as connection:
            return inbox.receive_many(session=connection, items=[arrival])[0]


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


def install(app: App, runtime: Runtime, transport: Transport | None) -> None:
    """The global middleware: put the request's unit of work in the context. With a
    `transport`, `app` receives Slack's requests and hands their work over; without one it is
    the processing app, reached only with an inbox claim (`Processor`)."""

    @app.middleware
    def open_unit(
        body: dict[str, Any],
        context: BoltContext,
        req: BoltRequest,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        claim = context.get("inbox")
        if transport is None and not isinstance(claim, Claim):
            log.error("the processing app was reached without an inbox claim")
            return BoltResponse(status=400, body="")
        # The workspace is the verified envelope's (Bolt's context), never a payload field's.
        team = context.team_id or (
            tenancy.org_workspace(body) if context.is_enterprise_install else None
        )
        workspace = resolve(runtime.installations, team, context.enterprise_id)
        if workspace is None:
            return BoltResponse(status=200, body="")  # not installed there: acked, ignored
        signatures = req.headers.get("x-slack-signature") or []
        signature = str(signatures[0]) if signatures else None
        context["unit"] = Unit(
            db=runtime.db,
            settings=runtime.settings,
            kb=runtime.kb,
            now=runtime.now(),
            user_id=context.user_id,
            deliver=runtime.worker.submit if transport is None else transport.deliver,
            workspace=workspace,
            client=runtime.client_for(workspace),
            hand_over=None if transport is None else transport.hand_over,
            claim=claim if transport is None else None,
            signature=signature if transport is not None else None,
            receive=None if transport is None else runtime.acks.receive,
        )
        return next()


def listen(
    route: Callable[[Listener], Any],
    listener: Listener,
    *,
    errors_block: str | None = None,
    title: str = "Champion Network",
) -> None:
    """Register `listener` with Bolt's `route` (e.g. `app.action(ids.CLAIM)`), run in the
    request's unit of work. Commands, buttons, shortcuts and events are written to the inbox,
    acked, and their work handed over, so that a listener cannot be slow to ack nor hold up
    the next one's ack; a form's listener acks itself, after its work (its ack is its
    answer)."""
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
        form = kind == "view_submission"
        if unit.hand_over is None:  # the processing app: do the work
            if not form and kind != "event_callback":  # Bolt acks events itself
                args.ack()  # (nobody reads this ack: Slack had its answer from the inbox)
            work(args, unit)
            return
        # Receiving: into the inbox before the ack, in this thread.
        received = unit.receive(args.body, handled=form)
        if received is None:
            log.info("dropped a repeat of a %s request", kind or "command")
            if kind != "event_callback":
                args.ack()  # 200 with nothing: the first one is being answered
            return
        if form:
            work(args, unit)  # its ack is its answer
            return
        if kind != "event_callback":
            args.ack()
        unit.hand_over(received)

    def work(args: Args, unit: Unit) -> None:
        call = Call(body=args.body, ack=args.ack, respond=args.respond, client=_client(args, unit))
        try:
            unit.run(lambda: listener(**{name: _argument(name, args, unit) for name in wanted}))
        except ClaimLost:
            log.warning("inbox row %s was taken over before its work committed", unit.claim)
        except StaleInput as stale:
            tell(call, where, stale.message)
        except ServiceError as refused:
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


class Processor:
    """Works on inbox rows through `app` (the processing app), one attempt each: the row is
    claimed, its stored request dispatched to the listeners (which run in their unit of work,
    `listen`), and the row marked done."""

    def __init__(self, runtime: Runtime, app: App) -> None:
        self.runtime = runtime
        self.app = app
        self.stale_after = timedelta(seconds=runtime.settings.inbox_claim_seconds)
        self._name = f"{socket.gethostname()[:30]}:{os.getpid()}"

    def process(self, inbox_id: int) -> bool:
        """Claim the row and run its work; False if it was not this attempt's to do (done
        already, or under someone else's live claim)."""
        claim = Claim(inbox_id, f"{self._name}:{next(_attempts)}")
        db = self.runtime.db

        def take() -> str | None:
            with db.session() as session:
                return inbox.claim(
                    session=session,
                    inbox_id=inbox_id,
                    claimer=claim.claimer,
                    now=self.runtime.now(),
                    stale_after=self.stale_after,
                )

        body = once_more_if_lost(take)  # a connection broken by a restart is no lost request
        if body is None:
            return False
        try:
            self.app.dispatch(
                BoltRequest(
                    body=body,
                    headers={"content-type": "application/json"},
                    context={"inbox": claim},
                )
            )
        finally:
            # Refused, failed, or matched by no listener: done all the same (a refusal or a
            # failure has been told to the person; trying again would tell them again).
            if not claim.finished:
                with db.session() as session:
                    inbox.finish(
                        session=session,
                        inbox_id=inbox_id,
                        claimer=claim.claimer,
                        now=self.runtime.now(),
                    )
        return True
