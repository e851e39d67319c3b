"""Broadcasts: leads' updates to the network, sent now or at a set time, acknowledged by
champions and reminded once (the weekly digest is in `bot.services.digest`).

Every message goes through the outbox in the transaction that decides it. A scheduled broadcast
is written to the outbox when the lead confirms it, due at its time, so a restart loses nothing
and the outbox's claims make two clocks send it once. Its rows' refs carry the broadcast's
`revision`, which goes up when the send time changes: the old rows are withdrawn (only while no
sender has claimed them) and new ones written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import (
    Acknowledgement,
    Broadcast,
    BroadcastCategory,
    BroadcastReminder,
    BroadcastStatus,
    Member,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from bot.services import NotAllowed, ServiceError, outbox, roster
from bot.services.audit import record
from bot.views import broadcasts as views
from bot.views.blocks import Reply
from bot.views.broadcasts import Link, Listed

LEADS = {Role.LEAD, Role.ADMIN}
MAX_LINKS = 3
MAX_URL = 1000
MAX_LABEL = 75
MAX_AHEAD = timedelta(days=366)
KEEP_DRAFTS = timedelta(days=1)
RECENT = timedelta(days=14)
LEAD_REMINDER, AUTO_REMINDER = "lead", "auto"
# The bot's own reminder skips anyone a lead reminded this recently: one nudge is enough.
QUIET_AFTER_LEAD_REMINDER = timedelta(hours=24)
SYSTEM = "system"


class InvalidBroadcast(ServiceError):
    """What is wrong with the form, field by field (keys are the form's field names)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Form:
    """What a lead typed into the broadcast form, as plain values."""

    category: str | None
    title: str
    message: str
    links: str = ""
    send_at: datetime | None = None
    ask_ack: bool = False
    dm_champions: bool = False
    time_zone: str = views.DEFAULT_ZONE


@dataclass(frozen=True)
class Preview:
    """A saved draft, and the broadcast exactly as it will be posted."""

    draft: Broadcast
    shown: Broadcast
    links: list[Link]
    acked: int
    total: int
    editing: Broadcast | None


@dataclass(frozen=True)
class AckResult:
    """An acknowledgement: new, or the one already recorded."""

    new: bool
    at: datetime
    acked: int
    total: int


@dataclass(frozen=True)
class Pending:
    """Champions who have not acknowledged a broadcast, with any lead's reminder to them."""

    broadcast: Broadcast
    missing: list[tuple[str, datetime | None]]
    acked: int
    total: int


# Refs of a broadcast's outbox rows ---------------------------------------------------------


def _prefix(b: Broadcast) -> str:
    return f"broadcast:{b.id}:{b.revision}:"


def post_ref(b: Broadcast) -> str:
    """The outbox ref of the post in the network channel."""
    return _prefix(b) + "post"


def dm_ref(b: Broadcast, user_id: str) -> str:
    """The outbox ref of one champion's copy."""
    return _prefix(b) + f"dm:{user_id}"


def reminder_ref(b: Broadcast, user_id: str, kind: str) -> str:
    """The outbox ref of one reminder (a lead's, or the bot's own)."""
    return f"broadcast-reminder:{b.id}:{user_id}:{kind}"


# Who may, and what there is ----------------------------------------------------------------


def leads(session: Session) -> list[str]:
    """Everyone who may broadcast: leads first, then admins."""
    members = session.scalars(
        select(Member).where(Member.role.in_([Role.LEAD, Role.ADMIN])).order_by(Member.id)
    )
    ordered = sorted(members, key=lambda m: (m.role is not Role.LEAD, m.id))
    return [m.slack_user_id for m in ordered]


def check_may_broadcast(*, session: Session, settings: Settings, user_id: str) -> None:
    """Raise, saying who can, unless `user_id` is a lead or an admin and broadcasts can go."""
    if roster.role_of(session=session, slack_user_id=user_id) not in LEADS:
        raise NotAllowed(views.refusal(leads(session)))
    if not settings.network_channel:
        raise ServiceError(
            "Broadcasts can't be sent yet: no network channel is set up "
            "(CHAMPBOT_NETWORK_CHANNEL). Ask an admin to set it."
        )


def champions(session: Session) -> list[str]:
    """Everyone asked to acknowledge: the roster's champions."""
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.role == Role.CHAMPION)
            .order_by(Member.slack_user_id)
        )
    )


def _ack_times(session: Session, broadcast_id: int) -> dict[str, datetime]:
    return {
        uid: at
        for uid, at in session.execute(
            select(Acknowledgement.user_id, Acknowledgement.at).where(
                Acknowledgement.broadcast_id == broadcast_id
            )
        )
    }


def counts(session: Session, broadcast_id: int) -> tuple[int, int]:
    """(champions who have acknowledged, champions) for a broadcast."""
    total = session.scalar(
        select(func.count()).select_from(Member).where(Member.role == Role.CHAMPION)
    )
    acked = session.scalar(
        select(func.count())
        .select_from(Acknowledgement)
        .join(Member, Member.slack_user_id == Acknowledgement.user_id)
        .where(Acknowledgement.broadcast_id == broadcast_id, Member.role == Role.CHAMPION)
    )
    return int(acked or 0), int(total or 0)


def links_of(b: Broadcast) -> list[Link]:
    """The broadcast's links."""
    return [Link(url, label) for url, label in json.loads(b.links or "[]")]


def is_out(b: Broadcast, now: datetime) -> bool:
    """Whether the broadcast has been sent, or is due and being sent."""
    if b.status is BroadcastStatus.SENT:
        return True
    return b.status is BroadcastStatus.SCHEDULED and (b.send_at is None or b.send_at <= now)


def get(*, session: Session, broadcast_id: int, lock: bool = False) -> Broadcast:
    """A broadcast (not a draft), or a ServiceError a person can read."""
    query = select(Broadcast).where(Broadcast.id == broadcast_id)
    b = session.scalar(query.with_for_update() if lock else query)
    if b is None or b.status is BroadcastStatus.DRAFT or b.edit_of is not None:
        raise ServiceError("That broadcast no longer exists.")
    return b


def editable(*, session: Session, settings: Settings, broadcast_id: int, user_id: str) -> Broadcast:
    """A broadcast a lead may open the form on."""
    check_may_broadcast(session=session, settings=settings, user_id=user_id)
    b = get(session=session, broadcast_id=broadcast_id)
    if b.status is BroadcastStatus.CANCELLED:
        raise ServiceError(f"*{views.plain(b.title)}* was cancelled, so it can't be changed.")
    return b


# The form ----------------------------------------------------------------------------------


def parse_links(raw: str) -> list[Link]:
    """Up to three lines of "https://address optional name"; InvalidBroadcast otherwise."""
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise InvalidBroadcast(
            {views.LINKS: f"Add up to {MAX_LINKS} links, one per line (there are {len(lines)})."}
        )
    links = []
    for line in lines:
        url, _, label = line.partition(" ")
        url, label = url.strip().strip("<>"), " ".join(label.split())
        parts = urlsplit(url) if len(url) <= MAX_URL else None
        host = (parts.hostname or "") if parts else ""
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or "." not in host
            or any(c in url for c in "<>|\"'")
        ):
            shown = views.plain(url[:60])
            raise InvalidBroadcast(
                {
                    views.LINKS: f"“{shown}” is not a web address. Each line should start with "
                    "one, like https://www.college.police.uk/…"
                }
            )
        if len(label) > MAX_LABEL:
            raise InvalidBroadcast(
                {views.LINKS: f"Keep each link's name to {MAX_LABEL} characters."}
            )
        links.append(Link(url, label))
    return links


def _validate(
    form: Form, *, now: datetime, out: bool
) -> tuple[BroadcastCategory, str, str, list[Link]]:
    errors: dict[str, str] = {}
    category: BroadcastCategory | None = None
    try:
        category = BroadcastCategory(form.category or "")
    except ValueError:
        errors[views.CATEGORY] = "Choose a category."
    title = " ".join(form.title.split())
    if not title:
        errors[views.TITLE] = "Give the broadcast a title."
    elif len(title) > views.MAX_TITLE:
        errors[views.TITLE] = (
            f"Keep the title to {views.MAX_TITLE} characters (it is {len(title):,})."
        )
    message = form.message.strip()
    if not message:
        errors[views.MESSAGE] = "Write the message the network should read."
    elif len(message) > views.MAX_MESSAGE:
        errors[views.MESSAGE] = (
            f"Keep the message to {views.MAX_MESSAGE:,} characters (it is {len(message):,}); "
            "put the detail behind a link."
        )
    links: list[Link] = []
    try:
        links = parse_links(form.links)
    except InvalidBroadcast as bad:
        errors.update(bad.errors)
    if not out and form.send_at is not None:
        if form.send_at <= now:
            errors[views.SEND_AT] = (
                "That time has already passed. Choose a time in the future, or leave it empty "
                "to send now."
            )
        elif form.send_at > now + MAX_AHEAD:
            errors[views.SEND_AT] = "Choose a time within the next year."
    if errors or category is None:
        raise InvalidBroadcast(errors)
    return category, title, message, links


def save_draft(
    *,
    session: Session,
    settings: Settings,
    author_id: str,
    form: Form,
    now: datetime,
    edit_of: int | None = None,
) -> Preview:
    """Check the form and keep it as a draft for the preview; nothing is sent yet."""
    check_may_broadcast(session=session, settings=settings, user_id=author_id)
    original = None
    if edit_of is not None:
        original = editable(
            session=session, settings=settings, broadcast_id=edit_of, user_id=author_id
        )
    out = original is not None and is_out(original, now)
    category, title, message, links = _validate(form, now=now, out=out)
    draft = Broadcast(
        author_id=original.author_id if original else author_id,
        category=category,
        title=title,
        body=message,
        links=json.dumps([[link.url, link.label] for link in links]),
        send_at=original.send_at if original and out else form.send_at,
        ask_ack=form.ask_ack,
        dm_champions=original.dm_champions if original and out else form.dm_champions,
        status=BroadcastStatus.DRAFT,
        revision=1,
        edit_of=original.id if original else None,
        time_zone=views.zone_or_default(form.time_zone),
        created_at=now,
        edited_at=now if out else None,
    )
    session.add(draft)
    session.flush()
    shown = draft
    acked, total = 0, len(champions(session))
    if original is not None:
        # What the post will look like: the original's id (its buttons), the draft's words.
        shown = Broadcast(
            **{
                column: getattr(draft, column)
                for column in (
                    "author_id",
                    "category",
                    "title",
                    "body",
                    "links",
                    "send_at",
                    "ask_ack",
                    "dm_champions",
                    "time_zone",
                    "edited_at",
                )
            },
            id=original.id,
            status=original.status,
        )
        acked, total = counts(session, original.id)
    return Preview(draft, shown, links, acked, total, original)


# Sending, editing, cancelling --------------------------------------------------------------


def _post(
    session: Session,
    channel: str,
    reply: Reply,
    *,
    ref: str | None = None,
    due_at: datetime | None = None,
) -> None:
    outbox.post(
        session=session,
        channel=channel,
        text=reply.text,
        blocks=reply.blocks,
        ref=ref,
        due_at=due_at,
    )


def _edit(session: Session, ref: str, reply: Reply) -> None:
    """Change a message (sent or still queued) to `reply`.

    An edit still waiting in the outbox is rewritten rather than followed by another, so a
    burst of acknowledgements makes one `chat.update`, not one each.
    """
    waiting = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.target_ref == ref,
            OutboxMessage.method == "chat.update",
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_until.is_(None),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    if waiting is not None:
        rewritten = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == waiting,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.locked_until.is_(None),
            )
            .values(
                payload=json.dumps(
                    {"text": reply.text, "blocks": reply.blocks}, separators=(",", ":")
                )
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(rewritten, "rowcount", 0) == 1:
            session.info.setdefault("outbox_ids", []).append(waiting)
            return
    outbox.update(session=session, target_ref=ref, text=reply.text, blocks=reply.blocks)


def _enqueue(session: Session, settings: Settings, b: Broadcast) -> None:
    """Write the post (and each champion's copy) to the outbox, due at the broadcast's time."""
    assert settings.network_channel
    due = b.send_at if b.status is BroadcastStatus.SCHEDULED else None
    links = links_of(b)
    people = champions(session)
    acked, total = counts(session, b.id)
    message = views.broadcast_message(b, links, acked=acked, total=total)
    _post(session, settings.network_channel, message, ref=post_ref(b), due_at=due)
    if b.dm_champions:
        acks = _ack_times(session, b.id)
        for uid in people:
            copy = views.broadcast_dm(b, links, acknowledged_at=acks.get(uid))
            _post(session, uid, copy, ref=dm_ref(b, uid), due_at=due)


def _refresh(session: Session, b: Broadcast, *, only: str | None = None) -> None:
    """Bring the post (and the copies: all of them, or only `only`'s) up to date."""
    links = links_of(b)
    acked, total = counts(session, b.id)
    _edit(session, post_ref(b), views.broadcast_message(b, links, acked=acked, total=total))
    acks = _ack_times(session, b.id)
    if only is not None:
        refs = [(dm_ref(b, only), only)] if b.dm_champions else []
        for kind in (LEAD_REMINDER, AUTO_REMINDER):
            refs.append((reminder_ref(b, only, kind), only))
        for ref, uid in refs:
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref)):
                _edit(session, ref, views.broadcast_dm(b, links, acknowledged_at=acks.get(uid)))
        return
    if not b.dm_champions:
        return
    prefix = _prefix(b) + "dm:"
    copies = session.scalars(
        select(OutboxMessage.ref).where(
            OutboxMessage.ref.startswith(prefix, autoescape=True),
            OutboxMessage.status != OutboxStatus.FAILED,
        )
    )
    for copy_ref in list(copies):
        if copy_ref is None:
            continue
        uid = copy_ref.removeprefix(prefix)
        _edit(session, copy_ref, views.broadcast_dm(b, links, acknowledged_at=acks.get(uid)))


def _withdraw(session: Session, b: Broadcast) -> None:
    """Take back every queued message of the broadcast's current revision, or raise if any
    sender has already claimed one: then it is going out, and can only be edited."""
    prefix = _prefix(b)
    queued = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.ref.startswith(prefix, autoescape=True))
    )
    taken = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ref.startswith(prefix, autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.locked_until.is_(None),
        )
        .values(status=OutboxStatus.FAILED, error="cancelled")
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != int(queued or 0):
        # Raising rolls the whole transaction back, so nothing is half withdrawn.
        raise ServiceError(
            f"*{views.plain(b.title)}* is being sent right now, so its time can't be changed "
            "and it can't be cancelled. Once it has gone you can still edit the wording."
        )


def _tell_lead(
    session: Session, settings: Settings, b: Broadcast, user_id: str, *, edited: bool = False
) -> None:
    assert settings.network_channel
    _post(
        session,
        user_id,
        views.lead_confirmation(b, network_channel=settings.network_channel, edited=edited),
    )


def confirm(
    *, session: Session, settings: Settings, draft_id: int, user_id: str, now: datetime
) -> Broadcast:
    """Send (or schedule) the previewed draft; a repeated confirmation changes nothing."""
    check_may_broadcast(session=session, settings=settings, user_id=user_id)
    draft = session.scalar(select(Broadcast).where(Broadcast.id == draft_id).with_for_update())
    if draft is None:
        raise ServiceError("This preview has expired. Please start again with `/broadcast`.")
    if draft.edit_of is not None:
        return _confirm_edit(session, settings, draft, user_id, now)
    if draft.status is not BroadcastStatus.DRAFT:
        return draft
    scheduled = draft.send_at is not None and draft.send_at > now
    if draft.send_at is not None and not scheduled:
        raise ServiceError(
            "The time you chose passed while the preview was open. Press *Back* and choose a "
            "new time, or clear it to send now."
        )
    status = BroadcastStatus.SCHEDULED if scheduled else BroadcastStatus.SENT
    won = session.execute(
        update(Broadcast)
        .where(Broadcast.id == draft.id, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=status, sent_at=None if scheduled else now, created_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(draft)
    if getattr(won, "rowcount", 0) != 1:
        return draft
    _enqueue(session, settings, draft)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.schedule" if scheduled else "broadcast.send",
        subject_type="broadcast",
        subject_id=draft.id,
        detail=f"{draft.category.value}; ack={'yes' if draft.ask_ack else 'no'}; "
        f"dm={'yes' if draft.dm_champions else 'no'}"
        + (f"; at={draft.send_at.isoformat()}" if draft.send_at else ""),
        at=now,
    )
    _tell_lead(session, settings, draft, user_id)
    return draft


def _copy_wording(draft: Broadcast, original: Broadcast) -> None:
    for column in ("category", "title", "body", "links", "ask_ack"):
        setattr(original, column, getattr(draft, column))


def _confirm_edit(
    session: Session, settings: Settings, draft: Broadcast, user_id: str, now: datetime
) -> Broadcast:
    assert draft.edit_of is not None
    original = get(session=session, broadcast_id=draft.edit_of, lock=True)
    if draft.status is not BroadcastStatus.DRAFT:
        return original  # this edit was already applied
    if original.status is BroadcastStatus.CANCELLED:
        raise ServiceError(
            f"*{views.plain(original.title)}* was cancelled, so it can't be changed."
        )
    changes = "wording"
    if is_out(original, now):
        if draft.edited_at is None and (
            draft.send_at != original.send_at or draft.dm_champions != original.dm_champions
        ):
            raise ServiceError(
                f"*{views.plain(original.title)}* went out while you were editing it, so its "
                "time can't be changed any more. Close this, then use *Edit* in "
                "`/broadcast list` to change its wording."
            )
        _copy_wording(draft, original)
        original.edited_at = now
        _refresh(session, original)
    else:
        if draft.send_at is not None and draft.send_at <= now:
            raise ServiceError(
                "The time you chose passed while the preview was open. Press *Back* and choose "
                "a new time, or clear it to send now."
            )
        moved = draft.send_at != original.send_at or draft.dm_champions != original.dm_champions
        _copy_wording(draft, original)
        original.time_zone = draft.time_zone
        if moved:
            _withdraw(session, original)
            original.revision += 1
            original.send_at = draft.send_at
            original.dm_champions = draft.dm_champions
            if draft.send_at is None:
                original.status, original.sent_at = BroadcastStatus.SENT, now
            session.flush()
            _enqueue(session, settings, original)
            changes = "time" if draft.send_at is not None else "sent now"
        else:
            session.flush()
            _refresh(session, original)  # rewrites the queued rows in place
    draft.status = BroadcastStatus.CANCELLED  # the draft is used up
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.edit",
        subject_type="broadcast",
        subject_id=original.id,
        detail=changes,
        at=now,
    )
    _tell_lead(session, settings, original, user_id, edited=changes != "sent now")
    return original


def cancel(
    *, session: Session, settings: Settings, broadcast_id: int, user_id: str, now: datetime
) -> Broadcast:
    """Cancel a scheduled broadcast before it goes; nothing of it is ever posted."""
    check_may_broadcast(session=session, settings=settings, user_id=user_id)
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if b.status is BroadcastStatus.CANCELLED:
        raise ServiceError(f"*{views.plain(b.title)}* is already cancelled.")
    if is_out(b, now):
        raise ServiceError(
            f"*{views.plain(b.title)}* has already been sent, so it can't be cancelled. "
            "You can still edit it."
        )
    _withdraw(session, b)
    b.status, b.cancelled_at = BroadcastStatus.CANCELLED, now
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.cancel",
        subject_type="broadcast",
        subject_id=b.id,
        at=now,
    )
    return b


# Acknowledgements and reminders ------------------------------------------------------------


def acknowledge(
    *, session: Session, settings: Settings, broadcast_id: int, user_id: str, now: datetime
) -> AckResult:
    """A champion's *Acknowledge*: recorded once, and the count on the post updated."""
    # The lock makes acknowledgements of one broadcast take turns (PostgreSQL; SQLite has one
    # writer anyway), so each count written to the post includes every one before it.
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if not b.ask_ack or not is_out(b, now):
        raise ServiceError("This broadcast isn't asking for acknowledgements.")
    if roster.role_of(session=session, slack_user_id=user_id) is not Role.CHAMPION:
        raise NotAllowed(
            "Only champions are asked to acknowledge broadcasts, so there's nothing you need to do."
        )
    existing = session.scalar(
        select(Acknowledgement.at).where(
            Acknowledgement.broadcast_id == b.id, Acknowledgement.user_id == user_id
        )
    )
    if existing is None:
        try:
            with session.begin_nested():  # two clicks at once: the unique constraint decides
                session.add(Acknowledgement(broadcast_id=b.id, user_id=user_id, at=now))
        except IntegrityError:
            existing = session.scalar(
                select(Acknowledgement.at).where(
                    Acknowledgement.broadcast_id == b.id, Acknowledgement.user_id == user_id
                )
            )
    acked, total = counts(session, b.id)
    if existing is not None:
        return AckResult(False, existing, acked, total)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.acknowledge",
        subject_type="broadcast",
        subject_id=b.id,
        at=now,
    )
    _refresh(session, b, only=user_id)
    return AckResult(True, now, acked, total)


def _reminded_by_lead(session: Session, broadcast_id: int) -> dict[str, datetime]:
    return {
        uid: at
        for uid, at in session.execute(
            select(BroadcastReminder.user_id, BroadcastReminder.at).where(
                BroadcastReminder.broadcast_id == broadcast_id,
                BroadcastReminder.kind == LEAD_REMINDER,
            )
        )
    }


def _missing(session: Session, b: Broadcast) -> list[str]:
    acks = _ack_times(session, b.id)
    return [uid for uid in champions(session) if uid not in acks]


def not_acknowledged(
    *, session: Session, settings: Settings, broadcast_id: int, user_id: str
) -> Pending:
    """For a lead: the champions who have not acknowledged, and who a lead has reminded."""
    check_may_broadcast(session=session, settings=settings, user_id=user_id)
    b = get(session=session, broadcast_id=broadcast_id)
    if not b.ask_ack:
        raise ServiceError(f"*{views.plain(b.title)}* didn't ask for acknowledgements.")
    reminded = _reminded_by_lead(session, b.id)
    acked, total = counts(session, b.id)
    missing = [(uid, reminded.get(uid)) for uid in _missing(session, b)]
    return Pending(b, missing, acked, total)


def _remind(session: Session, b: Broadcast, *, kind: str, by: str | None, now: datetime) -> int:
    links = links_of(b)
    lead_reminded = _reminded_by_lead(session, b.id)
    sent = 0
    for uid in _missing(session, b):
        if kind == LEAD_REMINDER and uid in lead_reminded:
            continue
        last = lead_reminded.get(uid)
        if kind == AUTO_REMINDER and last is not None and last > now - QUIET_AFTER_LEAD_REMINDER:
            continue
        try:
            with session.begin_nested():  # one reminder of each kind per champion, ever
                session.add(
                    BroadcastReminder(
                        broadcast_id=b.id, user_id=uid, kind=kind, by=by or SYSTEM, at=now
                    )
                )
        except IntegrityError:
            continue
        _post(session, uid, views.reminder_dm(b, links, by=by), ref=reminder_ref(b, uid, kind))
        sent += 1
    return sent


def remind(
    *, session: Session, settings: Settings, broadcast_id: int, user_id: str, now: datetime
) -> int:
    """A lead reminds each champion who has not acknowledged: one DM each, once."""
    check_may_broadcast(session=session, settings=settings, user_id=user_id)
    b = get(session=session, broadcast_id=broadcast_id, lock=True)
    if not b.ask_ack or not is_out(b, now):
        raise ServiceError(f"*{views.plain(b.title)}* isn't waiting for acknowledgements.")
    sent = _remind(session, b, kind=LEAD_REMINDER, by=user_id, now=now)
    record(
        session=session,
        actor_id=user_id,
        action="broadcast.remind",
        subject_type="broadcast",
        subject_id=b.id,
        detail=f"{sent} champions",
        at=now,
    )
    return sent


# What the clock does -----------------------------------------------------------------------


def mark_due(*, session: Session, now: datetime) -> None:
    """Scheduled broadcasts whose time has come are sent (the outbox is sending their posts)."""
    session.execute(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
        .values(status=BroadcastStatus.SENT, sent_at=Broadcast.send_at)
        .execution_options(synchronize_session=False)
    )


def sweep(*, session: Session, settings: Settings, now: datetime) -> int:
    """Mark scheduled broadcasts whose time has come as sent, send the bot's own reminders
    that are due, and forget old drafts. Returns the number of reminders sent.

    The outbox sends the scheduled messages themselves; each reminder round is claimed by one
    conditional update, so two clocks send it once.
    """
    mark_due(session=session, now=now)
    cutoff = now - timedelta(hours=settings.ack_reminder_hours)
    due = list(
        session.scalars(
            select(Broadcast.id)
            .where(
                Broadcast.status == BroadcastStatus.SENT,
                Broadcast.ask_ack.is_(True),
                Broadcast.reminded_at.is_(None),
                Broadcast.sent_at <= cutoff,
            )
            .order_by(Broadcast.id)
        )
    )
    reminded = 0
    for broadcast_id in due:
        won = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            continue
        b = get(session=session, broadcast_id=broadcast_id)
        session.refresh(b)
        sent = _remind(session, b, kind=AUTO_REMINDER, by=None, now=now)
        record(
            session=session,
            actor_id=SYSTEM,
            action="broadcast.auto_remind",
            subject_type="broadcast",
            subject_id=b.id,
            detail=f"{sent} champions",
            at=now,
        )
        reminded += sent
    session.execute(
        delete(Broadcast)
        .where(
            or_(Broadcast.status == BroadcastStatus.DRAFT, Broadcast.edit_of.is_not(None)),
            Broadcast.created_at < now - KEEP_DRAFTS,
        )
        .execution_options(synchronize_session=False)
    )
    return reminded


# Lists -------------------------------------------------------------------------------------


def listing(*, session: Session, now: datetime) -> tuple[list[Listed], list[Listed]]:
    """Scheduled broadcasts, soonest first, and those sent in the last two weeks, newest first."""
    mark_due(session=session, now=now)
    live = list(
        session.scalars(
            select(Broadcast)
            .where(
                Broadcast.edit_of.is_(None),
                or_(
                    Broadcast.status == BroadcastStatus.SCHEDULED,
                    (Broadcast.status == BroadcastStatus.SENT)
                    & (Broadcast.sent_at >= now - RECENT),
                ),
            )
            .order_by(Broadcast.id)
        )
    )
    total = len(champions(session))
    acked: dict[int, int] = {
        broadcast_id: int(n)
        for broadcast_id, n in session.execute(
            select(Acknowledgement.broadcast_id, func.count())
            .join(Member, Member.slack_user_id == Acknowledgement.user_id)
            .where(
                Member.role == Role.CHAMPION,
                Acknowledgement.broadcast_id.in_([b.id for b in live]),
            )
            .group_by(Acknowledgement.broadcast_id)
        )
    }
    scheduled = [
        Listed(b, 0, total)
        for b in sorted(live, key=lambda b: b.send_at or now)
        if b.status is BroadcastStatus.SCHEDULED
    ]
    recent = [
        Listed(b, acked.get(b.id, 0), total)
        for b in sorted(live, key=lambda b: b.sent_at or b.created_at, reverse=True)
        if b.status is BroadcastStatus.SENT
    ]
    return scheduled, recent[:10]
