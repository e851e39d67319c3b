"""Outbox to Slack: claim due rows, make the Web API call, record the result, retry what failed."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.db import Database
from bot.delivery.clients import Clients
from bot.delivery.pacing import Pacer, retry_after_of
from bot.delivery.rows import CLAIM_FOR, OutboxRows, Outcome, _Claimed, backoff
from bot.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

LANES = 4  # channels delivered to at the same time
HORIZON = 5.0  # rows due within this are waited for here rather than left to the next sweep
IDLE_PASSES = 3  # passes in a row that send nothing end a delivery
BUDGET = 300.0  # seconds one call of `deliver` may go on for
WORKSPACE_THREADS = 64  # workspaces delivered to at the same time (each with its own pacer)
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


class Delivery(OutboxRows):
    """Delivers outbox rows. Safe to run in many processes at once: every row is claimed first."""

    def __init__(
        self,
        db: Database,
        client: WebClient | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        lanes: int = LANES,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
        clients: Clients | None = None,
    ) -> None:
        self.db = db
        if clients is None:  # one workspace, one client (and one pacer, shared if given)
            assert client is not None, "a Delivery needs a client or the workspaces' clients"
            clients = Clients(lambda _token, _team, _pacer: client, token=client.token)
            if pacer is not None:
                clients.share_pacer(pacer)
        # Per workspace: the installation's client and the pacer, shared with the listeners'
        # client (`PacedClient`) so that answers go ahead of bulk.
        self.clients = clients
        self.clock = clock
        self.lanes = max(1, lanes)
        self.sleep = sleep
        # Set when the process shuts down: a long delivery gives its rows back for the sweep.
        self.stopping = threading.Event()

    def deliver(self, ids: Iterable[int] | None = None, *, limit: int = 200) -> list[Outcome]:
        """Deliver due rows (only `ids` when given, and edits that queued up behind them), oldest
        first, in passes of at most `limit`; rows due again within a few seconds (after a 429
        or a 5xx) are waited for rather than left to the next sweep.

        With many workspaces, each workspace's rows are delivered on their own thread, all at
        once: Slack's limits are per workspace, so one force's pacing (or 429s) never holds up
        another's, and a national broadcast takes as long as one force's share of it."""
        wanted = None if ids is None else set(ids)
        if wanted is not None and not wanted:
            return []
        teams = self.teams_waiting(wanted) if self.clients.multi_workspace else []
        if len(teams) <= 1:
            return self._deliver(wanted, limit, teams[0] if teams else None, self.lanes)
        width = max(1, min(self.lanes, WORKSPACE_THREADS // len(teams)))
        with ThreadPoolExecutor(max_workers=min(len(teams), WORKSPACE_THREADS)) as pool:
            done = pool.map(lambda team: self._deliver(wanted, limit, team, width), teams)
            return [o for outcomes in done for o in outcomes]

    def _deliver(
        self, wanted: set[int] | None, limit: int, team: str | None, width: int
    ) -> list[Outcome]:
        """`deliver`, for one workspace's rows (`team`; None: every workspace's)."""
        wanted = None if wanted is None else set(wanted)
        outcomes: list[Outcome] = []
        started, idle = time.monotonic(), 0
        while True:
            results = self._run(self.claim(wanted, limit, team=team), width)
            outcomes += results
            sent = [o.outbox_id for o in results if o.sent]
            if wanted is not None and sent:
                wanted |= self.followers(sent)
            idle = 0 if sent else idle + 1
            if idle >= IDLE_PASSES or time.monotonic() - started > BUDGET:
                break
            if self.stopping.is_set():
                break
            wait = self.next_due(wanted, team=team)
            if wait is None or wait > HORIZON:
                break
            if wait > 0:
                before = self.clock()
                self.sleep(wait)
                if self.clock() <= before:
                    break  # a clock that stands still (a test's): the next sweep carries on
        return outcomes

    def _run(self, claimed: list[_Claimed], width: int | None = None) -> list[Outcome]:
        """Send claimed rows: each lane (a channel, or a message being edited) in order, and
        up to `width` lanes at once."""
        if not claimed:
            return []
        width = self.lanes if width is None else width
        lanes: dict[str, list[_Claimed]] = {}
        for row in claimed:
            lanes.setdefault(row.lane, []).append(row)
        if len(lanes) == 1 or width == 1:
            return [o for lane in lanes.values() for o in self._lane(lane)]
        with ThreadPoolExecutor(max_workers=min(width, len(lanes))) as pool:
            return [o for done in pool.map(self._lane, lanes.values()) for o in done]

    def _lane(self, rows: list[_Claimed]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        claimed_at = time.monotonic()
        for index, row in enumerate(rows):
            if self.stopping.is_set():
                self.defer([r.id for r in rows[index:]], 0)
                break
            pacer = self.clients.pacer(row.team_id)  # Slack's limits are per workspace
            wait = pacer.reserve(row.method, row.channel, bulk=row.bulk)
            if wait is None:
                # Its channel is held for a while: give this row and the rest of the lane back.
                free = pacer.free_in(row.method, row.channel, bulk=row.bulk)
                self.defer([r.id for r in rows[index:]], free)
                break
            if wait > 0:
                self.sleep(wait)
            if time.monotonic() - claimed_at > CLAIM_FOR.total_seconds() / 2:
                if not self.still_ours(row):
                    continue  # our claim ran out and another sender took the row
                claimed_at = time.monotonic()
            outcome = self._send(row)
            outcomes.append(outcome)
            if outcome.retry_after is not None:
                pacer.limited(row.method, row.channel, outcome.retry_after)
                if index + 1 < len(rows):  # keep the lane's order: the rest wait too
                    self.defer([r.id for r in rows[index + 1 :]], outcome.retry_after)
                break
        return outcomes

    def _send(self, claimed: _Claimed) -> Outcome:
        row_id = claimed.id
        client = self.clients.for_delivery(claimed.team_id, claimed.enterprise_id)
        if client is None:
            # The app is no longer installed there: nothing more goes to that workspace.
            return self.withdrawn(row_id, "app_uninstalled")
        with self.db.everywhere() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            method, payload, attempts = row.method, json.loads(row.payload), row.attempts
            target_ref, target_state = row.target_ref, None
            if target_ref:
                target = session.scalar(
                    select(OutboxMessage).where(
                        OutboxMessage.team_id == row.team_id, OutboxMessage.ref == target_ref
                    )
                )
                target_state = (target.status, target.channel, target.ts) if target else None
        if target_ref or method == "chat.update":
            # An edit of, or a reply into, a message this outbox sent: wait until it has a ts.
            if target_state is None or target_state[0] is OutboxStatus.FAILED:
                return self.fail(row_id, "target_message_failed")
            if target_state[0] is OutboxStatus.CANCELLED:  # withdrawn before it went
                return self.fail(row_id, "target_message_cancelled")
            if target_state[0] is not OutboxStatus.SENT:
                return self.later(
                    row_id, attempts, seconds=1, error="waiting_for_target", count_attempt=False
                )
            payload["channel"] = target_state[1]
            if method == "chat.update":
                payload["ts"] = target_state[2]
            elif payload.pop("in_thread", False):
                payload["thread_ts"] = target_state[2]
            payload.pop("in_thread", None)
        try:
            channel, ts = self._call(client, method, payload)
        except SlackApiError as exc:
            return self._slack_error(row_id, attempts, exc)
        except OSError as exc:  # connection refused, reset, timed out
            return self.later(row_id, attempts, seconds=backoff(attempts), error=type(exc).__name__)
        # The only window for a repeat after a crash: between Slack's answer and this update.
        self.mark_sent(row_id, channel, ts)
        return Outcome(row_id, sent=True)

    def _call(
        self, client: WebClient, method: str, payload: dict[str, Any]
    ) -> tuple[str | None, str | None]:
        if method == "conversations.open+chat.postMessage":
            opened = client.conversations_open(users=payload.pop("users"))
            payload["channel"] = opened["channel"]["id"]
            method = "chat.postMessage"
        response = client.api_call(method.replace("+", ""), json=payload)
        channel = response.get("channel") or payload.get("channel")
        return (str(channel) if channel else None, response.get("ts"))

    def _slack_error(self, row_id: int, attempts: int, exc: SlackApiError) -> Outcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            retry_after = retry_after_of(exc)
            later = self.later(
                row_id, attempts, seconds=retry_after, error="ratelimited", count_attempt=False
            )
            return Outcome(row_id, sent=False, error=later.error, retry_after=retry_after)
        if status < 500 and error in PERMANENT:
            return self.fail(row_id, error)
        return self.later(row_id, attempts, seconds=backoff(attempts), error=error)
