"""The reply to an officer's question, rendered and queued in the transaction that records
the question: posted in their DM or thread, or through the command's response_url, and
redrawn after their feedback. Delivered at once after the commit, retried by the sweep."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.replies import ReplyTo
from bot.knowledge.shown import Shown
from bot.services import outbox, refs
from bot.services.refs import Ref
from bot.views.answers import answer_reply
from bot.views.blocks import Reply


def answered(
    *, session: Session, settings: Settings, shown: Shown, to: ReplyTo, today: date
) -> None:
    """Queue the reply to a question (`shown`) to where it was asked."""
    reply = answer_reply(
        shown, network_name=settings.network_name, subject=settings.subject, today=today
    )
    key = refs.answer(shown.question_id) if shown.question_id else refs.reply(uuid.uuid4().hex)
    send(session=session, to=to, reply=reply, ref=key)


def redrawn(
    *, session: Session, settings: Settings, shown: Shown, to: ReplyTo, today: date
) -> None:
    """Queue the reply to a question drawn again (after feedback), in place of the old one."""
    reply = answer_reply(
        shown, network_name=settings.network_name, subject=settings.subject, today=today
    )
    send(session=session, to=to, reply=reply)


def tell(
    *, session: Session, to: ReplyTo, text: str, blocks: list[dict[str, Any]] | None = None
) -> None:
    """Queue a short reply (already worded by the views) to `to`."""
    send(session=session, to=to, reply=Reply(text=text, blocks=list(blocks or [])))


def send(*, session: Session, to: ReplyTo, reply: Reply, ref: Ref | None = None) -> None:
    """Queue `reply` to `to`: a post (in a thread), an edit in place, or a response_url reply."""
    if to.response_url:
        outbox.respond(
            session=session,
            url=to.response_url,
            text=reply.text,
            blocks=reply.blocks,
            user=to.user,
            replace=to.replace,
            ref=ref,
        )
        return
    if not to.channel:
        raise ValueError("a reply needs a channel or a response_url")
    if to.message_ts:
        outbox.edit_message(
            session=session,
            channel=to.channel,
            ts=to.message_ts,
            text=reply.text,
            blocks=reply.blocks,
        )
        return
    outbox.post(
        session=session,
        channel=to.channel,
        text=reply.text,
        blocks=reply.blocks,
        ref=ref,
        thread_ts=to.thread_ts,
    )
    if to.clear_status and to.thread_ts and ref is not None:
        # The agent view's "searching" line comes down once the answer is in the thread.
        outbox.after(
            session=session,
            target_ref=ref,
            method="assistant.threads.setStatus",
            payload={"channel_id": to.channel, "thread_ts": to.thread_ts, "status": ""},
        )
