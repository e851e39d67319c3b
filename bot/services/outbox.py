"""The outbox: Web API calls recorded in the same transaction as the state change they announce."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.services import rows_changed

# Methods the delivery knows how to make; each takes the payload as keyword arguments.
METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.delete",
        "views.publish",
        "conversations.open+chat.postMessage",
    }
)


def enqueue(
    *,
    session: Session,
    method: str,
    payload: dict[str, Any],
    ref: str | None = None,
    target_ref: str | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage:
    """Add a call to the outbox. A `ref` already used returns the existing row (idempotent)."""
    if method not in METHODS:
        raise ValueError(f"unknown outbox method {method!r}")
    if ref is not None:
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.ref == ref))
        if existing is not None:
            return existing
    row = OutboxMessage(
        method=method,
        payload=json.dumps(payload, separators=(",", ":")),
        ref=ref,
        target_ref=target_ref,
        status=OutboxStatus.PENDING,
        next_attempt_at=due_at or utcnow(),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    session.info.setdefault("outbox_ids", []).append(row.id)
    return row


def post(
    *,
    session: Session,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    ref: str | None = None,
    thread_ts: str | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage:
    """Queue a message to a channel or, given a user ID, to that person's DM with the bot."""
    payload: dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return enqueue(
        session=session, method="chat.postMessage", payload=payload, ref=ref, due_at=due_at
    )


def update(
    *,
    session: Session,
    target_ref: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> OutboxMessage | None:
    """Queue an edit of the message `target_ref` (sent or still queued). None if no such message.

    A still-queued post is rewritten in place instead, so nobody sees the stale version.
    """
    target = session.scalar(select(OutboxMessage).where(OutboxMessage.ref == target_ref))
    if target is None:
        return None
    payload: dict[str, Any] = {"text": text, "blocks": blocks or []}
    if target.status is OutboxStatus.PENDING and target.locked_until is None:
        merged = json.loads(target.payload)
        merged.update(payload)
        # Conditional, so a delivery that has already claimed the post is never raced.
        rewritten = session.execute(
            sa_update(OutboxMessage)
            .where(
                OutboxMessage.id == target.id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.locked_until.is_(None),
            )
            .values(payload=json.dumps(merged, separators=(",", ":")))
            .execution_options(synchronize_session=False)
        )
        if rows_changed(rewritten) == 1:
            session.expire(target)
            return target
    return enqueue(session=session, method="chat.update", payload=payload, target_ref=target_ref)


def open_conversation(
    *, session: Session, users: list[str], text: str, blocks: list[dict[str, Any]], ref: str
) -> OutboxMessage:
    """Queue a group DM between the bot and `users`, opened with a first message."""
    return enqueue(
        session=session,
        method="conversations.open+chat.postMessage",
        payload={"users": ",".join(users), "text": text, "blocks": blocks},
        ref=ref,
    )


def sent_message(*, session: Session, ref: str) -> OutboxMessage | None:
    """The message `ref`, if it has been sent."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.ref == ref))
    return row if row is not None and row.status is OutboxStatus.SENT else None
