"""The emulation's HTTP server and its Python API for tests, the console and benchmarks."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from bot.slack_emulator import reference
from bot.slack_emulator.blockkit import check_message
from bot.slack_emulator.workspace import ApiError, User, Workspace

T = TypeVar("T")
JSON_ARGS = ("blocks", "attachments", "view", "metadata")


@dataclass
class Call:
    """One Web API call the emulation received."""

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None = None
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


@dataclass
class ResponsePost:
    """A post to a response URL (slash commands, interactions)."""

    tag: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Limit:
    per_second: float
    burst: float
    tokens: float
    stamp: float


class SlackEmulator:
    """Slack's Web API on 127.0.0.1, checking every call against the reference.

    >>> with SlackEmulator(token="xoxb-test") as emu:
    ...     emu.add_user("U1", name="alice")
    ...     WebClient(token="xoxb-test", base_url=emu.api_url).chat_postMessage(channel="U1", text="hi")
    """

    def __init__(self, *, token: str, reference_path: Path | None = None) -> None:
        self.token = token
        self.reference = reference.load(reference_path or reference.VENDORED)
        self.workspace = Workspace()
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self.violations: list[str] = []
        self._faults: dict[str, deque[tuple[int, int]]] = defaultdict(deque)
        self._limits: dict[str, _Limit] = {}
        self._limit_specs: dict[str, tuple[float, float]] = {}
        self._listeners: list[Callable[[Call], None]] = []
        self._lock = threading.RLock()
        self._urls = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Serve on a free loopback port in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="slack-emulator").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL (ends with a slash, as slack_sdk needs)."""
        return self.base_url + "/api/"

    # The workspace ---------------------------------------------------------------------------

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user_id

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    def add_user(self, user_id: str, *, name: str, real_name: str | None = None,
                 tz: str = "Europe/London", tz_offset: int = 0, is_bot: bool = False) -> None:
        with self.workspace.lock:
            self.workspace.users[user_id] = User(user_id, name, real_name or name, tz, tz_offset,
                                                 is_bot)

    def add_channel(self, channel_id: str) -> None:
        with self.workspace.lock:
            self.workspace.channels.add(channel_id)

    def im_channel(self, user_id: str) -> str:
        with self.workspace.lock:
            return self.workspace.im(user_id)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self.workspace.lock:
            return [dict(m) for m in self.workspace.messages.get(channel, [])]

    def response_url(self, tag: str = "r") -> str:
        return f"{self.base_url}/response/{tag}-{next(self._urls)}"

    # Recording and faults --------------------------------------------------------------------

    def find_calls(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def on_call(self, callback: Callable[[Call], None]) -> None:
        """Call `callback(call)` after every recorded Web API call."""
        self._listeners.append(callback)

    def inject(self, method: str, *, status: int = 429, retry_after: int = 1,
               times: int = 1) -> None:
        """The next `times` calls of `method` fail with `status` (429 with Retry-After)."""
        with self._lock:
            self._faults[method].extend([(status, retry_after)] * times)

    def rate_limit(self, key: str, *, per_minute: float, burst: float = 1) -> None:
        """Enforce a limit: `key` is a method, or `chat.postMessage:channel` for each channel."""
        with self._lock:
            self._limit_specs[key] = (per_minute / 60.0, burst)

    def reset(self) -> None:
        """Forget calls, messages, faults and limits; keep users and channels."""
        with self._lock, self.workspace.lock:
            self.calls.clear()
            self.responses.clear()
            self.violations.clear()
            self._faults.clear()
            self._limits.clear()
            self._limit_specs.clear()
            self._listeners.clear()
            self.workspace.messages.clear()
            self.workspace.ephemerals.clear()
            self.workspace.views.clear()
            self.workspace.home.clear()

    def wait_for(self, predicate: Callable[[SlackEmulator], T | None], timeout: float = 5.0) -> T:
        """Poll until `predicate(self)` is truthy and return it; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() > deadline:
                recent = ", ".join(f"{c.method}({'ok' if c.ok else c.error})"
                                   for c in self.calls[-12:])
                raise TimeoutError(f"not seen within {timeout}s; recent calls: {recent or 'none'}")
            time.sleep(0.01)

    # Handling a call -------------------------------------------------------------------------

    def _throttled(self, key: str) -> int:
        """0 if allowed now, else the seconds to wait (Slack's Retry-After)."""
        spec = self._limit_specs.get(key) or self._limit_specs.get(key.split(":")[0] + ":channel"
                                                                   if ":" in key else "")
        if spec is None:
            return 0
        now = time.monotonic()
        bucket = self._limits.setdefault(key, _Limit(spec[0], spec[1], spec[1], now))
        bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.per_second)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, int((1 - bucket.tokens) / bucket.per_second + 0.999))

    def handle_api(self, method: str, args: dict[str, Any], auth: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            fault = self._faults[method].popleft() if self._faults.get(method) else None
            wait = 0
            if fault is None:
                wait = self._throttled(method)
                if not wait and method == "chat.postMessage":
                    wait = self._throttled(f"chat.postMessage:{args.get('channel')}")
        if fault is not None or wait:
            status, retry = fault if fault is not None else (429, wait)
            body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            self._record(Call(method, args, False, body["error"], status))
            return status, body, ({"Retry-After": str(retry)} if status == 429 else {})
        problems = reference.problems(method, args, self.reference)
        if auth != f"Bearer {self.token}":
            error = "not_authed" if not auth else "invalid_auth"
            problems = [f"{method}: {error}"] + problems
        if problems:
            error = problems[0].split(": ", 1)[1]
            code = ("unknown_method" if "unknown method" in error else
                    error if error in ("not_authed", "invalid_auth") else "invalid_arguments")
            self.violations.extend(problems)
            self._record(Call(method, args, False, code))
            return 200, {"ok": False, "error": code}, {}
        try:
            with self.workspace.lock:
                result = self.workspace.call(method, args)
        except ApiError as exc:
            if exc.violation:
                self.violations.append(f"{method}: {exc.violation}")
            self._record(Call(method, args, False, exc.error))
            return 200, {"ok": False, "error": exc.error}, {}
        body = {"ok": True, **result}
        self._record(Call(method, args, True, response=body))
        return 200, body, {}

    def handle_response_url(self, tag: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problems = check_message(body)
        if problems:
            self.violations.extend(f"response_url: {p}" for p in problems)
            return 400, {"ok": False, "error": "invalid_blocks"}
        with self._lock:
            self.responses.append(ResponsePost(tag, body))
        return 200, {"ok": True}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
        for listener in list(self._listeners):
            listener(call)


def _parse_args(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw:
        if "json" in content_type:
            loaded = json.loads(raw.decode() or "{}")
            args.update(loaded if isinstance(loaded, dict) else {})
        else:
            args.update(parse_qsl(raw.decode(), keep_blank_values=True))
    for key in JSON_ARGS:  # form bodies carry these as JSON strings
        if isinstance(args.get(key), str) and args[key][:1] in "[{":
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass
    return args


def _handler_for(emu: SlackEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                args = _parse_args(raw, self.headers.get("Content-Type", ""), url.query)
            except (ValueError, UnicodeDecodeError):
                self._reply(400, {"ok": False, "error": "invalid_json"})
                return
            if url.path.startswith("/api/"):
                status, body, headers = emu.handle_api(url.path[5:], args,
                                                       self.headers.get("Authorization"))
                self._reply(status, body, headers)
            elif url.path.startswith("/response/") and self.command == "POST":
                self._reply(*emu.handle_response_url(url.path[10:], args))
            else:
                self._reply(404, {"ok": False, "error": "not_found"})

        do_GET = _handle
        do_POST = _handle

    return Handler
