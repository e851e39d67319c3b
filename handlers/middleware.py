"""What runs before every listener: answering Slack's retries of an event only once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.runtime import Runtime
from bot.services import events

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Install the global middleware."""

    @app.middleware
    def drop_duplicate_events(
        body: dict[str, Any], context: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str) or not event_id:
            return next()
        with runtime.db.session() as session:
            fresh = events.begin(session=session, event_id=event_id[:64], now=runtime.now())
        if not fresh:
            log.info("dropped a repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        context["event_id"] = event_id[:64]
        return next()


def finish_event(runtime: Runtime, context: dict[str, Any]) -> None:
    """Mark the event behind this listener call as handled (after its reply is out)."""
    event_id = context.get("event_id")
    if event_id:
        with runtime.db.session() as session:
            events.finish(session=session, event_id=event_id, now=runtime.now())
