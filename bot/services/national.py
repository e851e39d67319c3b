"""National leads: one broadcast to every force's network channel (one post per force, each in
that force's own workspace and outbox), acknowledgements per force and nationally, and every
force's figures side by side.

A national broadcast is a `NationalBroadcast` row and, in each served force, a `Broadcast` row
of that force (`national_id`), written in a session of that force's workspace, so that each
force's copy, its acknowledgements and its outbox rows are that force's like any other. Each
force's copy commits on its own; a repeat of the same national broadcast skips the forces that
already have theirs (one per force, a unique index).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import Database
from bot.domain.broadcasts import SEND_AT, SESSION_AT, Form, Preview
from bot.domain.errors import InvalidBroadcast, PreviewExpired
from bot.domain.national import (
    ForceAcks,
    ForceFigures,
    NationalAcks,
    NationalFigures,
    NationalReach,
)
from bot.models import (
    Broadcast,
    BroadcastCategory,
    BroadcastStatus,
    KnownWorkspace,
    Member,
    NationalBroadcast,
)
from bot.services import forces as force_settings
from bot.services import policy, roster, rows_changed, stats
from bot.services.audit import record
from bot.services.broadcasts.access import counts
from bot.services.broadcasts.form import save_draft as save_force_draft
from bot.services.broadcasts.sending import announce
from bot.tenancy import PENDING_TEAM, Workspace

RECENT = 5  # national broadcasts listed with their counts
FORCES_AT_ONCE = 4  # forces written (or counted) at the same time, each in its own session
T = TypeVar("T")


def check(*, caller: Member | None) -> None:
    """Refuse, politely, anyone but a national lead (a force's leads are refused too)."""
    policy.require(caller, policy.Act.NATIONAL)


def served(db: Database, *, with_left: bool = False) -> list[Workspace]:
    """Every force the deployment serves (and, `with_left`, those that uninstalled the app)."""
    with db.everywhere() as s:
        query = select(KnownWorkspace).where(KnownWorkspace.team_id != PENDING_TEAM)
        if not with_left:
            query = query.where(KnownWorkspace.left_at.is_(None))
        return [
            Workspace(k.team_id, k.enterprise_id)
            for k in s.scalars(query.order_by(KnownWorkspace.team_id))
        ]


def broadcast(
    *,
    session: Session,
    db: Database,
    defaults: Settings,
    author_id: str,
    caller: Member | None,
    author: Workspace,
    title: str,
    body: str,
    dm_champions: bool,
    now: datetime,
    category: BroadcastCategory = BroadcastCategory.NATIONAL_POLICY,
    links: str = "[]",
    ask_ack: bool = True,
) -> NationalAcks:
    """Post one broadcast to every force's network channel now, asking its champions to
    acknowledge (and by DM with `dm_champions`). `session` is the national lead's own unit's:
    the outbox rows written in every force join it, to be delivered once it commits."""
    check(caller=caller)
    with db.everywhere() as s:
        national = NationalBroadcast(
            author_id=author_id, author_team_id=author.team_id, title=title, created_at=now
        )
        s.add(national)
        s.flush()
        national_id = national.id

    def copy_in(force: Workspace) -> tuple[list[int], ForceAcks]:
        """Force `force`'s copy and its outbox rows, committed on their own; their ids, and
        the force's count."""
        with db.session(force) as fs:
            settings = force_settings.effective(session=fs, defaults=defaults)
            if not settings.network_channel:  # reported as not posted
                return [], ForceAcks(force.team_id, 0, 0, posted=False)
            done = fs.scalar(select(Broadcast.id).where(Broadcast.national_id == national_id))
            if done is not None:
                return [], ForceAcks(force.team_id, *counts(fs, done), posted=True)
            copy = Broadcast(
                author_id=author_id,
                category=category,
                title=title,
                body=body,
                links=links,
                ask_ack=ask_ack,
                dm_champions=dm_champions,
                status=BroadcastStatus.SENT,
                sent_at=now,
                created_at=now,
                national_id=national_id,
            )
            fs.add(copy)
            fs.flush()
            total = announce(fs, settings, copy, new=True)
            record(
                session=fs,
                actor_id=author_id,
                action="broadcast.national",
                subject_type="broadcast",
                subject_id=copy.id,
                detail=f"national={national_id}; from={author.team_id}; "
                f"dm={'yes' if dm_champions else 'no'}",
                at=now,
            )
            return list(fs.info.get("outbox_ids", [])), ForceAcks(force.team_id, 0, total, True)

    written = _in_each_force(db, served(db), copy_in)
    queued = [i for ids, _ in written for i in ids]
    record(
        session=session,
        actor_id=author_id,
        action="broadcast.national.send",
        subject_type="national_broadcast",
        subject_id=national_id,
        at=now,
    )
    # Delivered with the national lead's unit, right after it commits (each force's rows were
    # committed already), each by its own workspace's client and pacer.
    session.info.setdefault("outbox_ids", []).extend(queued)
    # The counts as `acks` gives them (forces that left the app too), from what was written.
    counted = {force.team_id: force for _, force in written}
    return NationalAcks(
        national_id,
        title,
        [
            counted.get(w.team_id) or ForceAcks(w.team_id, 0, 0, posted=False)
            for w in served(db, with_left=True)
        ],
    )


def acks(*, db: Database, national_id: int) -> NationalAcks:
    """A national broadcast's acknowledgements: each force's champions, and the nation's."""
    with db.everywhere() as s:
        national = s.get(NationalBroadcast, national_id)
        title = national.title if national else ""

    def counted(force: Workspace) -> ForceAcks:
        with db.session(force) as fs:
            copy = fs.scalar(select(Broadcast.id).where(Broadcast.national_id == national_id))
            if copy is None:
                return ForceAcks(force.team_id, 0, 0, posted=False)
            acked, total = counts(fs, copy)
            return ForceAcks(force.team_id, acked, total, posted=True)

    return NationalAcks(national_id, title, _in_each_force(db, served(db, with_left=True), counted))


def _in_each_force(
    db: Database, forces: list[Workspace], work: Callable[[Workspace], T]
) -> list[T]:
    """`work` in each force, in order of `forces`: each opens its own session, so on
    PostgreSQL several forces go at once (their time is mostly round trips to the database);
    SQLite has one writer at a time, so there they go one after another."""
    if db.engine.dialect.name == "sqlite" or len(forces) <= 1:
        return [work(force) for force in forces]
    with ThreadPoolExecutor(max_workers=FORCES_AT_ONCE) as pool:
        return list(pool.map(work, forces))


def recent(*, db: Database, caller: Member | None) -> list[NationalAcks]:
    """The latest national broadcasts with their counts, for a national lead."""
    check(caller=caller)
    with db.everywhere() as s:
        ids = list(
            s.scalars(
                select(NationalBroadcast.id).order_by(NationalBroadcast.id.desc()).limit(RECENT)
            )
        )
    return [acks(db=db, national_id=i) for i in ids]


def figures(
    *, db: Database, since: datetime | None = None, until: datetime | None = None
) -> NationalFigures:
    """Every force's figures over [since, until), each computed in its own workspace, side by
    side (forces that uninstalled the app are kept, marked)."""
    left = {w.team_id for w in served(db, with_left=True)} - {w.team_id for w in served(db)}
    out = []
    for force in served(db, with_left=True):
        with db.session(force) as fs:
            found = stats.figures(session=fs, since=since, until=until)
        out.append(ForceFigures(force.team_id, found, left=force.team_id in left))
    return NationalFigures(out)


def figures_for(
    *, db: Database, caller: Member | None, since: datetime | None = None
) -> NationalFigures:
    """`figures`, for a national lead only."""
    check(caller=caller)
    return figures(db=db, since=since)


def home(
    *, db: Database, caller: Member | None
) -> tuple[NationalFigures, list[NationalAcks]] | None:
    """What a national lead's App Home adds: every force's figures and the latest national
    broadcasts' counts; None for anyone else (their App Home is their force's alone)."""
    if not policy.may(caller, policy.Act.NATIONAL):
        return None
    return figures(db=db), recent(db=db, caller=caller)[:2]


def may(caller: Member | None) -> bool:
    """Whether the caller may broadcast to every force (the form offers it only then)."""
    return policy.may(caller, policy.Act.NATIONAL)


def reach(*, db: Database, defaults: Settings) -> NationalReach:
    """Where a national broadcast would go now: the forces with a network channel, and their
    champions."""
    forces = champions = 0
    for force in served(db):
        with db.session(force) as fs:
            if force_settings.effective(session=fs, defaults=defaults).network_channel:
                forces += 1
                champions += len(roster.champions(session=fs))
    return NationalReach(forces, champions)


def save_draft(
    *,
    session: Session,
    db: Database,
    settings: Settings,
    author_id: str,
    caller: Member | None,
    form: Form,
    now: datetime,
) -> tuple[Preview, NationalReach]:
    """The broadcast form with "every force" chosen: checked as any broadcast (and kept as a
    draft in the national lead's own force, for the preview), and where it would go. Only a
    national lead may; it goes as soon as it is sent, and is no force's training session."""
    policy.require(caller, policy.Act.NATIONAL)
    problems: dict[str, str] = {}
    if form.send_at is not None:
        problems[SEND_AT] = (
            "A broadcast to every force goes as soon as you send it: leave the time empty, or "
            "choose your own network to schedule it."
        )
    if form.session_at is not None or form.cpd_hours.strip():
        problems[SESSION_AT] = "A training session belongs to one force: choose your own network."
    if problems:
        raise InvalidBroadcast(problems)
    preview = save_force_draft(
        session=session, settings=settings, author_id=author_id, caller=caller, form=form, now=now
    )
    return preview, reach(db=db, defaults=settings)


def confirm(
    *,
    session: Session,
    db: Database,
    defaults: Settings,
    draft_id: int,
    user_id: str,
    caller: Member | None,
    author: Workspace,
    now: datetime,
) -> NationalAcks | None:
    """*Send* on a national preview: the draft goes to every force (`broadcast`); None if it
    was sent already (a repeated confirmation sends nothing more). Only a national lead, and
    only the draft's author: its id came from the preview's metadata, which a client can
    change."""
    policy.require(caller, policy.Act.NATIONAL)
    # The draft is used up in a transaction of its own, committed before any force's copy is
    # written (each force's in its own too): the conditional update is what makes a repeated
    # *Send* send nothing, and it must not hold a lock the forces' sessions would wait on.
    with db.session(author) as own:
        draft = own.scalar(select(Broadcast).where(Broadcast.id == draft_id))
        if draft is None or draft.edit_of is not None:
            raise PreviewExpired()
        policy.require_author(caller, user_id=user_id, author_id=draft.author_id)
        used = own.execute(
            update(Broadcast)
            .where(Broadcast.id == draft.id, Broadcast.status == BroadcastStatus.DRAFT)
            .values(status=BroadcastStatus.CANCELLED)  # used up: each force has its own copy
            .execution_options(synchronize_session=False)
        )
        if rows_changed(used) != 1:
            return None
        title, body, category = draft.title, draft.body, draft.category
        links, ask_ack, dm = draft.links, draft.ask_ack, draft.dm_champions
    return broadcast(
        session=session,
        db=db,
        defaults=defaults,
        author_id=user_id,
        caller=caller,
        author=author,
        title=title,
        body=body,
        dm_champions=dm,
        now=now,
        category=category,
        links=links,
        ask_ack=ask_ack,
    )
