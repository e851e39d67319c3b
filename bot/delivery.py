"""Outbox to Slack: claim due rows, make the Web API call, record the result, retry what failed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update

from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=60)  # a crashed sender's rows become due again after this
MAX_ATTEMPTS = 8
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


class Delivery:
    """Delivers outbox rows. Safe to run in many processes at once: every row is claimed first."""

    def __init__(
        self, db: Database, client: WebClient, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.client = client
        self.clock = clock

    def deliver(self, ids: Iterable[int] | None = None, *, limit: int = 200) -> list[Outcome]:
        """Deliver due rows (only `ids` when given), oldest first."""
        return [self._send(row_id) for row_id in self._claim(ids, limit)]

    def _claim(self, ids: Iterable[int] | None, limit: int) -> list[int]:
        now = self.clock()
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
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
                    .values(locked_until=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if getattr(won, "rowcount", 0) == 1:
                    claimed.append(row_id)
        return claimed

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
            retry_after = int(exc.response.headers.get("Retry-After", "1") or 1)
            return self._later(
                row_id, attempts, seconds=retry_after, error="ratelimited", count_attempt=False
            )
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
        if error != "waiting_for_target":
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
