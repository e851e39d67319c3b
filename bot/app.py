"""The Bolt app, built in one place from the runtime."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.oauth import redact
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(
    runtime: Runtime, *, socket_mode: bool = False, executor: Executor | None = None
) -> App:
    """The Bolt app with every listener registered."""
    from handlers import register_all

    settings = runtime.settings
    # No token or secret reaches any log, whatever the level (bot.oauth.redact).
    redact.install(settings.bot_token, settings.app_token, settings.signing_secret)
    if settings.log_level != "DEBUG":
        # Bolt and slack_sdk log whole payloads (what officers typed) at INFO and DEBUG.
        for name in ("slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if socket_mode:
        settings.require_socket()
    else:
        settings.require_http()
    # Many workspaces: Bolt's OAuth install flow, each request authorised by its workspace's
    # installation (bot.oauth); one workspace: SLACK_BOT_TOKEN, as before.
    oauth = oauth_wiring(runtime)
    app = App(
        signing_secret=settings.signing_secret or "socket-mode",
        client=runtime.client,
        oauth_settings=oauth,
        # Every listener acks, hands its work to the app's own pool and returns (`bot.unit`), so
        # Bolt may as well run it in the request's own thread: the ack is answered as soon as
        # it is given, without a hop to Bolt's executor and its 10 ms polling for the ack.
        process_before_response=True,
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("champbot.bolt"),
        listener_executor=executor or ThreadPoolExecutor(max_workers=8),
    )

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # The payload can hold what an officer typed: log its kind, never its content.
        log.error(
            "listener failed on a %s payload: %s",
            body.get("type") or ("command" if "command" in body else "unknown"),
            type(error).__name__,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )

    register_all(app, runtime)
    runtime.start()
    if oauth is not None:
        from bot.oauth import events

        events.register(app, runtime)
    return app


def oauth_wiring(runtime: Runtime) -> OAuthSettings | None:
    """Bolt's OAuth settings for a multi-workspace deployment, after checking that the key
    reads the stored tokens (a one-line error at start otherwise); None for one workspace."""
    store = runtime.installation_store
    if store is None:
        return None
    from bot.oauth import flow
    from bot.oauth.served import Served

    flow.check_at_start(store)
    served = runtime.installations
    assert isinstance(served, Served)
    return flow.oauth_settings(runtime.settings, runtime.db.engine, store, served, runtime.client)
