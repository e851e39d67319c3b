"""Slack listeners, one module per surface: thin, they parse, call a service and render; each
runs in the request's unit of work (`bot.unit`), which commits and maps errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

if TYPE_CHECKING:  # bot.unit imports handlers.errors, whose package this is
    from bot.runtime import Runtime
    from bot.unit import Transport


def register_all(app: App, runtime: Runtime, transport: Transport | None) -> None:
    """Install the unit-of-work middleware, then every surface's listeners, on `app` (the
    receiving app with a `transport`, else the processing app: `bot.unit.install`)."""
    from bot.unit import install
    from handlers import (
        admin,
        assistant,
        broadcasts,
        champions,
        cpd,
        home,
        outcomes,
        questions,
        requests,
    )

    install(app, runtime, transport)
    # The agent view's middleware takes the DM threads before the classic DM listener sees them.
    assistant.register(app)
    for surface in (questions, home, admin, champions, requests, broadcasts, cpd, outcomes):
        surface.register(app)
