"""The HTTP front door: `POST /slack/events` to Bolt and `GET /healthz`, served by waitress."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from waitress.server import create_server

from bot import frontdoor
from bot.db import Database

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# waitress's hard cap, well above the front door's limit (bot/frontdoor.py): a body between the
# two is read (spooled to disk past 512 KiB) and refused with a clean 413; waitress answers a
# body over this cap with 413 and closes at once, which a client still sending sees as a reset.
MAX_BODY = 8 * 1024 * 1024


def wsgi_app(app: App, db: Database, *, ready: Callable[[], bool] | None = None) -> WSGIApp:
    """A WSGI application that routes Slack's requests to Bolt and answers health checks
    (unhealthy while `ready` says the worker process is not yet taking work)."""
    slack = frontdoor.guard(app, SlackRequestHandler(app, path="/slack/events"))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            body: dict[str, Any]
            try:
                with db.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                status, body = "200 OK", {"ok": True, "error": None}
                if ready is not None and not ready():
                    status = "503 Service Unavailable"
                    body = {"ok": False, "error": "worker_starting"}
            except Exception as exc:  # a health check reports, it never raises
                status = "503 Service Unavailable"
                body = {"ok": False, "error": type(exc).__name__}
            payload = json.dumps(body).encode()
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        return slack(environ, start_response)

    return application


class HttpServer:
    """A multi-threaded production HTTP server (waitress) around the app."""

    def __init__(
        self, application: WSGIApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 8
    ) -> None:
        self._server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY,
            ident="champbot",
            clear_untrusted_proxy_headers=True,
        )
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def run(self) -> None:
        """Serve until `close()` is called (from any thread) or the process is interrupted."""
        self._stopped.clear()
        server: Any = self._server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=0.2, map=server._map, count=1)
        finally:
            server.close()
            server.task_dispatcher.shutdown()
            self._stopped.set()

    def close(self) -> None:
        """Stop serving, and wait until the listening socket is closed."""
        self._stopping.set()
        # Wake the loop's select now rather than at its timeout; a trigger already closed means
        # the loop saw the flag first and is closing the server itself.
        with contextlib.suppress(OSError):
            self._server.pull_trigger()  # type: ignore[union-attr]
        self._stopped.wait(timeout=5)
