"""The `champbot` commands that run the app: `serve` (the web process and its worker), `worker`,
`socket` and `clock`."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("champbot")

__all__ = ["cmd_clock", "cmd_serve", "cmd_socket", "cmd_worker"]


def _runtime(settings: Settings) -> Runtime:
    from bot.runtime import Runtime

    return Runtime.from_settings(settings)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app, local_processor
    from bot.server import HttpServer, wsgi_app
    from bot.worker import WorkerProcess

    settings.require_http()
    if not args.no_worker:
        # Questions are answered in the worker, which loads the sentence model; this process
        # only acks and hands over, so it keeps the entries and not the model (75 MB).
        settings = dataclasses.replace(settings, semantic=False)
    runtime = _runtime(settings)
    # The work after each ack runs in a worker process of its own (with the clock's jobs),
    # unless --no-worker keeps it in this one.
    worker = None if args.no_worker else WorkerProcess(scheduler=not args.no_scheduler)
    scheduler = sweeper = None
    try:  # from here on, whatever fails stops the worker too: none is left sweeping alone
        app = create_app(runtime, transport=worker.transport if worker else None)
        port = args.port if args.port is not None else settings.port
        ready = (lambda: worker.ready) if worker is not None else None
        server = HttpServer(wsgi_app(app, runtime.db, ready=ready), host=args.host, port=port)
        if worker is None:
            from bot.inbox import Sweeper
            from bot.scheduler import start_background

            processor = local_processor(app)
            assert processor is not None
            sweeper = Sweeper(processor).start()
            scheduler = None if args.no_scheduler else start_background(runtime)
        log.info("serving on http://%s:%s/slack/events", args.host, server.port)
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    finally:
        if worker is not None:
            worker.close()
        if sweeper is not None:
            sweeper.close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        runtime.close()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.worker import run_worker

    return run_worker(settings, fd=args.fd, scheduler=args.scheduler)


def cmd_socket(settings: Settings, args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app, local_processor
    from bot.inbox import Sweeper
    from bot.scheduler import start_background

    settings.require_socket()
    runtime = _runtime(settings)
    app = create_app(runtime, socket_mode=True)
    processor = local_processor(app)
    assert processor is not None
    sweeper = Sweeper(processor).start()
    scheduler = None if args.no_scheduler else start_background(runtime)
    try:
        SocketModeHandler(app, settings.app_token).start()
    finally:
        sweeper.close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        runtime.close()
    return 0


def cmd_clock(settings: Settings, args: argparse.Namespace) -> int:
    from bot.scheduler import run_clock

    run_clock(_runtime(settings))
    return 0
