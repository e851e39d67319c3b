"""The guard in front of Bolt: bounds, authenticates and shape-checks every `POST /slack/events`.

Bolt parses a body before it verifies it, and its parsers and listeners index into payloads
without checking types, so a signed but malformed body reached the code as a 500 with a
traceback. This WSGI layer refuses such requests before Bolt sees them, in this order:

1. size: a `Content-Length` over `MAX_BODY` gets 413 and the body is not read; a missing one
   means an empty body; one that is not a number gets 400.
2. headers: `X-Slack-Request-Timestamp` must be an integer within five minutes of now and
   `X-Slack-Signature` must be `v0=` and 64 hex digits, and the signature must match
   (slack_sdk's `SignatureVerifier`, a constant-time compare): 401 otherwise.
3. shape: the body must be what Slack sends, read the way Bolt will read it: a JSON object
   (UTF-8 without half surrogate pairs, nested at most `MAX_DEPTH` deep) with a string `type`,
   or a form with a complete slash command, an `ssl_check`, or a `payload` field holding such
   a JSON object; and, by type, the fields Bolt and the listeners index into must have the
   right JSON types. 400 otherwise.

Every refusal is a 4xx with `{"ok": false, "error": KIND}` and one WARNING log line naming the
kind: never a traceback, never any of the payload. None is answered with "200, ignored": Slack
never sends these shapes, so a refusal means a broken or hostile sender, and for the Events API
a 4xx only makes Slack retry the same bad body at most three times, each refused again.

Valid requests reach Bolt byte for byte as they came (a fresh `wsgi.input` over the same bytes,
the same `CONTENT_LENGTH`); Bolt still verifies the signature itself. The shape checks are
in `bot.shapes`.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_sdk.signature import Clock, SignatureVerifier

from bot.shapes import Refused, check_shape

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not from Slack
MAX_SKEW = 5 * 60  # Slack's own replay window for a request timestamp

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

_STATUS_LINES = {400: "400 Bad Request", 401: "401 Unauthorized", 413: "413 Payload Too Large"}


class FrontDoor:
    """WSGI middleware: refuses what Slack would never send, passes the rest to `inner`."""

    def __init__(
        self,
        inner: WSGIApp,
        *,
        signing_secret: str,
        path: str = "/slack/events",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._inner = inner
        self._path = path
        self._secret = signing_secret.encode()
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self._path:
            return self._inner(environ, start_response)
        try:
            body = self._admit(environ)
        except Refused as refusal:
            log.warning("refused a request to %s: %s", self._path, refusal.kind)
            payload = json.dumps({"ok": False, "error": refusal.kind}).encode()
            start_response(
                _STATUS_LINES[refusal.status],
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._inner(environ, start_response)

    def _admit(self, environ: dict[str, Any]) -> bytes:
        """The body, if the request may go on to Bolt; else `Refused`."""
        body = _read_body(environ)
        text = self._authenticate(environ, body)
        check_shape(text, environ.get("CONTENT_TYPE") or "")
        return body

    def _authenticate(self, environ: dict[str, Any], body: bytes) -> str:
        """The body as text, if its timestamp and signature are well formed and right."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if timestamp is None:
            raise Refused(401, "missing_timestamp")
        # Stricter than int(): no sign, spaces, underscores or non-ASCII digits.
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(401, "malformed_timestamp")
        if abs(self._clock() - int(timestamp)) > MAX_SKEW:
            raise Refused(401, "stale_timestamp")
        if signature is None:
            raise Refused(401, "missing_signature")
        if not _SIGNATURE.fullmatch(signature):
            raise Refused(401, "malformed_signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # The SDK's verifier decodes the body as UTF-8 before hashing, so it cannot judge a
            # body that is not; Slack signs the raw bytes, so check those the same way.
            base = b"v0:" + timestamp.encode() + b":" + body
            expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, signature):
                raise Refused(401, "bad_signature") from None
            raise Refused(400, "not_utf8") from None
        if not self._verifier.is_valid(body=text, timestamp=timestamp, signature=signature):
            raise Refused(401, "bad_signature")
        return text


class _Clock(Clock):
    """The SDK's verifier checks the timestamp's age too: on the same clock as the front door."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def guard(app: App, inner: WSGIApp, *, path: str = "/slack/events") -> FrontDoor:
    """The front door for a Bolt app's WSGI handler, checking signatures with the app's secret."""
    # Bolt keeps the secret only privately; reading it here means the two checks never disagree.
    secret: str = app._signing_secret
    return FrontDoor(inner, signing_secret=secret, path=path)


def _read_body(environ: dict[str, Any]) -> bytes:
    """Exactly `Content-Length` bytes, never more than `MAX_BODY`."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if not declared:
        return b""
    if not declared.isascii() or not declared.isdigit():
        raise Refused(400, "bad_content_length")
    length = int(declared)
    if length > MAX_BODY:
        raise Refused(413, "body_too_large")
    stream = environ.get("wsgi.input")
    if stream is None:
        raise Refused(400, "truncated_body")
    chunks: list[bytes] = []
    remaining = length
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            raise Refused(400, "truncated_body")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
