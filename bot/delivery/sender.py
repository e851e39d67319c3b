"""Outbox to Slack: claim due rows, make the Web API call, record the result, retry what failed."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import select

from bot.db import Database
from bot.delivery import responses
from bot.delivery.clients import PERMANENT, Clients
from bot.delivery.files import upload_file
from bot.delivery.pacing import Pacer, retry_after_of, without_blind_retries
from bot.delivery.reconcile import LOOKED_UP, Lookups, Paced, mark
from bot.delivery.rows import CLAIM_FOR, OutboxRows, Outcome, _Claimed, backoff
from bot.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

LANES = 4  # channels delivered to at the same time
WORKSPACE_THREADS = 64  # workspaces delivered to at the same time (each with its own pacer)
HORIZON = 5.0  # rows due within this are waited for here rather than left to the next sweep
IDLE_PASSES = 3  # passes in a row that send nothing end a delivery
BUDGET = 300.0  # seconds one call of `deliver` may go on for


class Delivery(OutboxRows):
    """Delivers outbox rows. Safe to run in many processes at once: every row is claimed first."""

    def __init__(
        self,
        db: Database,
        client: WebClient | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        lanes: int = LANES,
        sleep: Callable[[float], None] | None = None,
        pacer: Pacer | None = None,
        claim_for: timedelta = CLAIM_FOR,
        clients: Clients | None = None,
    ) -> None:
        self.db = db
        if clients is None:  # one workspace, one client (and one pacer, shared if given)
            assert client is not None, "a Delivery needs a client or the workspaces' clients"
            one = without_blind_retries(client)
            clients = Clients(lambda _token, _team, _pacer: one, token=client.token)
            if pacer is not None:
                clients.share_pacer(pacer)
        # Per workspace: the installation's client and the pacer, shared with the listeners'
        # client (`PacedClient`) so that answers go ahead of bulk.
        self.clients = clients
        self.clock = clock
        # How long a claim holds a row: a sender that died with it lets it go after this. It
        # must outlast the longest call (the client's timeout), or a slow call would be sent
        # again beside itself.
        self.claim_for = claim_for
        self.lanes = max(1, lanes)
        # Set when the process shuts down: a long delivery gives its rows back for the sweep,
        # and every wait (a channel's pace, a lookup's, the next due row) ends at once.
        self.stopping = threading.Event()
        self.sleep = sleep or self._wait
        # Per workspace, looks for posts whose outcome is unknown (paced in its pacer).
        self._lookups: dict[str, Lookups] = {}
        self._lookups_lock = threading.Lock()

    def _wait(self, seconds: float) -> None:
        self.stopping.wait(seconds)

    @property
    def pacer(self) -> Pacer:
        """The one workspace's pacer (single-workspace mode)."""
        return self.clients.pacer(None)

    @property
    def lookups(self) -> Lookups:
        """The one workspace's lookups; `lookups.counts` says how often it asked Slack."""
        return self.lookups_for(None)

    def lookups_for(self, team: str | None) -> Lookups:
        key = self.clients.key(team)
        with self._lookups_lock:
            found = self._lookups.get(key)
            if found is None:
                found = self._lookups[key] = Lookups(self.clients.pacer(team), self.sleep)
            return found

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
        if not self.clients.multi_workspace:
            return self._deliver(wanted, limit, None, self.lanes)
        # Each workspace is handed its own rows, so that its first claim takes them all in one
        # statement (a national broadcast's 43 forces × 51 rows: 43 claims, not 2,193).
        teams = self._by_team(wanted)
        if len(teams) <= 1:
            team, ids = next(iter(teams.items()), (None, wanted))
            return self._deliver(ids, limit, team, self.lanes)
        width = max(1, min(self.lanes, WORKSPACE_THREADS // len(teams)))
        with ThreadPoolExecutor(max_workers=min(len(teams), WORKSPACE_THREADS)) as pool:
            done = pool.map(lambda t: self._deliver(teams[t], limit, t, width), sorted(teams))
            return [o for outcomes in done for o in outcomes]

    def _by_team(self, wanted: set[int] | None) -> dict[str, set[int] | None]:
        """The workspaces with pending rows, each with its own among `wanted` (None: all)."""
        if wanted is None:
            return dict.fromkeys(self.teams_waiting(None))
        query = select(OutboxMessage.id, OutboxMessage.team_id).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.id.in_(list(wanted))
        )
        teams: dict[str, set[int] | None] = {}
        with self.db.everywhere() as session:
            for row_id, team in session.execute(query):
                found = teams.setdefault(team, set())
                assert found is not None
                found.add(row_id)
        return teams

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
                if wanted <= {o.outbox_id for o in outcomes if o.sent}:
                    break  # all of them out, and nothing waits on them
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
                if self.clock() <= before or self.stopping.is_set():
                    break  # a clock that stands still (a test's), or a shutdown: the sweep goes on
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
                if self.stopping.is_set():  # woken by the shutdown: the row goes back
                    self.defer([r.id for r in rows[index:]], 0)
                    break
            if time.monotonic() - claimed_at > self.claim_for.total_seconds() / 2:
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

    def _send(self, row: _Claimed) -> Outcome:
        # The one place a row's client is chosen: its workspace's installation.
        client = self.clients.for_delivery(row.team_id, row.enterprise_id)
        if client is None:
            # The app is no longer installed there: nothing more goes to that workspace.
            return self.withdrawn(row.id, "app_uninstalled")
        row_id, method, payload, attempts = (
            row.id,
            row.method,
            json.loads(row.payload),
            row.attempts,
        )
        ref, unsure, created = row.ref, row.unsure_since, row.created_at or self.clock()
        target_ref, target_state = row.target_ref, None
        if target_ref:
            with self.db.everywhere() as session:
                target = session.scalar(
                    select(OutboxMessage).where(
                        OutboxMessage.team_id == row.team_id, OutboxMessage.ref == target_ref
                    )
                )
                target_state = (target.status, target.channel, target.ts) if target else None
        if target_ref:
            # An edit of, a reply into, or a call after a message this outbox sent: wait until
            # it has a ts.
            if target_state is None or target_state[0] is OutboxStatus.FAILED:
                return self.fail(row_id, "target_message_failed")
            if target_state[0] is OutboxStatus.CANCELLED:  # withdrawn before it went
                return self.fail(row_id, "target_message_cancelled")
            if target_state[0] is not OutboxStatus.SENT:
                return self.later(
                    row_id, attempts, seconds=0.25, error="waiting_for_target", count_attempt=False
                )
            if method in ("chat.update", "chat.postMessage", "files.upload_v2"):
                payload["channel"] = target_state[1]
            if method == "chat.update":
                payload["ts"] = target_state[2]
            elif payload.pop("in_thread", False):
                payload["thread_ts"] = target_state[2]
            payload.pop("in_thread", None)
        elif method == "chat.update" and not payload.get("ts"):
            return self.fail(row_id, "target_message_failed")
        if method == responses.METHOD:
            method, payload = self._response_or_fallback(row_id, payload, created)
            if method == "none":  # a replacement whose URL is gone: the message stays
                return self.fail(row_id, "expired_url")
        if method in LOOKED_UP:
            payload["metadata"] = mark(row_id, ref)
            if unsure is not None:
                found = self._look(client, row, method, payload, unsure)
                if isinstance(found, Outcome):
                    return found
                if found is not None:
                    self.mark_sent(row_id, payload.get("channel"), found)
                    log.info("outbox %s: found in Slack, not sent again", row_id)
                    return Outcome(row_id, sent=True, found=True)
                if payload.get("channel") and method != "chat.postMessage":
                    method = "chat.postMessage"  # the conversation was opened by the lookup
        started = self.clock()
        try:
            channel, ts = self._call(client, method, payload)
        except SlackApiError as exc:
            return self._slack_error(row_id, attempts, method, exc, started)
        except responses.Refused as refused:
            return self._refused_response(row_id, attempts, refused)
        except SlackRequestError as exc:  # an upload's POST answered other than 200
            return self.later(row_id, attempts, seconds=backoff(attempts), error=str(exc)[:80])
        except OSError as exc:  # connection refused, reset, timed out
            unsure_since = None if _never_sent(exc) else started
            return self.later(
                row_id,
                attempts,
                seconds=backoff(attempts),
                error=type(exc).__name__,
                unsure_since=unsure_since if method in LOOKED_UP else None,
            )
        # The only window for a repeat after a crash: between Slack's answer and this update.
        self.mark_sent(row_id, channel, ts)
        return Outcome(row_id, sent=True)

    def _look(
        self,
        client: WebClient,
        row: _Claimed,
        method: str,
        payload: dict[str, Any],
        unsure: datetime,
    ) -> str | Outcome | None:
        """The ts of the post, if Slack has it; an Outcome if the lookup must wait; None to
        post (not there, or it cannot be looked for: the post is then made again)."""
        row_id, attempts = row.id, row.attempts
        try:
            return self.lookups_for(row.team_id).find(client, method, payload, row_id, since=unsure)
        except Paced as held:
            return self.later(
                row_id, attempts, seconds=held.seconds, error="ratelimited", count_attempt=False
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                retry_after = retry_after_of(exc)
                later = self.later(
                    row_id, attempts, seconds=retry_after, error="ratelimited", count_attempt=False
                )
                return Outcome(row_id, sent=False, error=later.error, retry_after=retry_after)
            if exc.response.status_code >= 500:
                return self.later(
                    row_id, attempts, seconds=backoff(attempts), error="lookup_failed"
                )
            # History refused (a scope this install lacks, say): the post is made again.
            log.warning(
                "outbox %s: cannot look for it (%s); sending again",
                row_id,
                exc.response.get("error"),
            )
            return None
        except OSError as exc:
            return self.later(row_id, attempts, seconds=backoff(attempts), error=type(exc).__name__)

    def _call(
        self, client: WebClient, method: str, payload: dict[str, Any]
    ) -> tuple[str | None, str | None]:
        if method == responses.METHOD:
            responses.post(payload, timeout=client.timeout)
            return None, None
        if method == "files.upload_v2":
            return upload_file(client, payload)
        if method == "conversations.open+chat.postMessage":
            opened = client.conversations_open(users=payload.pop("users"))
            payload["channel"] = opened["channel"]["id"]
            method = "chat.postMessage"
        response = client.api_call(method.replace("+", ""), json=payload)
        channel = response.get("channel") or payload.get("channel")
        return (str(channel) if channel else None, response.get("ts"))

    def _response_or_fallback(
        self, row_id: int, payload: dict[str, Any], created: datetime
    ) -> tuple[str, dict[str, Any]]:
        """A response_url reply, or, once its URL has expired, the same reply as a DM."""
        if not responses.expired(created, self.clock()):
            return responses.METHOD, payload
        method, fallback = responses.fallback(payload)
        if method != "none":
            self.rewrite(row_id, method, fallback)
            log.info("outbox %s: its response_url expired; sent as a DM instead", row_id)
        return method, fallback

    def _refused_response(self, row_id: int, attempts: int, refused: responses.Refused) -> Outcome:
        if refused.gone:  # expired or used up: the reply goes as a DM on the next try
            with self.db.everywhere() as session:
                row = session.get(OutboxMessage, row_id)
                assert row is not None
                method, fallback = responses.fallback(json.loads(row.payload))
            if method == "none":
                return self.fail(row_id, refused.error)
            self.rewrite(row_id, method, fallback)
            return self.later(row_id, attempts, seconds=0, error=refused.error, count_attempt=False)
        if refused.status == 429:
            return self.later(row_id, attempts, seconds=1, error="ratelimited", count_attempt=False)
        if refused.status >= 500:
            return self.later(row_id, attempts, seconds=backoff(attempts), error=refused.error)
        return self.fail(row_id, refused.error)

    def _slack_error(
        self, row_id: int, attempts: int, method: str, exc: SlackApiError, started: datetime
    ) -> Outcome:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            retry_after = retry_after_of(exc)
            later = self.later(
                row_id, attempts, seconds=retry_after, error="ratelimited", count_attempt=False
            )
            return Outcome(row_id, sent=False, error=later.error, retry_after=retry_after)
        if method == "chat.delete" and error == "message_not_found":
            self.mark_sent(row_id, None, None)  # gone already (an earlier try deleted it)
            return Outcome(row_id, sent=True)
        if status < 500 and error in PERMANENT:
            return self.fail(row_id, error)
        # A 5xx may come after Slack made the post: the next try looks for it first.
        unsure = started if status >= 500 and method in LOOKED_UP else None
        return self.later(
            row_id, attempts, seconds=backoff(attempts), error=error, unsure_since=unsure
        )


def _never_sent(exc: OSError) -> bool:
    """Whether the request cannot have reached Slack (the connection was refused)."""
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ConnectionRefusedError)
