"""Request handling behind the emulator: checks, faults, rate limits, dispatch and recording."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.emulator import views as _views  # noqa: F401 - registers the views.* handlers
from bot.emulator.assistant import args_to_check
from bot.emulator.blockkit import check_message, check_response_body, check_view
from bot.emulator.files import FILE_METHODS, Files
from bot.emulator.installs import INSTALL_METHODS, Installs
from bot.emulator.limits import Faults, RateLimiter
from bot.emulator.methods import HANDLERS, public
from bot.emulator.records import Call, ResponsePost, SlackError
from bot.emulator.reference import Reference
from bot.emulator.server import ApiRequest, LoopbackServer, Reply
from bot.emulator.tenancy import Directory, Token
from bot.emulator.workspace import EDITABLE, USER_ID, Counter, Workspace

log = logging.getLogger(__name__)

TOKEN_PREFIXES = ("xoxb-", "xapp-")
NO_AUTH = {"api.test", "oauth.access", "oauth.v2.access", "oauth.v2.exchange"}
NO_AUTH |= {"oauth.v2.user.access", "openid.connect.token"}
MESSAGE_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}
RESPONSE_URL_USES = 5
HOLD_LIMIT = 60.0  # the longest a held call waits for its release


class EmulatorCore(Installs, Files):
    """State and request handling; `SlackEmulator` adds the public API on top."""

    def __init__(
        self, *, token: str, reference: str | Path | None = None, auto_create: bool = False
    ) -> None:
        if not token.startswith(TOKEN_PREFIXES):
            raise ValueError(f"the emulator's token must start with one of {TOKEN_PREFIXES}")
        self.token = token
        self.reference = Reference.load(reference)
        self._lock = threading.RLock()
        self._auto_create = auto_create
        ids = Counter()
        self._ws = Workspace(auto_create=auto_create, ids=ids)
        self._dir = Directory(self._ws, ids)
        self._dir.add_token(Token(token, "bot", self._ws.team_id, user_id=self._ws.bot_user_id))
        self._events: list[dict[str, Any]] = []
        Installs.__init__(self)
        Files.__init__(self)
        self._faults = Faults()
        self._limiter = RateLimiter()
        self._calls: list[Call] = []
        self._violations: list[str] = []
        self._responses: list[ResponsePost] = []
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._call_listeners: list[Callable[[Call], None]] = []
        self._response_listeners: list[Callable[[ResponsePost], None]] = []
        self._server: LoopbackServer | None = None

    # ---- Web API

    def handle_api(self, method: str, request: ApiRequest) -> Reply:
        """Answer one Web API call and record it (called on the server's threads)."""
        with self._lock:
            notes = list(request.problems)
            routed: list[Workspace] = []
            hold = self._faults.take_hold(method, request.args)
            try:
                if hold is not None and not hold.applied:
                    reply, injected = _error("internal_error", status=500), True
                else:
                    reply, injected = self._dispatch(method, request, notes, routed)
            except Exception as exc:  # a bug in the emulator must fail the tests loudly
                log.exception("emulator failed on %s", method)
                notes.append(f"the emulator itself failed: {exc!r}")
                reply, injected = Reply({"ok": False, "error": "fatal_error"}, status=500), False
            body = reply.body
            call = Call(
                method=method,
                args=dict(request.args),
                ok=bool(body.get("ok")),
                error=None if body.get("ok") else str(body.get("error")),
                time=time.time(),
                status=reply.status,
                response=body,
                injected=injected,
                team_id=routed[0].team_id if routed else None,
                enterprise_id=routed[0].enterprise_id if routed else None,
            )
            self._calls.append(call)
            self._violations.extend(f"{method}: {note}" for note in notes)
            listeners = list(self._call_listeners)
        for listener in listeners:
            try:
                listener(call)
            except Exception:
                log.exception("on_call listener failed")
        if hold is not None:  # outside the lock: every other call goes on meanwhile
            hold.reached.set()
            hold.released.wait(timeout=HOLD_LIMIT)
        return reply

    def _dispatch(
        self, method: str, request: ApiRequest, notes: list[str], routed: list[Workspace]
    ) -> tuple[Reply, bool]:
        args = request.args
        if method not in self.reference:
            notes.append("unknown method (not in Slack's method reference)")
            return _error("unknown_method"), False
        token: Token | None = None
        ws: Workspace | None = None
        if method not in NO_AUTH:
            if not request.token:
                notes.append("no token: send it as 'Authorization: Bearer xoxb-…'")
                return _error("not_authed"), False
            try:
                token, ws = self._dir.route(
                    request.token, args, need_workspace=method not in INSTALL_METHODS
                )
            except SlackError as exc:
                if exc.violation:
                    notes.append(exc.violation)
                return _error(exc.error), False
            if ws is not None:
                routed.append(ws)
        team = ws.team_id if ws else (token.enterprise_id or "") if token else ""
        fault = self._faults.take(method, team, self._resolved(ws, args))
        if fault is not None:
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            failed = _error(fault.error, status=fault.status, headers=headers)
            if fault.applied:  # Slack did the work, then the answer was lost
                self._dispatch_checked(method, request, notes, token, ws)
            return failed, True
        if token is not None:
            channel = self._channel_key(ws, args) if ws else None
            retry_after = self._limiter.check(method, channel, team)
            if retry_after is not None:
                headers = {"Retry-After": str(retry_after)}
                return _error("ratelimited", status=429, headers=headers), False
        return self._dispatch_checked(method, request, notes, token, ws), False

    def _resolved(self, ws: Workspace | None, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments a fault's `where` sees: a user ID as channel also as its DM's id."""
        channel = args.get("channel")
        if ws is None or not isinstance(channel, str) or channel not in ws.ims:
            return args
        return {**args, "channel_id": ws.ims[channel]}

    def _dispatch_checked(
        self,
        method: str,
        request: ApiRequest,
        notes: list[str],
        token: Token | None,
        ws: Workspace | None,
    ) -> Reply:
        """Check the call against the reference and Block Kit, then make it."""
        args = request.args
        checked = args_to_check(method, self._own(method, args, ws))
        problems = [(p.error, p.reason) for p in self.reference.check(method, checked)]
        if method in MESSAGE_METHODS:
            problems += check_message(args)
        if method in VIEW_METHODS and args.get("view") not in (None, ""):
            problems += check_view(args["view"], method=method)
        if problems:
            notes.extend(reason for _, reason in problems)
            messages = [f"[ERROR] {reason}" for _, reason in problems]
            return _error(problems[0][0], extra={"response_metadata": {"messages": messages}})
        try:
            if method in INSTALL_METHODS:
                result = self._install_method(method, request, token, ws)
            elif method in FILE_METHODS and ws is not None:
                result = self._files_method(method, ws, args)
            else:
                handler = HANDLERS.get(method)
                result = handler(ws, args) if handler and ws else {}
        except SlackError as exc:
            if exc.violation:
                notes.append(exc.violation)
            return _error(exc.error)
        return Reply({"ok": True, **result})

    def _own(self, method: str, args: dict[str, Any], ws: Workspace | None) -> dict[str, Any]:
        """The args to check against the reference, without the team_id slack_sdk adds.

        Bolt gives each request a WebClient(team_id=…) and slack_sdk then sends that team_id
        with every call, listed in the reference or not; Slack accepts it for the workspace
        the token was routed to (and an org-wide token needs it), so only a different team
        is a problem: a call sent with one workspace's token about another.
        """
        spec = self.reference.methods[method]
        own_team = ws.team_id if ws else None
        if "team_id" not in args or "team_id" in spec.args or args["team_id"] != own_team:
            return args
        return {k: v for k, v in args.items() if k != "team_id"}

    @property
    def team_id(self) -> str:
        return self._ws.team_id

    def _channel_key(self, ws: Workspace, args: dict[str, Any]) -> str | None:
        channel = args.get("channel")
        if not isinstance(channel, str):
            return None
        if USER_ID.match(channel) and channel in ws.ims:
            return ws.ims[channel]
        return channel

    # ---- response_url

    def handle_response_url(self, path_id: str, body: bytes, content_type: str) -> Reply:
        """Answer one POST to a response_url and record it."""
        with self._lock:
            notes: list[str] = []
            entry = self._response_urls.get(path_id.split("-", 1)[0])
            data: dict[str, Any] = {}
            try:
                parsed = json.loads(body.decode("utf-8")) if body else None
            except (UnicodeDecodeError, ValueError):
                parsed = None
            if isinstance(parsed, dict):
                data = parsed
            reply = self._respond(entry, data, parsed, content_type, notes)
            post = ResponsePost(
                url=f"{self.base_url}/response/{path_id}",
                tag=str(entry["tag"]) if entry else "",
                body=data,
                ok=bool(reply.body.get("ok")),
                error=None if reply.body.get("ok") else str(reply.body.get("error")),
                time=time.time(),
                channel=entry.get("channel") if entry else None,
                message_ts=entry.get("message_ts") if entry else None,
            )
            self._responses.append(post)
            self._violations.extend(f"response_url: {note}" for note in notes)
            listeners = list(self._response_listeners)
        for listener in listeners:
            try:
                listener(post)
            except Exception:
                log.exception("on_response listener failed")
        return reply

    def _respond(
        self,
        entry: dict[str, Any] | None,
        data: dict[str, Any],
        parsed: Any,
        content_type: str,
        notes: list[str],
    ) -> Reply:
        if entry is None:
            notes.append("POST to a response_url the emulator never issued")
            return _error("expired_url", status=404)
        fault = self._faults.take("response_url")
        if fault is not None:
            return _error(fault.error, status=fault.status)
        if not isinstance(parsed, dict) or "json" not in content_type.lower():
            notes.append("the body must be a JSON object sent as application/json")
            return _error("invalid_payload", status=400)
        entry["uses"] += 1
        if entry["uses"] > RESPONSE_URL_USES:
            notes.append(f"response_url {entry['tag']!r} used more than {RESPONSE_URL_USES} times")
            return _error("used_url", status=404)
        problems = check_response_body(data)
        if problems:
            notes.extend(reason for _, reason in problems)
            return _error(problems[0][0], status=400)
        self._apply_response(entry, data)
        return Reply({"ok": True})

    def _apply_response(self, entry: dict[str, Any], data: dict[str, Any]) -> None:
        channel, message_ts, user = entry["channel"], entry["message_ts"], entry["user"]
        if channel is None:
            return
        ws = self._dir.workspace(entry.get("team_id"))
        content: dict[str, Any] = {k: data[k] for k in EDITABLE if k in data}
        if message_ts and (data.get("delete_original") or data.get("replace_original")):
            try:
                original = ws.message(channel, message_ts)
            except SlackError:
                return
            if data.get("delete_original"):
                ws.messages[channel].remove(original)
                ws.deleted.append({**original, "channel": channel})
            else:
                ws.edit(original, content)
            return
        message: dict[str, Any] = {"type": "message", "user": ws.bot_user_id, "ts": ws.next_ts()}
        message.update(content)
        if data.get("thread_ts"):
            message["thread_ts"] = str(data["thread_ts"])
        if data.get("response_type") == "in_channel":
            ws.add_message(channel, message)
        elif user:
            ws.ephemeral.setdefault((channel, user), []).append(message)

    # ---- shared

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (raises until `start`)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started; call start() first")
        return f"http://127.0.0.1:{self._server.port}"

    def _message_copies(self, ws: Workspace, channel_id: str) -> list[dict[str, Any]]:
        return [
            {**public(m), "edits": json.loads(json.dumps(m.get("edits", [])))}
            for m in ws.messages.get(channel_id, [])
        ]


def _error(
    error: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Reply:
    return Reply(
        {"ok": False, "error": error, **(extra or {})}, status=status, headers=headers or {}
    )
