"""The outbox: Web API calls recorded in the same transaction as the state change they announce."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import Session

from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.services import refs, rows_changed
from bot.services.refs import Quote, Ref

# Methods the delivery knows how to make; each takes the payload as keyword arguments, but
# "response_url" (a POST of `body` to `url`, see `respond`).
METHODS = frozenset(
    {
        "assistant.threads.setStatus",
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.delete",
        "views.publish",
        "conversations.open+chat.postMessage",
        # Slack's file upload in three calls (files.getUploadURLExternal, the POST of the bytes
        # to the URL it gives, files.completeUploadExternal), made by slack_sdk's
        # files_upload_v2; a failure at any step retries all three.
        "files.upload_v2",
        "response_url",
    }
)
# The Web API methods a delivery makes for each of METHODS, where they are not its parts.
CALLS = {"files.upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}


def slack_methods(method: str) -> tuple[str, ...]:
    """The Web API methods delivering a row of `method` calls."""
    return CALLS.get(method) or tuple(method.split("+"))


def enqueue(
    *,
    session: Session,
    method: str,
    payload: dict[str, Any],
    ref: Ref | None = None,
    target_ref: Ref | None = None,
    due_at: datetime | None = None,
    quotes: Quote | None = None,
) -> OutboxMessage:
    """Add a call to the outbox. A `ref` already used returns the existing row (idempotent).
    `quotes` names the typed text the payload copies, so retention purges it too."""
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
        quotes=quotes,
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
    ref: Ref | None = None,
    thread_ts: str | None = None,
    due_at: datetime | None = None,
    quotes: Quote | None = None,
) -> OutboxMessage:
    """Queue a message to a channel or, given a user ID, to that person's DM with the bot."""
    payload: dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    return enqueue(
        session=session,
        method="chat.postMessage",
        payload=payload,
        ref=ref,
        due_at=due_at,
        quotes=quotes,
    )


def post_many(
    *,
    session: Session,
    posts: Sequence[tuple[str, str, list[dict[str, Any]] | None, Ref]],
    due_at: datetime | None = None,
) -> list[OutboxMessage]:
    """`post` for many messages at once, each `(channel, text, blocks, ref)`: a broadcast's
    copies. One query for the refs already used (those rows are kept, as `enqueue` does) and
    one batched INSERT for the rest, instead of two round trips a message."""
    wanted = [ref for *_, ref in posts]
    existing = {
        row.ref: row
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.ref.in_(wanted)))
    }
    now = utcnow()
    new = [
        OutboxMessage(
            method="chat.postMessage",
            payload=json.dumps(
                {"channel": channel, "text": text}
                | ({"blocks": blocks} if blocks is not None else {}),
                separators=(",", ":"),
            ),
            ref=ref,
            status=OutboxStatus.PENDING,
            next_attempt_at=due_at or now,
            created_at=now,
        )
        for channel, text, blocks, ref in posts
        if ref not in existing
    ]
    session.add_all(new)
    session.flush()
    session.info.setdefault("outbox_ids", []).extend(row.id for row in new)
    return _fill(wanted, existing, new)


def _fill(
    wanted: list[Ref], existing: dict[str | None, OutboxMessage], new: list[OutboxMessage]
) -> list[OutboxMessage]:
    fresh = iter(new)
    return [existing[ref] if ref in existing else next(fresh) for ref in wanted]


def _rewrite(session: Session, row_id: int, payload: dict[str, Any]) -> bool:
    """Replace the payload of a row no delivery has claimed; False if one has (or it went)."""
    rewritten = session.execute(
        sa_update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_until.is_(None),
        )
        .values(payload=json.dumps(payload, separators=(",", ":")))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(rewritten) == 1


def update(
    *,
    session: Session,
    target_ref: Ref,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> OutboxMessage | None:
    """Queue an edit of the message `target_ref` (sent or still queued). None if no such message.

    An edit still waiting in the outbox is rewritten instead, and so is a still-queued post
    (nobody sees the stale version), so a burst of changes (acknowledgements coming in)
    makes one `chat.update`, not one each. The rewrites are conditional, so a delivery that
    has already claimed a row is never raced.
    """
    target = session.scalar(select(OutboxMessage).where(OutboxMessage.ref == target_ref))
    if target is None:
        return None
    payload: dict[str, Any] = {"text": text, "blocks": blocks or []}
    waiting = session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.target_ref == target_ref,
            OutboxMessage.method == "chat.update",
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_until.is_(None),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if waiting is not None and _rewrite(session, waiting.id, payload):
        session.expire(waiting)
        # Delivered after this transaction commits, like a row enqueued in it.
        session.info.setdefault("outbox_ids", []).append(waiting.id)
        return waiting
    # With no edit waiting (it would be applied after the post, and win), rewrite the post.
    if target.status is OutboxStatus.PENDING and target.locked_until is None:
        merged = json.loads(target.payload)
        merged.update(payload)
        if _rewrite(session, target.id, merged):
            session.expire(target)
            return target
    # An edit copies what the message it edits copied (a queue card's case text).
    return enqueue(
        session=session,
        method="chat.update",
        payload=payload,
        target_ref=target_ref,
        quotes=_quote(target.quotes),
    )


def _quote(value: str | None) -> Quote | None:
    return Quote(value) if value else None


def withdraw(*, session: Session, prefix: str) -> bool:
    """Cancel every queued row whose ref starts with `prefix`; False (and nothing cancelled
    that the caller's rollback would not undo) if any of them is sent or being sent."""
    mine = OutboxMessage.ref.startswith(prefix, autoescape=True)
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(mine))
    taken = session.execute(
        sa_update(OutboxMessage)
        .where(
            mine,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_until.is_(None),
        )
        .values(status=OutboxStatus.CANCELLED, error=None)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(taken) == int(total or 0)


def live_refs(*, session: Session, prefix: str) -> list[Ref]:
    """Refs starting with `prefix` of messages sent or still to send (not failed or cancelled)."""
    rows = session.scalars(
        select(OutboxMessage.ref).where(
            OutboxMessage.ref.startswith(prefix, autoescape=True),
            OutboxMessage.status.not_in([OutboxStatus.FAILED, OutboxStatus.CANCELLED]),
        )
    )
    return [Ref(ref) for ref in rows if ref is not None]


def exists(*, session: Session, ref: Ref) -> bool:
    """Whether a message `ref` was ever queued."""
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref)) is not None


def upload(
    *,
    session: Session,
    target_ref: Ref,
    filename: str,
    title: str,
    content: bytes,
    ref: Ref,
    alt_txt: str = "",
) -> OutboxMessage:
    """Queue a file to share in the conversation of the message `target_ref`, once that message
    is sent (so it follows it there)."""
    payload = {
        "filename": filename,
        "title": title,
        "alt_txt": alt_txt,
        "content_b64": base64.b64encode(content).decode("ascii"),
    }
    return enqueue(
        session=session, method="files.upload_v2", payload=payload, ref=ref, target_ref=target_ref
    )


def open_conversation(
    *,
    session: Session,
    users: list[str],
    text: str,
    blocks: list[dict[str, Any]],
    ref: Ref,
    quotes: Quote | None = None,
) -> OutboxMessage:
    """Queue a group DM between the bot and `users`, opened with a first message."""
    return enqueue(
        session=session,
        method="conversations.open+chat.postMessage",
        payload={"users": ",".join(users), "text": text, "blocks": blocks},
        ref=ref,
        quotes=quotes,
    )


def sent_message(*, session: Session, ref: Ref) -> OutboxMessage | None:
    """The message `ref`, if it has been sent."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.ref == ref))
    return row if row is not None and row.status is OutboxStatus.SENT else None


def edit_sent(
    *, session: Session, row: OutboxMessage, text: str, blocks: list[dict[str, Any]], ref: Ref
) -> OutboxMessage:
    """Queue an edit of the message a sent row posted, as the row `ref` (so it is queued once,
    however often this is called). A row sent without a ref is named first, for the edit to
    find it."""
    if row.ref is None:
        session.execute(
            sa_update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.ref.is_(None))
            .values(ref=refs.message(row.id))
            .execution_options(synchronize_session=False)
        )
        session.refresh(row)
    assert row.ref is not None
    return enqueue(
        session=session,
        method="chat.update",
        payload={"text": text, "blocks": blocks},
        ref=ref,
        target_ref=Ref(row.ref),
    )


def respond(
    *,
    session: Session,
    url: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    user: str | None = None,
    replace: bool = False,
    ref: Ref | None = None,
) -> OutboxMessage:
    """Queue an ephemeral reply through a response_url (or, `replace`, a redraw of the
    message a button sat on). `user` gets it by DM instead should the URL expire first."""
    body: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if blocks is not None:
        body["blocks"] = blocks
    body["replace_original"] = replace
    payload = {"url": url, "body": body, "user": None if replace else user}
    return enqueue(session=session, method="response_url", payload=payload, ref=ref)


def edit_message(
    *,
    session: Session,
    channel: str,
    ts: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> OutboxMessage:
    """Queue an edit of a message by where it is (one not sent through this outbox)."""
    payload: dict[str, Any] = {"channel": channel, "ts": ts, "text": text, "blocks": blocks or []}
    return enqueue(session=session, method="chat.update", payload=payload)


def after(
    *, session: Session, target_ref: Ref, method: str, payload: dict[str, Any]
) -> OutboxMessage:
    """Queue a call to make once the message `target_ref` has been sent (its payload as is)."""
    return enqueue(session=session, method=method, payload=payload, target_ref=target_ref)
