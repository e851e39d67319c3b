"""Slack failing every kind of post the bot makes, over real HTTP: 500 three times, 429 six
times, or the post made and then answered 500. Each message arrives exactly once, and the
one whose outcome was unknown is found in the conversation's history instead of posted
again, and each retry comes no sooner than Slack's Retry-After or the backoff allowed. The
delivery runs on a clock that jumps over its waits (`virtual_time`), so the schedule is
asserted rather than waited out."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery.reconcile import EVENT_TYPE
from bot.delivery.rows import backoff
from bot.models import OutboxMessage, OutboxStatus, Role
from bot.services import roster
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp
from tests.e2e.helpers import buttons, ok_calls
from tests.e2e.test_broadcasts import broadcast
from tests.virtual_time import jump_over_waits

CHAMPION2 = "UCHAMP2"
GENERAL = "whats the difference between stalking and harassment?"
LIVE = "my victim says her ex keeps turning up at her work, what should i charge him with"
POSTS = ("chat.postMessage", "conversations.open+chat.postMessage")

FAULTS: dict[str, dict[str, Any]] = {
    "500x3": {"status": 500, "times": 3},
    "429x6": {"status": 429, "retry_after": 1, "times": 6},
    "posted-then-500": {"status": 500, "applied": True},
}


def _rows(app: RunningApp) -> list[OutboxMessage]:
    with app.runtime.db.session() as s:
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        s.expunge_all()
        return rows


def pump(app: RunningApp, timeout: float = 60) -> list[OutboxMessage]:
    """Let the worker deliver, and sweep the outbox as the clock would, until nothing is
    left to send; the rows."""
    deadline = time.monotonic() + timeout
    time.sleep(0.2)  # the request's work is handed to the work pool after the ack
    assert app.runtime.work_pool.wait_idle(timeout=10)
    while True:
        app.runtime.worker.wait_idle(timeout=10)
        app.runtime.delivery.deliver()  # the clock's sweep
        rows = _rows(app)
        waiting = [r for r in rows if r.status is OutboxStatus.PENDING]
        if not waiting:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"still to send: {[(r.id, r.ref, r.error) for r in waiting]}")
        time.sleep(0.2)


def exactly_once(app: RunningApp, rows: list[OutboxMessage]) -> None:
    """Every row sent, and every post in its conversation once (by the row its metadata names)."""
    assert [(r.id, r.ref, r.error) for r in rows if r.status is not OutboxStatus.SENT] == []
    for row in rows:
        if row.method not in POSTS:
            continue
        assert row.channel and row.ts, row.ref
        made = [
            m
            for m in app.emu.messages(row.channel)
            if (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
            and m["metadata"]["event_payload"]["id"] == row.id
        ]
        assert [m["ts"] for m in made] == [row.ts], (row.ref, row.channel)


def press(app: RunningApp, user: str, row: OutboxMessage, label: str, action_id: str) -> None:
    """Press `label` on the message an outbox row posted, as Slack shows it now."""
    assert row.channel and row.ts
    (message,) = [m for m in app.emu.messages(row.channel) if m["ts"] == row.ts]
    resp = app.slack.block_action(
        user=user,
        action_id=action_id,
        value=buttons(message["blocks"])[label],
        response_url=app.emu.response_url(label),
        channel=row.channel,
        message_ts=row.ts,
    )
    assert resp.status == 200


def row_of(call: Any) -> int:
    """The outbox row a post was made for, by the metadata it carries."""
    metadata = call.args.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    assert metadata.get("event_type") == EVENT_TYPE, call.summary()
    return int(metadata["event_payload"]["id"])


def by_ref(rows: list[OutboxMessage], prefix: str) -> OutboxMessage:
    (row,) = [r for r in rows if (r.ref or "").startswith(prefix)]
    return row


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_kind_of_post_arrives_exactly_once_whatever_slack_answers(
    app: RunningApp, fault: str
) -> None:
    emu, spec = app.emu, FAULTS[fault]
    virtual = jump_over_waits(app.runtime)
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
    faulted: list[str] = []

    def fail(channel: str | None = None, where: Callable[[dict[str, Any]], bool] | None = None):
        emu.inject("chat.postMessage", channel=channel, where=where, **spec)
        faulted.append(channel or "consult")

    # An answer (in the DM asked in), and a live case's offer and queue card.
    for channel in (app.im(OFFICER), CHAMPION, "CQUEUE"):
        fail(channel)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=GENERAL)
    rows = pump(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    rows = pump(app)
    exactly_once(app, rows)

    # The consult's introduction, in the group DM opened when the champion accepts.
    fail(where=lambda args: str(args.get("channel", "")).startswith("G"))
    press(app, CHAMPION, by_ref(rows, "offer:"), "Accept", "offer_accept")
    emu.wait_for(lambda e: any((r.ref or "").startswith("consult:") for r in _rows(app)))
    rows = pump(app)
    exactly_once(app, rows)

    # A broadcast: its post in the network channel and a champion's copy by DM.
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION2, role=Role.CHAMPION)
    fail("CNETWORK")
    fail(CHAMPION2)
    broadcast(app, dm=True, ack=False)
    emu.wait_for(lambda e: any((r.ref or "").startswith("broadcast:") for r in _rows(app)))
    rows = pump(app)
    exactly_once(app, rows)
    for kind in ("answer:", "offer:", "queue:", "officer:", "consult:", "broadcast:"):
        assert any((r.ref or "").startswith(kind) for r in rows), kind
    assert by_ref(rows, "broadcast:1:1:dm:" + CHAMPION2).status is OutboxStatus.SENT

    # What the failures cost: each faulted post's tries, and the lookups before retries.
    posts = emu.find_calls("chat.postMessage")
    failed = [c for c in posts if c.injected]
    lookups = Counter(c.method for c in emu.calls if c.method.startswith("conversations."))
    counts = app.runtime.delivery.lookups.counts
    opened_for_lookup = counts["conversations.open"]
    if fault == "429x6":
        assert len(failed) == 6 * len(faulted)
        assert counts == Counter()  # a 429 is a refusal: nothing to look for
    elif fault == "500x3":
        assert len(failed) == 3 * len(faulted)
        # Each retry after a 500 looks first (Slack might have posted), and finds nothing.
        assert counts["missing"] == 3 * len(faulted) and counts["found"] == 0
    else:
        assert len(failed) == len(faulted)
        # One lookup per unknown outcome, and it finds the post: nothing is posted twice.
        assert counts["found"] == len(faulted) and counts["missing"] == 0
        history = counts["conversations.history"] + counts["conversations.replies"]
        assert history == len(faulted)
    assert lookups["conversations.history"] == counts["conversations.history"]
    # A post to a user ID, or the consult's group DM, needs its conversation opened first.
    assert opened_for_lookup <= counts["found"] + counts["missing"]

    # Each post Slack refused or failed was tried again no sooner than allowed, on the
    # delivery's clock: Retry-After after a 429, the backoff (1 s, 2 s, 4 s) after a 500.
    if fault == "posted-then-500":
        return  # found in the history: never posted again
    waits = [spec["retry_after"]] * 6 if fault == "429x6" else [backoff(n) for n in (1, 2, 3)]
    tried: dict[int, list[Any]] = {}
    for call in posts:  # by the outbox row each post names (a DM's row moves to its IM)
        tried.setdefault(row_of(call), []).append(call)
    gaps = []
    for row_id, calls in tried.items():
        refused = [(a, b) for a, b in pairwise(calls) if a.injected]
        for (before, after), wait in zip(refused, waits * len(faulted), strict=False):
            gaps.append((row_id, wait, virtual.at(after.time) - virtual.at(before.time)))
    assert len(gaps) == len(failed)  # every refused post was tried again
    assert [g for g in gaps if g[2] < g[1] - 0.01] == [], gaps


def test_an_ask_reply_survives_500s_and_an_expired_response_url_becomes_a_dm(
    app: RunningApp,
) -> None:
    emu = app.emu
    jump_over_waits(app.runtime)  # the backoff after each 500: 1, 2, 4 s
    emu.inject("response_url", status=500, times=3)
    app.slack.command(
        "/ask", GENERAL, user=OFFICER, channel="CGENERAL", response_url=emu.response_url("ask")
    )
    rows = pump(app)
    assert [r.status for r in rows] == [OutboxStatus.SENT]
    delivered = [r for r in emu.responses if r.ok]
    assert len(delivered) == 1 and len(emu.responses) == 4
    assert delivered[0].body["response_type"] == "ephemeral"
    assert "stalking" in json.dumps(delivered[0].body["blocks"]).lower()

    # Slack no longer takes the URL: the answer goes to the officer's DM instead.
    emu.inject("response_url", status=404, error="expired_url")
    app.slack.command(
        "/faq", GENERAL, user=OFFICER, channel="CGENERAL", response_url=emu.response_url("faq")
    )
    rows = pump(app)
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
    (dm,) = [c for c in ok_calls(app, "chat.postMessage") if c.args.get("channel") == OFFICER]
    assert "You asked" in json.dumps(dm.args["blocks"])
    assert rows[1].method == "chat.postMessage"
