"""Slack listeners, one module per surface: thin, they parse, ack, call a service and render."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime


def register_all(app: App, runtime: Runtime) -> None:
    """Register every surface's listeners on `app`."""
    from handlers import admin, broadcasts, champions, home, middleware, questions, requests

    middleware.register(app, runtime)
    questions.register(app, runtime)
    home.register(app, runtime)
    admin.register(app, runtime)
    champions.register(app, runtime)
    requests.register(app, runtime)
    broadcasts.register(app, runtime)
