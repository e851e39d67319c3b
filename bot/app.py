"""The Bolt apps, built in one place from the runtime: the receiving app that Slack's requests
reach, and the processing app that runs their work from the inbox (`bot.unit.Processor`)."""

from __future__ import annotations

import logging
import weakref
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.oauth import redact
from bot.runtime import Runtime
from bot.unit import Processor, Transport

log = logging.getLogger(__name__)

_processors: weakref.WeakKeyDictionary[App, Processor] = weakref.WeakKeyDictionary()


def create_app(
    runtime: Runtime,
    *,
    socket_mode: bool = False,
    executor: Executor | None = None,
    transport: Transport | None = None,
) -> App:
    """The receiving Bolt app with every listener registered. Their work is handed to
    `transport` (the worker process's, in `champbot serve`); without one, to this process's
    work pool, through a processing app of its own (`local_processor`)."""
    settings = runtime.settings
    # No token or secret reaches any log, whatever the level (bot.oauth.redact).
    redact.install(settings.bot_token, settings.app_token, settings.signing_secret)
    if socket_mode:
        settings.require_socket()
    else:
        settings.require_http()
    # Many workspaces: Bolt's OAuth install flow, each request authorised by its workspace's
    # installation (bot.oauth); one workspace: SLACK_BOT_TOKEN, as before.
    oauth = oauth_wiring(runtime)
    app = _bolt(runtime, verify=not socket_mode, executor=executor, oauth=oauth)
    processor = None
    if transport is None:
        processor = Processor(runtime, create_processing_app(runtime, oauth=oauth))
        transport = LocalTransport(runtime, processor)
    _register(app, runtime, transport)
    if processor is not None:
        _processors[app] = processor
    runtime.start()
    return app


def create_processing_app(runtime: Runtime, *, oauth: OAuthSettings | None = None) -> App:
    """The app the inbox's requests are dispatched through: the same listeners, run at once in
    the dispatching thread. Nothing reaches it from outside, so it verifies no signature (the
    receiving app did, before the row was written); with many workspaces it authorises each
    request by its workspace's installation, as the receiving app does."""
    if oauth is None and runtime.installation_store is not None:
        oauth = oauth_wiring(runtime)
    app = _bolt(runtime, verify=False, executor=None, oauth=oauth)
    _register(app, runtime, None)
    return app


def local_processor(app: App) -> Processor | None:
    """The processor behind a receiving app that works in its own process (None: it hands its
    work to another process)."""
    return _processors.get(app)


def _bolt(
    runtime: Runtime,
    *,
    verify: bool,
    executor: Executor | None,
    oauth: OAuthSettings | None = None,
) -> App:
    settings = runtime.settings
    if settings.log_level != "DEBUG":
        # Bolt and slack_sdk log whole payloads (what officers typed) at INFO and DEBUG.
        for name in ("slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(logging.WARNING)
    app = App(
        # Bolt names an app after its caller's file, which it finds with `inspect.stack()`:
        # the source of every frame read, 0.02 s of CPU at each start. The same name, given.
        name="app.py",
        signing_secret=settings.signing_secret or "socket-mode",
        client=runtime.client,
        oauth_settings=oauth,
        # Every listener acks, hands its work over and returns (`bot.unit`), so Bolt may as
        # well run it in the request's own thread: the ack is answered as soon as it is given,
        # without a hop to Bolt's executor and its 10 ms polling for the ack.
        process_before_response=True,
        request_verification_enabled=verify,
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

    return app


def _register(app: App, runtime: Runtime, transport: Transport | None) -> None:
    from handlers import register_all

    register_all(app, runtime, transport)
    if runtime.installation_store is not None:
        from bot.oauth import events

        events.register(app, runtime)


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


class LocalTransport(Transport):
    """The work runs on this process's work pool."""

    def __init__(self, runtime: Runtime, processor: Processor) -> None:
        self._runtime = runtime
        self.processor = processor

    def hand_over(self, inbox_id: int) -> None:
        self._runtime.work_pool.submit(lambda: self.processor.process(inbox_id))

    def deliver(self, ids: list[int]) -> None:
        self._runtime.worker.submit(ids)
