"""The front door over real HTTP: oversized, unsigned and malformed requests are refused before
Bolt, with the right status, one log line and no trace; good requests still work."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from bot.frontdoor import MAX_BODY, FrontDoor
from bot.models import Base
from bot.server import HttpServer
from bot.shapes import MAX_DEPTH
from bot.slack_requests import signature
from tests.conftest import OFFICER, SIGNING_SECRET, RunningApp
from tests.e2e.helpers import posts

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def raw_post(
    base_url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    content_length: str | None = None,
    path: str = "/slack/events",
) -> tuple[int, dict[str, Any]]:
    """POST exactly these headers (Content-Length as given, or the body's) and this body."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        conn.putheader(
            "Content-Length", str(len(body)) if content_length is None else content_length
        )
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        resp = conn.getresponse()
        text = resp.read().decode()
        return resp.status, (json.loads(text) if text.startswith("{") else {"raw": text})
    finally:
        conn.close()


def signed_headers(body: bytes, content_type: str, *, ts: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
    }


def rows_in(app: RunningApp) -> int:
    with app.runtime.db.session() as s:
        return sum(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.tables.values()
            if t.name != "workspaces"  # the app's start-up records its workspace there
        )


def assert_untouched_then_working(app: RunningApp) -> None:
    """Nothing reached Slack or the database, and a good DM is still answered."""
    assert app.emu.calls == [], [c.method for c in app.emu.calls]
    assert rows_in(app) == 0
    resp = app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text="what is an SPO?")
    assert resp.status == 200
    (call,) = posts(app)
    assert call.args["channel"] == app.im(OFFICER)


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.frontdoor"]


def event(**envelope: Any) -> dict[str, Any]:
    base = {
        "token": "unused",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "user": OFFICER, "text": "hello"},
    }
    base.update(envelope)
    return base


def interaction(kind: str, **fields: Any) -> bytes:
    payload = {"type": kind, "user": {"id": OFFICER}, "team": {"id": "T0001"}, **fields}
    return urlencode({"payload": json.dumps(payload)}).encode()


def command_form(**changes: str | None) -> bytes:
    fields: dict[str, str | None] = {
        "command": "/ask",
        "text": "what is an SPO?",
        "user_id": OFFICER,
        "channel_id": "CGENERAL",
        "team_id": "T0001",
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": "1.2.trigger",
        **changes,
    }
    return urlencode({k: v for k, v in fields.items() if v is not None}).encode()


def nested(depth: int) -> bytes:
    inner: Any = "deep"
    for _ in range(depth - 1):
        inner = {"x": inner}
    return json.dumps({"type": "event_callback", "event": {"type": "message", "x": inner}}).encode()


def test_oversized_bodies_get_413_without_reaching_bolt(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for size in (MAX_BODY + 1, 4 * MAX_BODY):
        body = b'{"type": "event_callback", "pad": "' + b"x" * size + b'"}'
        status, answer = raw_post(app.base_url, body, signed_headers(body, JSON))
        assert (status, answer) == (413, {"ok": False, "error": "body_too_large"})
    # refused on the declared length alone, before any signature check
    body = b"x" * (MAX_BODY + 1)
    status, answer = raw_post(app.base_url, body, {"Content-Type": JSON})
    assert (status, answer["error"]) == (413, "body_too_large")
    assert [r.getMessage() for r in refusals(caplog)] == [
        "refused a request to /slack/events: body_too_large"
    ] * 3
    assert_untouched_then_working(app)


def test_bad_or_malformed_signature_headers_get_401(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = json.dumps(event()).encode()
    now = int(time.time())
    good = signed_headers(body, JSON)
    cases: list[tuple[dict[str, str], str]] = []
    for stamp in ("abc", "", "1.5", "1e3", "12 3", f"+{now}", f"{now:_}", f"{now}" + "0" * 20):
        cases.append(({**good, "X-Slack-Request-Timestamp": stamp}, "malformed_timestamp"))
    # (a margin past the five minutes, as the cases before these take time on a busy machine)
    for stamp in (now - 330, now + 330, 0):
        cases.append((signed_headers(body, JSON, ts=stamp), "stale_timestamp"))
    cases.append(({"Content-Type": JSON}, "missing_timestamp"))
    no_signature = {k: v for k, v in good.items() if k != "X-Slack-Signature"}
    cases.append((no_signature, "missing_signature"))
    sig = good["X-Slack-Signature"]
    for bad in ("", "v1=" + sig[3:], sig[:-1], sig.upper(), "v0=" + "z" * 64, sig + "0"):
        cases.append(({**good, "X-Slack-Signature": bad}, "malformed_signature"))
    wrong = signature("not-the-secret", good["X-Slack-Request-Timestamp"], body)
    cases.append(({**good, "X-Slack-Signature": wrong}, "bad_signature"))
    # signed over other bytes than those sent
    other = signed_headers(body + b" ", JSON)
    cases.append((other, "bad_signature"))
    for headers, kind in cases:
        status, answer = raw_post(app.base_url, body, headers)
        assert (status, answer) == (401, {"ok": False, "error": kind}), headers
    # not UTF-8 and not signed: refused as unsigned, not as malformed
    status, answer = raw_post(app.base_url, b"\xff\xfe{", {**good})
    assert (status, answer["error"]) == (401, "bad_signature")
    logged = refusals(caplog)
    assert len(logged) == len(cases) + 1
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in logged)
    assert "hello" not in caplog.text and SIGNING_SECRET not in caplog.text
    assert_untouched_then_working(app)


MALFORMED: list[tuple[str, bytes, str, str]] = [
    # (what, body, content type, refusal kind)
    ("invalid UTF-8", b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, "not_utf8"),
    ("empty", b"", JSON, "empty_body"),
    (
        "half a surrogate pair",
        json.dumps(event(event={"type": "message", "text": "\ud83d"})).encode(),
        JSON,
        "lone_surrogate",
    ),
    ("half a pair in a key", b'{"type": "x", "\\udc00": 1}', JSON, "lone_surrogate"),
    ("truncated JSON", json.dumps(event()).encode()[:40], JSON, "malformed_json"),
    ("a JSON list", b"[]", JSON, "not_an_object"),
    ("JSON null", b"null", JSON, "not_an_object"),
    ("a JSON number", b"5", JSON, "not_an_object"),
    ("a JSON string", b'"event_callback"', JSON, "not_an_object"),
    ("no type", b'{"event": {"type": "message"}}', JSON, "missing_type"),
    ("a numeric type", b'{"type": 5}', JSON, "missing_type"),
    ("event null", json.dumps(event(event=None)).encode(), JSON, "bad_event"),
    ("event a number", json.dumps(event(event=5)).encode(), JSON, "bad_event"),
    ("event without type", json.dumps(event(event={"user": "U1"})).encode(), JSON, "bad_event"),
    (
        "event text a list",
        json.dumps(event(event={"type": "message", "text": []})).encode(),
        JSON,
        "bad_event",
    ),
    ("team a number", json.dumps(event(team=5)).encode(), JSON, "bad_field"),
    ("team a list", json.dumps(event(team=["id"])).encode(), JSON, "bad_field"),
    ("authorizations a number", json.dumps(event(authorizations=5)).encode(), JSON, "bad_field"),
    (
        "authorizations of strings",
        json.dumps(event(authorizations=["x"])).encode(),
        JSON,
        "bad_field",
    ),
    ("event_id a number", json.dumps(event(event_id=7)).encode(), JSON, "bad_field"),
    (
        "event user a number",
        json.dumps(event(event={"type": "message", "user": 5})).encode(),
        JSON,
        "bad_field",
    ),
    (
        "event null in another type",
        b'{"type": "app_rate_limited", "event": null, "team_id": "T1"}',
        JSON,
        "bad_field",
    ),
    ("view null", b'{"type": "app_rate_limited", "view": null}', JSON, "bad_field"),
    (
        "event text null",
        json.dumps(event(event={"type": "message", "text": None})).encode(),
        JSON,
        "bad_event",
    ),
    (
        "event tokens null",
        json.dumps(event(event={"type": "tokens_revoked", "tokens": None})).encode(),
        JSON,
        "bad_field",
    ),
    ("challenge missing", b'{"type": "url_verification"}', JSON, "bad_challenge"),
    ("too deep", nested(MAX_DEPTH + 1), JSON, "too_deep"),
    (
        "far too deep",
        b"{" + b'"type": "x", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        JSON,
        "too_deep",
    ),
    (
        "a huge integer",
        b'{"type": "event_callback", "n": ' + b"9" * 5000 + b"}",
        JSON,
        "malformed_json",
    ),
    ("text/plain", b"command=/ask&text=hi", "text/plain", "unsupported_content_type"),
    ("JSON declared as a form", json.dumps(event()).encode(), FORM, "unsupported_content_type"),
    ("a form declared as JSON", b"command=/ask&text=hi", JSON, "malformed_json"),
    ("a form with nothing known", b"text=hello&user_id=U1", FORM, "malformed_form"),
    ("payload named but absent", b"text=my+payload", FORM, "malformed_form"),
    ("command without a slash", command_form(command="ask"), FORM, "bad_command"),
    ("command without a user", command_form(user_id=""), FORM, "bad_command"),
    ("command without a response URL", command_form(response_url=None), FORM, "bad_command"),
    ("command without a trigger", command_form(trigger_id=None), FORM, "bad_command"),
    ("payload broken JSON", b"payload=%7B%22type%22%3A", FORM, "malformed_json"),
    ("payload []", b"payload=%5B%5D", FORM, "not_an_object"),
    ("payload null", b"payload=null", FORM, "not_an_object"),
    ("payload 5", b"payload=5", FORM, "not_an_object"),
    ("actions null", interaction("block_actions", actions=None), FORM, "bad_actions"),
    ("actions empty", interaction("block_actions", actions=[]), FORM, "bad_actions"),
    ("actions of numbers", interaction("block_actions", actions=[5]), FORM, "bad_field"),
    (
        "actions an object",
        interaction("block_actions", actions={"action_id": "x"}),
        FORM,
        "bad_actions",
    ),
    ("view 5", interaction("view_submission", view=5), FORM, "bad_view"),
    ("view without callback", interaction("view_submission", view={"id": "V1"}), FORM, "bad_view"),
    (
        "view state values a list",
        interaction("view_submission", view={"callback_id": "c", "state": {"values": []}}),
        FORM,
        "bad_view",
    ),
    ("view_closed view null", interaction("view_closed", view=None), FORM, "bad_view"),
    ("user a string", interaction("block_actions", user="U1", actions=[{}]), FORM, "bad_user"),
    ("user without id", interaction("shortcut", user={}, callback_id="c"), FORM, "bad_user"),
    ("shortcut without callback", interaction("shortcut"), FORM, "bad_shortcut"),
    (
        "message shortcut without message",
        interaction("message_action", callback_id="ask_champion"),
        FORM,
        "bad_shortcut",
    ),
    (
        "container a string",
        interaction("block_actions", actions=[{}], container="x"),
        FORM,
        "bad_field",
    ),
    ("message a list", interaction("block_actions", actions=[{}], message=[]), FORM, "bad_field"),
]


def test_malformed_signed_bodies_get_400(app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for what, body, content_type, kind in MALFORMED:
        status, answer = raw_post(app.base_url, body, signed_headers(body, content_type))
        assert (status, answer) == (400, {"ok": False, "error": kind}), what
    logged = refusals(caplog)
    assert len(logged) == len(MALFORMED)
    assert {r.getMessage() for r in logged} == {
        f"refused a request to /slack/events: {kind}" for _, _, _, kind in MALFORMED
    }
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in logged)
    assert "Traceback" not in caplog.text and "hello" not in caplog.text
    assert_untouched_then_working(app)


def test_content_length_missing_or_garbage_is_a_client_error(app: RunningApp) -> None:
    body = json.dumps(event()).encode()
    headers = signed_headers(body, JSON)
    # waitress refuses a Content-Length that is not a number before any application code runs
    for garbage in ("abc", "-5", "1e3", ""):
        status, _ = raw_post(app.base_url, body, headers, content_length=garbage)
        assert status == 400, garbage
    # a declared length shorter than the body: only the declared bytes count, which are
    # not what was signed
    status, answer = raw_post(app.base_url, body, headers, content_length=str(len(body) - 5))
    assert (status, answer["error"]) == (401, "bad_signature")
    # no body at all, but signed as empty
    status, answer = raw_post(app.base_url, b"", signed_headers(b"", JSON), content_length="0")
    assert (status, answer["error"]) == (400, "empty_body")
    assert_untouched_then_working(app)


def test_url_verification_and_healthz_still_work(app: RunningApp) -> None:
    resp = app.slack.url_verification("challenge-7")
    assert resp.status == 200 and resp.json() == {"challenge": "challenge-7"}
    conn = http.client.HTTPConnection("127.0.0.1", int(app.base_url.rsplit(":", 1)[1]), timeout=5)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()


Recorded = tuple[str, list[tuple[bytes, str]]]


@pytest.fixture
def serve_recorder() -> Iterator[Callable[..., Recorded]]:
    """Serve the front door, over real HTTP, in front of an app that records what reaches it."""
    servers: list[HttpServer] = []

    def start(**options: Any) -> Recorded:
        seen: list[tuple[bytes, str]] = []

        def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            length = environ["CONTENT_LENGTH"]
            seen.append((environ["wsgi.input"].read(int(length)), length))
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]

        door = FrontDoor(inner, signing_secret=SIGNING_SECRET, **options)
        server = HttpServer(door, host="127.0.0.1", port=0)
        servers.append(server)
        threading.Thread(target=server.run, daemon=True).start()
        return f"http://127.0.0.1:{server.port}", seen

    try:
        yield start
    finally:
        for server in servers:
            server.close()


def test_valid_requests_reach_bolt_byte_for_byte(
    serve_recorder: Callable[..., Recorded],
) -> None:
    base_url, seen = serve_recorder()
    bodies = [
        # odd but valid: spacing, unicode escapes and raw unicode, a field Bolt does not know
        b'{ "type" : "event_callback", "event": {"type": "message", "text": "caf\\u00e9 \xc3\xa9"},'
        b' "extra": [1, 2.5, true, null]}',
        command_form(text="what is an SPO? & more=yes"),
        interaction("block_actions", actions=[{"action_id": "a", "value": "1"}]),
        b"ssl_check=1&token=x",
    ]
    for body, content_type in zip(bodies, (JSON, FORM, FORM, FORM), strict=True):
        status, _ = raw_post(base_url, body, signed_headers(body, content_type))
        assert status == 200
    assert seen == [(body, str(len(body))) for body in bodies]


def test_timestamps_are_judged_on_one_clock(serve_recorder: Callable[..., Recorded]) -> None:
    then = 1_500_000_000
    base_url, seen = serve_recorder(clock=lambda: float(then))
    body = json.dumps(event()).encode()
    assert raw_post(base_url, body, signed_headers(body, JSON, ts=then + 299))[0] == 200
    status, answer = raw_post(base_url, body, signed_headers(body, JSON))
    assert (status, answer["error"]) == (401, "stale_timestamp")
    assert len(seen) == 1
