"""The outbox rows' side of delivery: claiming due rows, renewing and giving back claims, and
recording each attempt's result (sent, retry later, failed for good)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus
from bot.services import rows_changed

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=60)  # a crashed sender's rows become due again after this
MAX_ATTEMPTS = 8
# Rows that go to many people at once, or on a timer: they wait behind answers and replies.
BULK_REFS = ("broadcast:", "broadcast-reminder:", "digest:", "kb-review:")


def is_bulk(ref: str | None) -> bool:
    """Whether a row (by its ref, or the ref of the message it edits) is a bulk post: a
    broadcast's copies and edits, reminders, digests, review reminders."""
    return bool(ref) and str(ref).startswith(BULK_REFS)


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
    bulk: bool = False
    team_id: str | None = None  # the workspace the row goes to (its client and its pacer)
    enterprise_id: str | None = None


class OutboxRows:
    """Claims and results of outbox rows. Every change is one conditional update, so that many
    senders (threads or processes) can work the same outbox."""

    db: Database
    clock: Callable[[], datetime]

    def teams_waiting(self, ids: set[int] | None) -> list[str]:
        """The workspaces with pending rows (among `ids`, when given)."""
        query = (
            select(OutboxMessage.team_id)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .distinct()
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(list(ids)))
        with self.db.everywhere() as session:
            return sorted(session.scalars(query))

    def claim(
        self, ids: Iterable[int] | None, limit: int, *, team: str | None = None
    ) -> list[_Claimed]:
        now = self.clock()
        # Edits of one message go in order: an edit waits while an older one is unsent.
        older = aliased(OutboxMessage)
        edit_waiting = exists().where(
            older.team_id == OutboxMessage.team_id,  # refs are unique per workspace
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
        if team is not None:
            due = due.where(OutboxMessage.team_id == team)
        claimed = []
        token = now + CLAIM_FOR
        with self.db.everywhere() as session:
            candidates = list(session.scalars(due))
        for row_id in candidates:
            # One conditional update per row decides which sender owns it (row count 1 or 0).
            with self.db.everywhere() as session:
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
                if rows_changed(won) == 1:
                    claimed.append(row_id)
        if not claimed:
            return []
        with self.db.everywhere() as session:
            rows = session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.method,
                    OutboxMessage.payload,
                    OutboxMessage.target_ref,
                    OutboxMessage.ref,
                    OutboxMessage.team_id,
                    OutboxMessage.enterprise_id,
                )
                .where(OutboxMessage.id.in_(claimed))
                .order_by(OutboxMessage.id)
            ).all()
        out = []
        for row_id, method, payload, target_ref, ref, team, enterprise in rows:
            args = json.loads(payload)
            channel = args.get("channel") or args.get("users")
            channel = str(channel) if channel else None
            # A lane is per workspace: refs are per workspace, and in an organisation one user
            # ID is the same person's DM in every workspace of it.
            lane = f"{team}/{target_ref or channel or f'row:{row_id}'}"
            bulk = is_bulk(ref or target_ref)
            out.append(
                _Claimed(row_id, token, method, lane, channel or target_ref, bulk, team, enterprise)
            )
        return out

    def still_ours(self, row: _Claimed) -> bool:
        """Renew a long-held claim, if it is still this sender's."""
        with self.db.everywhere() as session:
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
            return rows_changed(renewed) == 1

    def defer(self, row_ids: list[int], seconds: float) -> None:
        """Give claimed rows back, due in `seconds`; a deferral is not an attempt."""
        if not row_ids:
            return
        with self.db.everywhere() as session:
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

    def followers(self, sent: list[int]) -> set[int]:
        """Rows waiting on messages just sent: edits queued behind them, replies into them."""
        with self.db.everywhere() as session:
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

    def next_due(self, ids: set[int] | None, *, team: str | None = None) -> float | None:
        """Seconds until the next of these rows (or of all) may be claimed; None if none is
        waiting."""
        now = self.clock()
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(list(ids)))
        if team is not None:
            query = query.where(OutboxMessage.team_id == team)
        with self.db.everywhere() as session:
            first = session.scalar(query)
        if first is None:
            return None
        if first.tzinfo is None:  # SQLite hands back an aggregate without the column's type
            first = first.replace(tzinfo=now.tzinfo)
        return max(0.0, (first - now).total_seconds())

    def mark_sent(self, row_id: int, channel: str | None, ts: str | None) -> None:
        """Record what Slack answered for a sent row."""
        with self.db.everywhere() as session:
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

    def later(
        self, row_id: int, attempts: int, *, seconds: float, error: str, count_attempt: bool = True
    ) -> Outcome:
        if count_attempt and attempts >= MAX_ATTEMPTS:
            return self.fail(row_id, error)
        values: dict[str, Any] = {
            "locked_until": None,
            "next_attempt_at": self.clock() + timedelta(seconds=seconds),
            "error": error[:200],
        }
        if not count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        with self.db.everywhere() as session:
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

    def withdrawn(self, row_id: int, error: str) -> Outcome:
        """Cancel a claimed row that can never go (its workspace uninstalled the app)."""
        with self.db.everywhere() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.CANCELLED, locked_until=None, error=error[:200])
                .execution_options(synchronize_session=False)
            )
        log.info("outbox %s cancelled: %s", row_id, error)
        return Outcome(row_id, sent=False, error=error)

    def fail(self, row_id: int, error: str) -> Outcome:
        with self.db.everywhere() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=OutboxStatus.FAILED, locked_until=None, error=error[:200])
                .execution_options(synchronize_session=False)
            )
        log.error("outbox %s failed for good: %s", row_id, error)
        return Outcome(row_id, sent=False, error=error)


def backoff(attempts: int) -> float:
    return float(min(300, 2 ** max(0, attempts)))
