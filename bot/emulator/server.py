"""The HTTP side: a loopback ThreadingHTTPServer that parses Web API and response_url requests."""

from __future__ import annotations

import base64
import json
import sys
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 20 * 1024 * 1024


@dataclass
class ApiRequest:
    """A Web API request taken apart: arguments, where the token came from, and problems."""

    args: dict[str, Any]
    token: str | None = None
    basic: tuple[str, str] | None = None  # client_id, client_secret from HTTP Basic auth
    transport: str = "form"
    problems: list[str] = field(default_factory=list)


@dataclass
class Reply:
    """What to send back."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a plain-text answer instead of JSON (a file upload's "OK - 123")


class Backend(Protocol):
    """What the server hands requests to (the SlackEmulator)."""

    def handle_api(self, method: str, request: ApiRequest) -> Reply: ...

    def handle_response_url(self, path_id: str, body: bytes, content_type: str) -> Reply: ...

    def handle_authorize(self, query: str) -> Reply: ...

    def handle_upload(self, path: str, body: bytes, content_type: str) -> Reply: ...


def _single(pairs: dict[str, list[str]], request: ApiRequest, where: str) -> None:
    for key, values in pairs.items():
        if len(values) > 1:
            request.problems.append(f"argument {key!r} given {len(values)} times in the {where}")
        request.args[key] = values[-1]


def parse_api_request(
    *, query: str, body: bytes, content_type: str, authorization: str | None
) -> ApiRequest:
    """Arguments from the query string and a form, multipart or JSON body; the bearer token."""
    request = ApiRequest(args={})
    _single(parse_qs(query, keep_blank_values=True), request, "query string")
    if "token" in request.args:
        request.args.pop("token")
        request.problems.append("token passed in the query string, which Slack no longer accepts")
    kind = content_type.split(";")[0].strip().lower()
    body_token: str | None = None
    if kind == "application/json":
        request.transport = "json"
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            request.problems.append("the JSON body does not parse")
            data = {}
        if not isinstance(data, dict):
            request.problems.append("the JSON body is not an object")
            data = {}
        if "token" in data:
            data.pop("token")
            request.problems.append("token in a JSON body; Slack wants an Authorization header")
        request.args.update(data)
    elif kind == "multipart/form-data":
        request.transport = "multipart"
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True)
                is_file = part.get_filename() is not None
                raw = payload if isinstance(payload, bytes) else b""
                text = "(file)" if is_file else raw.decode("utf-8", "replace")
                request.args[name] = text
        body_token = request.args.pop("token", None)
    elif body:
        request.transport = "form"
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        _single(form, request, "form body")
        body_token = request.args.pop("token", None)
    elif query:
        request.transport = "query"
    if authorization and authorization.startswith("Bearer "):
        request.token = authorization[len("Bearer ") :].strip()
    elif authorization and authorization.startswith("Basic "):
        request.basic = _basic(authorization[len("Basic ") :].strip(), request)
    elif body_token:
        request.token = str(body_token)
    return request


def _basic(encoded: str, request: ApiRequest) -> tuple[str, str] | None:
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        request.problems.append("the Basic Authorization header does not decode")
        return None
    return user, password


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /response/<id> to the backend and writes its JSON reply."""

    server_version = "SlackEmulator/1.0"
    backend: Backend  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Reply({"ok": False, "error": "request_too_large"}, status=413))
            return
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            # The caller went away mid-request (killed between sending its headers and its
            # body, as http.client sends them apart): Slack never acts on half a request.
            self.close_connection = True
            return
        content_type = self.headers.get("Content-Type") or ""
        try:
            if url.path.startswith("/api/"):
                request = parse_api_request(
                    query=url.query,
                    body=body,
                    content_type=content_type,
                    authorization=self.headers.get("Authorization"),
                )
                reply = self.backend.handle_api(url.path[len("/api/") :], request)
            elif url.path == "/oauth/v2/authorize" and self.command == "GET":
                reply = self.backend.handle_authorize(url.query)
            elif url.path.startswith("/upload/v1/") and self.command == "POST":
                reply = self.backend.handle_upload(
                    url.path[len("/upload/v1/") :], body, content_type
                )
            elif url.path.startswith("/response/"):
                path_id = url.path[len("/response/") :]
                reply = self.backend.handle_response_url(path_id, body, content_type)
            else:
                reply = Reply({"ok": False, "error": "not_found"}, status=404)
        except Exception as exc:  # the emulator must answer, and say what broke
            reply = Reply({"ok": False, "error": f"emulator_error: {exc!r}"}, status=500)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.text is not None:
            data, kind = reply.text.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            data, kind = json.dumps(reply.body).encode("utf-8"), "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads and a backlog for bursts of concurrent calls."""

    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A caller that went away (killed while its call was held) is no fault of the emulator.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """The HTTP server on 127.0.0.1 in a daemon thread."""

    def __init__(self, backend: Backend, *, port: int = 0) -> None:
        handler = type("EmulatorHandler", (_Handler,), {"backend": backend})
        self.httpd = _Server(("127.0.0.1", port), handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name=f"slack-emulator-{self.port}", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
