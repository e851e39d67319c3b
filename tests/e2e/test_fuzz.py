"""A bounded, seeded fuzz of the HTTP front door: 10,000 signed and 1,000 unsigned malformed
requests against the running app, which must answer every one below 500, stay up, log no
traceback and not grow in memory."""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.frontdoor import MAX_BODY
from bot.shapes import MAX_DEPTH
from bot.slack_requests import signature
from bot.views import ids
from tests.conftest import OFFICER, SIGNING_SECRET, RunningApp
from tests.e2e.helpers import posts

SIGNED, UNSIGNED, STRUCTURED = 10_000, 1_000, 7_000
# Drawing from Hypothesis costs a couple of milliseconds a structure: 1,000 structures, each sent
# as seven different requests, keep the test well under a minute.
STRUCTURES = 1_000
BASELINE_AFTER = 1_000  # requests before memory is measured: caches and pools are warm by then
SEED = 14

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = [JSON, FORM, f"{JSON}; charset=utf-8", "text/plain", "", "APPLICATION/JSON"]
ACTION_IDS = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)]
INTERACTIONS = [
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
    "interactive_message",
]

Case = tuple[bytes, str]  # (body, content type)

# ---- the structured cases: Slack's shapes, each field either right or any JSON at all --------

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
junk = st.recursive(
    leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)
short = st.text(max_size=8)


def maybe(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The right shape, or anything."""
    return st.one_of(right, junk)


def fields(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


idish = st.one_of(
    st.sampled_from(["U1", "T0001", "C1", "", OFFICER]), fields({"id": maybe(short)}, {}), junk
)
event = fields(
    {"type": maybe(st.sampled_from(["message", "app_mention", "app_home_opened"]))},
    {
        "user": idish,
        "channel": idish,
        "text": maybe(short),
        "channel_type": maybe(st.just("im")),
        "ts": maybe(st.just("1.000001")),
        "subtype": maybe(st.sampled_from(["bot_message", "message_changed"])),
        "message": junk,
        "item": junk,
        "tab": maybe(st.just("home")),
    },
)
envelope = fields(
    {"type": maybe(st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]))},
    {
        "event": st.one_of(event, junk),
        "team": idish,
        "team_id": maybe(short),
        "enterprise": idish,
        "authorizations": st.one_of(
            st.lists(maybe(fields({"team_id": maybe(short)}, {})), max_size=2), junk
        ),
        "event_id": maybe(short),
        "challenge": maybe(short),
        "is_ext_shared_channel": maybe(st.booleans()),
    },
)
action = maybe(
    fields(
        {"action_id": maybe(st.sampled_from(ACTION_IDS))},
        {"value": maybe(st.sampled_from(["1", "2", "x", ""])), "block_id": maybe(short)},
    )
)
state = fields(
    {"values": maybe(st.dictionaries(short, st.dictionaries(short, junk, max_size=2), max_size=2))},
    {},
)
view = maybe(
    fields(
        {"callback_id": maybe(st.sampled_from(ACTION_IDS))},
        {
            "id": maybe(short),
            "state": maybe(state),
            "private_metadata": maybe(short),
            "type": maybe(st.just("modal")),
        },
    )
)
interaction = fields(
    {"type": maybe(st.sampled_from(INTERACTIONS))},
    {
        "user": idish,
        "team": idish,
        "channel": idish,
        "actions": st.one_of(st.lists(action, max_size=3), junk),
        "view": view,
        "container": maybe(fields({"type": maybe(st.sampled_from(["message", "view"]))}, {})),
        "message": maybe(fields({"ts": maybe(short), "text": maybe(short)}, {})),
        "callback_id": maybe(st.sampled_from(ACTION_IDS)),
        "action_id": maybe(short),
        "response_urls": junk,
        "trigger_id": maybe(short),
    },
)
command = st.dictionaries(
    st.sampled_from(
        ["command", "text", "user_id", "channel_id", "team_id", "ssl_check", "payload"]
    ),
    st.one_of(st.sampled_from(["/ask", "/faq", "/champion", "ask", "1", ""]), short),
    max_size=5,
)


def structures(count: int) -> list[tuple[str, Any]]:
    """`count` payload structures, the same ones on every run (Hypothesis, derandomized): a
    JSON value to carry as a body or a `payload=` field, or the fields of a form."""
    out: list[tuple[str, Any]] = []
    structure = st.one_of(
        st.tuples(st.just("json"), st.one_of(envelope, interaction, junk)),
        st.tuples(st.just("form"), command),
    )

    @settings(
        derandomize=True,
        database=None,
        max_examples=count,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        # one draw an example: later draws within one example mostly repeat earlier ones
        out.append(data.draw(structure))

    collect()
    assert len(out) == count, len(out)
    return out


def carry(rng: random.Random, structure: tuple[str, Any]) -> Case:
    """A structure as a request body, in one of the ways Bolt reads one, often broken."""
    shape, value = structure
    if shape == "form":
        return urlencode(value).encode(), rng.choice(CONTENT_TYPES)
    text = json.dumps(value)
    transport = rng.choice(["json", "json", "truncated", "payload", "payload", "broken_payload"])
    if transport == "truncated":
        text = text[: rng.randrange(max(len(text), 1))]
    if transport in ("payload", "broken_payload"):
        if transport == "broken_payload":
            text = text[: len(text) // 2] + rng.choice(["", "}", "]]", '"', "\\"])
        return ("payload=" + quote(text)).encode(), rng.choice([FORM, FORM, *CONTENT_TYPES])
    return text.encode(), rng.choice([JSON, JSON, *CONTENT_TYPES])


def structured_cases(rng: random.Random, count: int) -> list[Case]:
    """`count` requests from `STRUCTURES` Hypothesis structures, each carried several ways."""
    shapes = structures(STRUCTURES)
    return [carry(rng, shapes[i % len(shapes)]) for i in range(count)]


# ---- the plain-bytes cases: noise, broken encodings, nesting and size -------------------------


def byte_cases(rng: random.Random, count: int) -> list[Case]:
    envelope_bytes = json.dumps(
        {"type": "event_callback", "event": {"type": "message", "channel_type": "im", "text": "hi"}}
    ).encode()
    makers: list[Callable[[], Case]] = [
        lambda: (rng.randbytes(rng.randrange(0, 2000)), rng.choice(CONTENT_TYPES)),
        lambda: (
            _inject(rng, envelope_bytes, rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"])),
            JSON,
        ),
        lambda: (envelope_bytes[: rng.randrange(len(envelope_bytes))], JSON),
        lambda: (_deep(rng), JSON),
        lambda: (_inject(rng, envelope_bytes, rng.choice([b"\\ud800", b"\\udfff"])), JSON),
        lambda: (rng.choice([b"[]", b"null", b"5", b'"x"', b"true", b"1e999", b"{}", b"{]"]), JSON),
        lambda: (
            b"payload="
            + rng.choice([b"%7B", b"%5B%5D", b"null", b"5", b"%22x%22", b"", b"%FF%FE"]),
            FORM,
        ),
        lambda: (("payload=" + quote(json.dumps(rng.choice(_KNOWN_BAD)))).encode(), FORM),
        lambda: (json.dumps(rng.choice(_KNOWN_BAD)).encode(), JSON),
    ]
    cases = [rng.choice(makers)() for _ in range(count - 12)]
    # oversized: just past the limit, and a few times it (the body is sent, not read)
    cases += [
        (b"{" + b" " * (MAX_BODY + rng.randrange(1, 3 * MAX_BODY)) + b"}", JSON) for _ in range(12)
    ]
    rng.shuffle(cases)
    return cases


_KNOWN_BAD: list[dict[str, Any]] = [
    {"type": "event_callback", "event": None},
    {"type": "event_callback", "event": 5},
    {"type": "block_actions", "user": {"id": OFFICER}, "actions": None},
    {"type": "block_actions", "user": {"id": OFFICER}, "actions": [None]},
    {"type": "view_submission", "user": {"id": OFFICER}, "view": 5},
    {"type": "view_submission", "user": {"id": OFFICER}, "view": {"callback_id": 5}},
    {"type": "message_action", "user": {"id": OFFICER}, "callback_id": ids.SHORTCUT_ASK},
    {"type": None},
    {"type": "event_callback", "authorizations": 5, "event": {"type": "message"}},
]


def _inject(rng: random.Random, body: bytes, junk_bytes: bytes) -> bytes:
    at = rng.randrange(len(body))
    return body[:at] + junk_bytes + body[at:]


def _deep(rng: random.Random) -> bytes:
    depth = rng.choice([MAX_DEPTH + 1, 100, 1000, 50_000])
    if rng.random() < 0.5:
        return b'{"type": "x", "a": ' + b"[" * depth + b"]" * depth + b"}"
    return b'{"type": "x", "a": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


def unsigned_headers(rng: random.Random, body: bytes) -> dict[str, str]:
    now = str(int(time.time()))
    good = signature(SIGNING_SECRET, now, body)
    return rng.choice(
        [
            {},
            {"X-Slack-Request-Timestamp": rng.choice(["abc", "", "1.5", "1e3", "-1", "0x10"])},
            {
                "X-Slack-Request-Timestamp": rng.choice(["abc", "", "1.5", "1e3"]),
                "X-Slack-Signature": good,
            },
            {"X-Slack-Request-Timestamp": str(int(now) - 400), "X-Slack-Signature": good},
            {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": signature("wrong", now, body)},
            {
                "X-Slack-Request-Timestamp": now,
                "X-Slack-Signature": rng.choice(["", "v0=", "v0=zz", good.upper()]),
            },
            {"X-Slack-Request-Timestamp": now},
        ]
    )


# ---- sending --------------------------------------------------------------------------------


class Client:
    """One kept-alive HTTP connection, reopened (and counted) if the server ever drops it."""

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._conn = self._open()
        self.dropped = 0

    def _open(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
        conn.connect()
        # http.client sends a body over 2,000 bytes apart from its headers: without this, Nagle's
        # algorithm and the server's delayed ACK hold each such request for 40 ms.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        try:
            self._conn.request("POST", "/slack/events", body=body, headers=headers)
            resp = self._conn.getresponse()
            answer = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self._reconnect()
            kind = json.loads(answer).get("error", "") if answer.startswith(b'{"ok": false') else ""
            return resp.status, kind
        except (OSError, http.client.HTTPException):
            self.dropped += 1
            self._reconnect()
            return 0, "dropped"

    def _reconnect(self) -> None:
        self._conn.close()
        self._conn = self._open()

    def close(self) -> None:
        self._conn.close()


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.fuzz
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # refusals never reach the database
def test_fuzzed_requests_never_get_a_5xx_and_memory_stays_flat(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED)
    generated = time.perf_counter()
    signed = structured_cases(rng, STRUCTURED) + byte_cases(rng, SIGNED - STRUCTURED)
    rng.shuffle(signed)
    unsigned = rng.sample(signed, UNSIGNED)
    requests: list[tuple[bytes, dict[str, str], bool]] = []
    for body, content_type in signed:
        stamp = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
        }
        requests.append(
            (body, {"Content-Type": content_type, **headers} if content_type else headers, True)
        )
    for body, content_type in unsigned:
        headers = unsigned_headers(rng, body)
        if content_type:
            headers["Content-Type"] = content_type
        requests.append((body, headers, False))
    rng.shuffle(requests)
    generated = time.perf_counter() - generated

    client = Client(app.base_url)
    statuses: Counter[tuple[bool, int]] = Counter()
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    baseline = 0
    try:
        for n, (body, headers, is_signed) in enumerate(requests, start=1):
            if is_signed:  # re-signed now: generating took time, and stale is a different refusal
                stamp = str(int(time.time()))
                headers["X-Slack-Request-Timestamp"] = stamp
                headers["X-Slack-Signature"] = signature(SIGNING_SECRET, stamp, body)
            status, kind = client.post(body, headers)
            statuses[is_signed, status] += 1
            kinds[f"{status} {kind}".strip()] += 1
            if n == BASELINE_AFTER:
                baseline = rss_kib()
    finally:
        client.close()
    elapsed = time.perf_counter() - started
    final = rss_kib()

    print(
        f"\nfuzz: {len(requests)} requests in {elapsed:.1f} s (+{generated:.1f} s generating); "
        f"RSS {baseline // 1024} MiB after {BASELINE_AFTER}, {final // 1024} MiB at the end"
    )
    for key, count in sorted(kinds.items()):
        print(f"  {count:6d}  {key}")

    assert client.dropped == 0
    assert sum(statuses.values()) == SIGNED + UNSIGNED
    assert [key for key in statuses if key[1] >= 500] == []
    # nothing unsigned gets past the front door: 401, or 413 before the signature is read
    assert {status for signed_, status in statuses if not signed_} <= {401, 413}
    assert final <= baseline * 1.10, (baseline, final)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text

    # the process is alive and still does its job
    conn = http.client.HTTPConnection("127.0.0.1", int(app.base_url.rsplit(":", 1)[1]), timeout=5)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()
    app.emu.reset()  # what the few shape-valid cases made the bot do is not under test here
    resp = app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text="what is an SPO?")
    assert resp.status == 200
    (call,) = posts(app)
    assert call.args["channel"] == app.im(OFFICER)
