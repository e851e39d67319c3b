"""The outbox rows' side of delivery: claiming due rows, renewing and giving back claims, and
recording each attempt's result (sent, retry later, failed for good)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.columns import UTCDateTime
from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus
from bot.services import rows_changed

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(seconds=60)  # a crashed sender's rows become due again after this
MAX_ATTEMPTS = 10  # about eight and a half minutes of retries before a row fails for good
# Rows that go to many people at once, or on a timer (retention's edits too): they wait behind
# answers and replies.
BULK_REFS = ("broadcast:", "broadcast-reminder:", "digest:", "kb-review:", "redact:", "impact:")


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
    found: bool = False  # the post was found in Slack (its earlier try had worked)


@dataclass(frozen=True)
class _Claimed:
    """A row this sender owns until `token` (its `locked_until`), and where it goes."""

    id: int
    token: datetime
    method: str
    lane: str
    channel: str | None
    bulk: bool = False
    # The row as the claim found it (read in the claim's own update, so never stale).
    payload: str = "{}"
    ref: str | None = None
    target_ref: str | None = None
    attempts: int = 0
    unsure_since: datetime | None = None
    created_at: datetime | None = None
    team_id: str | None = None  # the workspace the row goes to (its client and its pacer)
    enterprise_id: str | None = None


class OutboxRows:
    """Claims and results of outbox rows. Every change is one conditional update, so that many
    senders (threads or processes) can work the same outbox."""

    db: Database
    clock: Callable[[], datetime]
    claim_for: timedelta = CLAIM_FOR

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
            older.target_ref == OutboxMessage.target_ref,
            older.team_id == OutboxMessage.team_id,  # refs are unique per workspace
            older.method == "chat.update",
            older.status == OutboxStatus.PENDING,
            older.id < OutboxMessage.id,
        )
        due = (
            select(OutboxMessage.id, OutboxMessage.locked_until)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                or_(OutboxMessage.method != "chat.update", ~edit_waiting),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if team is not None:
            due = due.where(OutboxMessage.team_id == team)
        token = now + self.claim_for
        early: list[_Claimed] = []
        if ids is not None:
            wanted = list(ids)
            if not wanted:
                return []
            # Rows just handed over (never claimed) are claimed in one statement: the fast
            # path from an officer's commit to the answer's post.
            with self.db.everywhere() as session:
                early = [
                    _claimed(token, tuple(won))
                    for won in session.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(wanted[:limit]),
                            *([OutboxMessage.team_id == team] if team is not None else []),
                            OutboxMessage.status == OutboxStatus.PENDING,
                            OutboxMessage.next_attempt_at <= now,
                            OutboxMessage.locked_until.is_(None),
                            or_(OutboxMessage.method != "chat.update", ~edit_waiting),
                        )
                        .values(locked_until=token, attempts=OutboxMessage.attempts + 1)
                        .returning(*_CLAIMED_COLUMNS)
                        .execution_options(synchronize_session=False)
                    )
                ]
            taken = {row.id for row in early}
            wanted = [i for i in wanted if i not in taken]
            if not wanted or len(early) >= limit:
                return sorted(early, key=lambda row: row.id)
            due = due.where(OutboxMessage.id.in_(wanted))
        claimed = early
        with self.db.everywhere() as session:
            candidates = [(row.id, row.locked_until) for row in session.execute(due)]
        for row_id, lock in candidates:
            # One conditional update per row decides which sender owns it (row count 1 or 0).
            values: dict[str, Any] = {
                "locked_until": token,
                "attempts": OutboxMessage.attempts + 1,
            }
            held: ColumnElement[bool]
            if lock is None:
                held = OutboxMessage.locked_until.is_(None)
            else:
                # A claim that ran out: its sender died (or hung) with the row, perhaps in the
                # middle of the call, so Slack may have the message. It was made at most a
                # claim's length before the claim ran out.
                held = OutboxMessage.locked_until == lock
                values["unsure_since"] = func.coalesce(
                    OutboxMessage.unsure_since, literal(lock - self.claim_for, UTCDateTime())
                )
            with self.db.everywhere() as session:
                won = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                        held,
                    )
                    .values(**values)
                    .returning(*_CLAIMED_COLUMNS)
                    .execution_options(synchronize_session=False)
                ).first()
            if won is not None:
                claimed.append(_claimed(token, tuple(won)))
        return sorted(claimed, key=lambda row: row.id)

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
                .values(locked_until=self.clock() + self.claim_for)
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

    def rewrite(self, row_id: int, method: str, payload: dict[str, Any]) -> None:
        """Replace a claimed row's call (a reply whose response_url is gone goes as a DM)."""
        with self.db.everywhere() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(method=method, payload=json.dumps(payload, separators=(",", ":")))
                .execution_options(synchronize_session=False)
            )

    def later(
        self,
        row_id: int,
        attempts: int,
        *,
        seconds: float,
        error: str,
        count_attempt: bool = True,
        unsure_since: datetime | None = None,
    ) -> Outcome:
        """Give the row back, due in `seconds`. `unsure_since`: this attempt's outcome is
        unknown (Slack may have the message): the next one looks for it first."""
        if count_attempt and attempts >= MAX_ATTEMPTS:
            return self.fail(row_id, error)
        values: dict[str, Any] = {
            "locked_until": None,
            "next_attempt_at": self.clock() + timedelta(seconds=seconds),
            "error": error[:200],
        }
        if unsure_since is not None:
            values["unsure_since"] = func.coalesce(
                OutboxMessage.unsure_since, literal(unsure_since, UTCDateTime())
            )
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


def _claimed(token: datetime, won: tuple[Any, ...]) -> _Claimed:
    """A claimed row from the claim's RETURNING (in `_CLAIMED_COLUMNS` order)."""
    row_id, method, payload, target_ref, ref, attempts, unsure_since, created_at, team, org = won
    args = json.loads(payload)
    channel = args.get("channel") or args.get("users")
    channel = str(channel) if channel else None
    return _Claimed(
        row_id,
        token,
        method,
        # A lane is per workspace: refs are per workspace, and in an organisation one user ID
        # is the same person's DM in every workspace of it.
        f"{team}/{target_ref or channel or f'row:{row_id}'}",
        channel or target_ref,
        is_bulk(ref or target_ref),
        payload=payload,
        ref=ref,
        target_ref=target_ref,
        attempts=attempts,
        unsure_since=_aware(unsure_since),
        created_at=_aware(created_at),
        team_id=team,
        enterprise_id=org,
    )


_CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.method,
    OutboxMessage.payload,
    OutboxMessage.target_ref,
    OutboxMessage.ref,
    OutboxMessage.attempts,
    OutboxMessage.unsure_since,
    OutboxMessage.created_at,
    OutboxMessage.team_id,
    OutboxMessage.enterprise_id,
)


def _aware(value: datetime | None) -> datetime | None:
    """A timestamp read back through RETURNING, in UTC whatever the driver gave."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4, … up to 5 minutes."""
    return float(min(300, 2 ** max(0, attempts - 1)))
