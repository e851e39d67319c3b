"""The `champbot` commands that run the app: `serve` (the web process and its worker), `worker`,
`socket` and `clock`."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.worker import WorkerProcess

log = logging.getLogger("champbot")

__all__ = [
    "cmd_clock",
    "cmd_serve",
    "cmd_socket",
    "cmd_worker",
    "early_worker",
    "serve_arguments",
]


def serve_arguments(s: argparse.ArgumentParser) -> None:
    """The options of `champbot serve`."""
    s.add_argument("--port", type=int)
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument(
        "--no-scheduler", action="store_true", help="leave the sweeps to `champbot clock`"
    )
    s.add_argument(
        "--no-worker",
        action="store_true",
        help="run the work after each ack in this process instead of a worker process",
    )


def early_worker(argv: Sequence[str]) -> WorkerProcess | None:
    """For `champbot serve` (with a worker): its worker process, started before the web
    process imports its app and opens the database, so that the two start side by side (each
    takes most of a second of CPU to import and load: on two cores, the start is the longer
    of them rather than their sum). The worker loads the sentence model and the entries, then
    waits for `WorkerProcess.schema_checked` before it opens the database, which the web process
    checks (and on SQLite upgrades) first, alone. None for any other command, or when the
    options or settings are wrong: the command line then says what is wrong, as before."""
    if list(argv[:1]) != ["serve"]:
        return None
    options = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    serve_arguments(options)
    try:
        args, extra = options.parse_known_args(list(argv[1:]))
        Settings.from_env().require_http()
    except (argparse.ArgumentError, ConfigError):
        return None
    if extra or args.no_worker:
        return None
    from bot.worker import WorkerProcess

    return WorkerProcess(scheduler=not args.no_scheduler, schema_checked=False)


def _runtime(settings: Settings) -> Runtime:
    from bot.runtime import Runtime

    return Runtime.from_settings(settings)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    # The work after each ack runs in a worker process of its own (with the clock's jobs),
    # unless --no-worker keeps it in this one; `main` has started it already (`early_worker`).
    worker: WorkerProcess | None = getattr(args, "worker", None)
    runtime = scheduler = sweeper = None
    try:  # from here on, whatever fails stops the worker too: none is left sweeping alone
        from bot.app import create_app, local_processor
        from bot.runtime import Runtime
        from bot.server import HttpServer, wsgi_app
        from bot.worker import WorkerProcess

        settings.require_http()
        if not args.no_worker:
            # Questions are answered in the worker, which loads the sentence model; this
            # process only acks and hands over, so it keeps the entries and not the model.
            settings = dataclasses.replace(settings, semantic=False)
            if worker is None:
                worker = WorkerProcess(scheduler=not args.no_scheduler, schema_checked=False)
        # the database checked (on SQLite, upgraded) here first, then the worker opens it
        runtime = Runtime.from_settings(
            settings, schema_checked=worker.schema_checked if worker else None
        )
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
        if runtime is not None:
            runtime.close()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.worker import run_worker

    return run_worker(
        settings, fd=args.fd, scheduler=args.scheduler, after_schema=args.after_schema
    )


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
