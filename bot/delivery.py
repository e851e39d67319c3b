"""Outbox to Slack: claim due rows, make the Web API call, record the result, retry what failed."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=60)  # a crashed sender's rows become due again after this
MAX_ATTEMPTS = 8
# Pacing. Slack takes about one message a second in each channel (short bursts allowed) and a
# few hundred a minute across the workspace; other methods have per-method tiers. Each channel
# is paced on its own and several channels are served at once, so a broadcast to many people
# takes about as long as the workspace's limit allows, and a busy channel never holds up the
# others. A 429 is honoured for its channel; a second one from another channel inside the same
# window means the whole method is limited, and every lane waits out its Retry-After.
PACE = 1.0  # seconds between two posts to one channel, on average
BURST = 3  # posts one channel may take at once before the pace applies
POSTS = frozenset({"chat.postMessage", "conversations.open+chat.postMessage"})
LANES = 4  # channels delivered to at the same time
MAX_WAIT = 2.0  # a lane waits this long for its channel; beyond it the rows go back, with a time
HORIZON = 5.0  # rows due within this are waited for here rather than left to the next sweep
IDLE_PASSES = 3  # passes in a row that send nothing end a delivery
BUDGET = 300.0  # seconds one call of `deliver` may go on for
# Errors that no retry will cure: the row is marked failed and logged for an operator.
PERMANENT = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_allowed_token_type",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "too_many_users",
        "user_not_found",
        "user_not_in_channel",
        "users_list_not_supplied",
        "team_access_not_granted",
    }
)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did."""

    outbox_id: int
    sent: bool
    error: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class _Claimed:
    """A row this sender owns until `token` (its `locked_until`), and where it goes."""

    id: int
    token: datetime
    method: str
    lane: str
    channel: str | None


class Pacer:
    """When each channel, and each method, may next be called, as far as this process knows."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._lock = threading.Lock()
        # Per channel, when its next post would be due at an even pace ("theoretical arrival
        # time"): a post may go up to BURST - 1 paces ahead of it.
        self._channel_due: dict[str, float] = {}
        self._method_free: dict[str, float] = {}
        self._last_limited: dict[str, tuple[str, float]] = {}

    def reserve(self, method: str, channel: str | None) -> float | None:
        """Seconds to wait before the call (the slot is then taken), or None when the wait
        would be longer than MAX_WAIT (nothing is taken)."""
        with self._lock:
            now = self.monotonic()
            start = max(now, self._method_free.get(method, 0.0))
            due = max(now, self._channel_due.get(str(channel), 0.0))
            paced = method in POSTS and channel is not None
            if paced:
                start = max(start, due - (BURST - 1) * PACE)
            if start - now > MAX_WAIT:
                return None
            if paced:
                self._channel_due[str(channel)] = max(due, start) + PACE
            return start - now

    def free_in(self, method: str, channel: str | None) -> float:
        """Seconds until the channel (and the method) may be called again."""
        with self._lock:
            now = self.monotonic()
            free = self._method_free.get(method, 0.0)
            if method in POSTS and channel is not None:
                free = max(free, self._channel_due.get(channel, 0.0) - (BURST - 1) * PACE)
            return max(0.0, free - now)

    def limited(self, method: str, channel: str | None, retry_after: float) -> None:
        """Slack answered 429: hold the channel, or the whole method, for `retry_after`."""
        with self._lock:
            now = self.monotonic()
            until = now + retry_after
            if channel is not None:
                held = until + (BURST - 1) * PACE  # nothing more to it before `until`
                self._channel_due[channel] = max(self._channel_due.get(channel, 0.0), held)
            previous = self._last_limited.get(method)
            across_channels = previous is not None and (
                previous[0] != (channel or "") and now - previous[1] <= retry_after + PACE
            )
            if method not in POSTS or channel is None or across_channels:
                self._method_free[method] = max(self._method_free.get(method, 0.0), until)
            self._last_limited[method] = (channel or "", now)


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """`client`, handing a 429 straight back: the delivery honours Retry-After itself, for that
    channel only, instead of sleeping inside the call while other channels could be served."""
    handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    if len(handlers) == len(client.retry_handlers):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = handlers
    return clone


class Delivery:
    """Delivers outbox rows. Safe to run in many processes at once: every row is claimed first."""

    def __init__(
        self,
        db: Database,
        client: WebClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        lanes: int = LANES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.client = without_rate_limit_retries(client)
        self.clock = clock
        self.lanes = max(1, lanes)
        self.sleep = sleep
        self.pacer = Pacer()

    def deliver(self, ids: Iterable[int] | None = None, *, limit: int = 200) -> list[Outcome]:
        """Deliver due rows (only `ids` when given, and edits that queued up behind them), oldest
        first, in passes of at most `limit`; rows due again within a few seconds (after a 429
        or a 5xx) are waited for rather than left to the next sweep."""
        wanted = None if ids is None else set(ids)
        if wanted is not None and not wanted:
            return []
        outcomes: list[Outcome] = []
        started, idle = time.monotonic(), 0
        while True:
            results = self._run(self._claim(wanted, limit))
            outcomes += results
            sent = [o.outbox_id for o in results if o.sent]
            if wanted is not None and sent:
                wanted |= self._followers(sent)
            idle = 0 if sent else idle + 1
            if idle >= IDLE_PASSES or time.monotonic() - started > BUDGET:
                break
            wait = self._next_due(wanted)
            if wait is None or wait > HORIZON:
                break
            if wait > 0:
                before = self.clock()
                self.sleep(wait)
                if self.clock() <= before:
                    break  # a clock that stands still (a test's): the next sweep carries on
        return outcomes

    def _claim(self, ids: Iterable[int] | None, limit: int) -> list[_Claimed]:
        now = self.clock()
        # Edits of one message go in order: an edit waits while an older one is unsent.
        older = aliased(OutboxMessage)
        edit_waiting = exists().where(
            older.target_ref == OutboxMessage.target_ref,
            older.method == "chat.update",
            older.status == OutboxStatus.PENDING,
            older.id < OutboxMessage.id,
        )
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                or_(OutboxMessage.method != "chat.update", ~edit_waiting),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if ids is not None:
            wanted = list(ids)
            if not wanted:
                return []
            due = due.where(OutboxMessage.id.in_(wanted))
        claimed = []
        token = now + CLAIM_FOR
        with self.db.session() as session:
            candidates = list(session.scalars(due))
        for row_id in candidates:
            # One conditional update per row decides which sender owns it (row count 1 or 0).
            with self.db.session() as session:
                won = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    )
                    .values(locked_until=token, attempts=OutboxMessage.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if getattr(won, "rowcount", 0) == 1:
                    claimed.append(row_id)
        if not claimed:
            return []
        with self.db.session() as session:
            rows = session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.method,
                    OutboxMessage.payload,
                    OutboxMessage.target_ref,
                )
                .where(OutboxMessage.id.in_(claimed))
                .order_by(OutboxMessage.id)
            ).all()
        out = []
        for row_id, method, payload, target_ref in rows:
            args = json.loads(payload)
            channel = args.get("channel") or args.get("users")
            channel = str(channel) if channel else None
            lane = target_ref or channel or f"row:{row_id}"
            out.append(_Claimed(row_id, token, method, lane, channel or target_ref))
        return out

    def _run(self, claimed: list[_Claimed]) -> list[Outcome]:
        """Send claimed rows: each lane (a channel, or a message being edited) in order, and
        several lanes at once."""
        if not claimed:
            return []
        lanes: dict[str, list[_Claimed]] = {}
        for row in claimed:
            lanes.setdefault(row.lane, []).append(row)
        if len(lanes) == 1 or self.lanes == 1:
            return [o for lane in lanes.values() for o in self._lane(lane)]
        with ThreadPoolExecutor(max_workers=min(self.lanes, len(lanes))) as pool:
            return [o for done in pool.map(self._lane, lanes.values()) for o in done]

    def _lane(self, rows: list[_Claimed]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        claimed_at = time.monotonic()
        for index, row in enumerate(rows):
            wait = self.pacer.reserve(row.method, row.channel)
            if wait is None:
                # Its channel is held for a while: give this row and the rest of the lane back.
                self._defer(
                    [r.id for r in rows[index:]], self.pacer.free_in(row.method, row.channel)
                )
                break
            if wait > 0:
                self.sleep(wait)
            if time.monotonic() - claimed_at > CLAIM_FOR.total_seconds() / 2:
                if not self._still_ours(row):
                    continue  # our claim ran out and another sender took the row
                claimed_at = time.monotonic()
            outcome = self._send(row.id)
            outcomes.append(outcome)
            if outcome.retry_after is not None:
                self.pacer.limited(row.method, row.channel, outcome.retry_after)
                if index + 1 < len(rows):  # keep the lane's order: the rest wait too
                    self._defer([r.id for r in rows[index + 1 :]], outcome.retry_after)
                break
        return outcomes

    def _still_ours(self, row: _Claimed) -> bool:
        """Renew a long-held claim, if it is still this sender's."""
        with self.db.session() as session:
            renewed = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.locked_until == row.token,
                )
                .values(locked_until=self.clock() + CLAIM_FOR)
                .execution_options(synchronize_session=False)
            )
            return getattr(renewed, "rowcount", 0) == 1

    def _defer(self, row_ids: list[int], seconds: float) -> None:
        """Give claimed rows back, due in `seconds`; a deferral is not an attempt."""
        if not row_ids:
            return
        with self.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == OutboxStatus.PENDING)
                .values(
                    locked_until=None,
                    next_attempt_at=self.clock() + timedelta(seconds=seconds),
                    attempts=OutboxMessage.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )

    def _followers(self, sent: list[int]) -> set[int]:
        """Rows waiting on messages just sent: edits queued behind them, replies into them."""
        with self.db.session() as session:
            refs = session.execute(
                select(OutboxMessage.ref, OutboxMessage.target_ref).where(
                    OutboxMessage.id.in_(sent)
                )
            ).all()
            targets = {r for pair in refs for r in pair if r}
            if not targets:
                return set()
            return set(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.target_ref.in_(targets),
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                )
            )

    def _next_due(self, ids: set[int] | None) -> float | None:
        """Seconds until the next of these rows (or of all) may be claimed; None if none is
        waiting."""
        now = self.clock()
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(list(ids)))
        with self.db.session() as session:
            first = session.scalar(query)
        if first is None:
            return None
        if first.tzinfo is None:  # SQLite hands back an aggregate without the column's type
            first = first.replace(tzinfo=now.tzinfo)
        return max(0.0, (first - now).total_seconds())

    def _send(self, row_id: int) -> Outcome:
        with self.db.session() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            method, payload, attempts = row.method, json.loads(row.payload), row.attempts
            target_ref, target_state = row.target_ref, None
            if target_ref:
                target = session.scalar(
                    select(OutboxMessage).where(OutboxMessage.ref == target_ref)
                )
                target_state = (target.status, target.channel, target.ts) if target else None
        if target_ref or method == "chat.update":
            # An edit of, or a reply into, a message this outbox sent: wait until it has a ts.
            if target_state is None or target_state[0] is OutboxStatus.FAILED:
                return self._fail(row_id, "target_message_failed")
            if target_state[0] is not OutboxStatus.SENT:
                return self._later(
                    row_id, attempts, seconds=1, error="waiting_for_target", count_attempt=False
                )
            payload["channel"] = target_state[1]
            if method == "chat.update":
                payload["ts"] = target_state[2]
            elif payload.pop("in_thread", False):
                payload["thread_ts"] = target_state[2]
            payload.pop("in_thread", None)
        try:
            channel, ts = self._call(method, payload)
        except SlackApiError as exc:
            return self._slack_error(row_id, attempts, exc)
        except OSError as exc:  # connection refused, reset, timed out
            return self._later(
                row_id, attempts, seconds=_backoff(attempts), error=type(exc).__name__
            )
        # The only window for a repeat after a crash: between Slack's answer and this update.
        with self.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock(),
                    channel=channel,
                    ts=ts,
                    locked_until=None,
                    error=None,
                )
                .execution_options(synchronize_session=False)
            )
        return Outcome(row_id, sent=True)

    def _call(self, method: str, payload: dict[str, Any]) -> tuple[str | None, str | None]:
        if method == "conversations.open+chat.postMessage":
            opened = self.client.conversations_open(users=payload.pop("users"))
            payload["channel"] = opened["channel"]["id"]
            method = "chat.postMessage"
        response = self.client.api_call(method.replace("+", ""), json=payload)
        channel = response.get("channel") or payload.get("channel")
        return (str(channel) if channel else None, response.get("ts"))

    def _slack_error(self, row_id: int, attempts: int, exc: SlackApiError) -> Outcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            headers = exc.response.headers or {}
            raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
            try:
                retry_after = max(1, int(raw[0] if isinstance(raw, list) else raw))
            except ValueError:
                retry_after = 1
            later = self._later(
                row_id, attempts, seconds=retry_after, error="ratelimited", count_attempt=False
            )
            return Outcome(row_id, sent=False, error=later.error, retry_after=retry_after)
        if status < 500 and error in PERMANENT:
            return self._fail(row_id, error)
        return self._later(row_id, attempts, seconds=_backoff(attempts), error=error)

    def _later(
        self, row_id: int, attempts: int, *, seconds: float, error: str, count_attempt: bool = True
    ) -> Outcome:
        if count_attempt and attempts >= MAX_ATTEMPTS:
            return self._fail(row_id, error)
        values: dict[str, Any] = {
            "locked_until": None,
            "next_attempt_at": self.clock() + timedelta(seconds=seconds),
            "error": error[:200],
        }
        if not count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        with self.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        if error == "ratelimited":  # expected in any big send: paced, not a fault
            log.info("outbox %s: rate limited; retrying in %.0fs", row_id, seconds)
        elif error != "waiting_for_target":
            log.warning("outbox %s: %s; retrying in %.0fs", row_id, error, seconds)
        return Outcome(row_id, sent=False, error=error)

    def _fail(self, row_id: int, error: str) -> Outcome:
        with self.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=OutboxStatus.FAILED, locked_until=None, error=error[:200])
                .execution_options(synchronize_session=False)
            )
        log.error("outbox %s failed for good: %s", row_id, error)
        return Outcome(row_id, sent=False, error=error)


def _backoff(attempts: int) -> float:
    return float(min(300, 2 ** max(0, attempts)))
