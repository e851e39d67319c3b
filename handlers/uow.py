"""How every listener runs: a middleware builds the request's unit of work, and `listen` (the one
place listeners are registered) runs the listener inside it and maps what it raises.

Bolt runs this app with `process_before_response=False`: the middleware's `next()` returns as soon
as the listener has acked, while the listener's body goes on in Bolt's executor thread. So the
middleware only builds the unit (caller, time, event) and `listen`'s wrapper, in the listener's
own thread, opens the session, commits after the listener, runs its replies and hands the outbox
to the delivery worker. No listener opens a session, commits or marks an event by hand.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.kwargs_injection import Args

from bot.runtime import Runtime
from bot.services import ServiceError, events
from bot.unit import Unit
from handlers.errors import Call, Where, failure, tell
from handlers.values import StaleInput

log = logging.getLogger(__name__)

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
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            event_id = event_id[:64]
            # Before the ack, in Bolt's thread: a repeat must be answered without running.
            with runtime.db.session() as session:
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
            event_id=event_id,
            deliver=runtime.worker.submit,
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
    request's unit of work. Commands, buttons and shortcuts are acked first, so that a listener
    cannot be slow to ack; a form's listener acks itself (its ack is its answer)."""
    wanted = list(inspect.signature(listener).parameters)
    unknown = [
        n for n in wanted if n not in FROM_UNIT and n not in inspect.signature(Args).parameters
    ]
    if unknown:
        raise TypeError(f"{listener.__name__} asks for unknown arguments: {unknown}")
    where = Where(errors_block=errors_block, title=title)

    def run(args: Args) -> None:
        unit: Unit = args.context["unit"]
        call = Call(body=args.body, ack=args.ack, respond=args.respond, client=args.client)
        if args.body.get("type") not in ("view_submission", "event_callback"):
            args.ack()
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
    return getattr(args, name)
