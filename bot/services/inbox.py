"""The inbox: each request from Slack whose work runs after its ack, written before the ack.

One row per request, committed before Slack gets its 200 (`receive`, a single INSERT, or
`receive_many`, one INSERT for several concurrent requests: `bot.acks`). Its unique columns
make that insert the only check of repeats:

- `signature`: Slack's request signature. A signature accepted once is refused for good (the
  front door refuses it anyway once its timestamp is five minutes old), in every process,
  since the database is shared.
- `event_id`: Slack's retries of an event (a new signature, the same event id) are dropped.
- `repeat_even` / `repeat_odd`: a slash command's keyed digest (who, which command, what text,
  where) in each of the two time slots (`Received.slot` seconds long; CHAMPBOT_REPEAT_SECONDS)
  `t // slot` and the next; a slot number is even or odd, so each goes in its own column. Two
  identical commands less than one slot apart always share a slot, so the second insert fails
  on one of the columns: a client's double send is answered once. Commands two slots apart
  never collide; between one and two slots apart they may.

After the ack the row is worked on exactly once, wherever the work runs:

- `claim`: a conditional UPDATE takes a row that is not handled and not claimed, or whose
  claim is older than `stale_after` (its worker died or hung), and stamps the claimer.
- `finish`: in the work's own transaction, a conditional UPDATE marks the row handled (and
  clears its body, the typed text) only while the claim is still the worker's. If the claim
  was retaken meanwhile, `finish` reports it, the work raises and rolls back: only one worker
  ever commits a row's work.
- `due`: what a sweep should retry: rows nobody claimed within `grace` of arriving (the
  process died between the ack and handing the row over), and rows whose claim is stale.

The window in which a crash repeats work: a worker that dies (or stalls past `stale_after`)
after it claimed a row and before its transaction committed has written nothing, and the row
is retaken after `stale_after`; whatever it had already done outside the database in that
time (a Slack call the listener made before its commit: opening a modal, an ephemeral reply)
is done again. Once the work has committed, the row is handled and nothing repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.models import InboxItem
from bot.services import rows_changed

KEEP_HANDLED = timedelta(hours=1)  # past Slack's retries (up to about 5 min) and replay window
MAX_ATTEMPTS = 3  # claims of one row; a row that kills its worker each time is given up


@dataclass(frozen=True)
class Received:
    """What one request is: its kind, its body as stored, and the keys that refuse repeats."""

    kind: str
    body: str | None
    signature: str | None = None
    event_id: str | None = None
    repeat: bytes | None = None  # the command's keyed digest before its time slot is added
    slot: int = 2  # seconds: identical commands under this far apart are one


def repeat_digest(secret: bytes, *parts: str) -> bytes:
    """A keyed digest of a command's identity (never stored as such: see `receive`)."""
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()


def receive(
    *, session: Session, item: Received, now: datetime, handled: bool = False
) -> int | None:
    """Insert the request; its id, or None if it repeats one already received (the same
    signature, event, or command within a slot). `handled`: its work is done before the ack
    (a form), so only its keys are kept, not its body. `session` must hold nothing else."""
    return receive_many(session=session, items=[Arrival(item, now, handled)])[0]


@dataclass(frozen=True)
class Arrival:
    """One request to insert, as it arrived: what it is, when, and whether its work is done."""

    item: Received
    now: datetime
    handled: bool = False


# What the inbox keeps of a request is what the listeners read: not Slack's deprecated
# verification token, nor the names Slack sends beside the ids.
_NOT_KEPT = frozenset({"token", "user_name", "team_domain", "channel_name", "enterprise_name"})
_NOT_KEPT_IN = {"user": frozenset({"username", "name"}), "team": frozenset({"domain"})}


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """The part of a request's body that is stored."""
    out = {k: v for k, v in body.items() if k not in _NOT_KEPT}
    for key, names in _NOT_KEPT_IN.items():
        inner = out.get(key)
        if isinstance(inner, dict):
            out[key] = {k: v for k, v in inner.items() if k not in names}
    return out


def arrival_of(
    body: dict[str, Any],
    *,
    secret: bytes,
    signature: str | None,
    now: datetime,
    handled: bool,
    slot: int,
) -> Arrival:
    """A request from Slack as its inbox row: its kind, its body as kept (none for a form,
    whose work runs before its ack: `handled`), and the keys that refuse repeats (the event id;
    for a command, its digest keyed with `secret`)."""
    kind = str(body.get("type") or ("command" if "command" in body else "unknown"))
    event_id = body.get("event_id") if kind == "event_callback" else None
    repeat = None
    if "command" in body:
        repeat = repeat_digest(
            secret,
            *(str(body.get(k) or "") for k in ("team_id", "user_id", "channel_id")),
            *(str(body.get(k) or "") for k in ("command", "text")),
        )
    item = Received(
        kind=kind,
        body=None if handled else json.dumps(_kept(body), separators=(",", ":")),
        signature=signature,
        event_id=event_id[:64] if isinstance(event_id, str) and event_id else None,
        repeat=repeat,
        slot=slot,
    )
    return Arrival(item, now, handled)


def receive_many(*, session: Session | Connection, items: Sequence[Arrival]) -> list[int | None]:
    """Insert several requests in one statement (`bot.acks` gathers concurrent acks into one);
    each one's id, or None where it repeats one received before or earlier in `items` (only
    that one is refused). `session` (the ack's: `Database.connection`, no ORM session) must
    hold nothing else: on PostgreSQL the statement commits itself (no BEGIN and COMMIT round
    trips: the rows are committed once it returns); on SQLite the transaction around it begins
    IMMEDIATE (`bot.db`) and the caller's commit ends it."""
    rows = [_row(arrival) for arrival in items]
    if isinstance(session, Connection):
        postgres = session.dialect.name == "postgresql"
        connection = (
            session.execution_options(isolation_level="AUTOCOMMIT") if postgres else session
        )
    else:
        postgres = session.get_bind().dialect.name == "postgresql"
        autocommit = {"isolation_level": "AUTOCOMMIT"} if postgres else None
        connection = session.connection(execution_options=autocommit)
    # One statement, no savepoint: the ack waits for it. A repeat meets a unique column and is
    # skipped (DO NOTHING, on every unique column), so RETURNING names only the rows inserted.
    # A Core statement on the table, compiled once and cached: the ORM's bulk insert of the same
    # rows cost the ack more CPU than all of Bolt's dispatch. Every row has the same keys, so
    # SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues"), not one INSERT each.
    statement = _INSERT_PG if postgres else _INSERT_SQLITE
    inserted = connection.execute(statement, rows).all()
    # Which row is whose, by its unique keys: of several arrivals with the same keys only the
    # first can have been inserted (the rest repeat it). Arrivals with no key at all (none can
    # be refused) take the ids of keyless rows in turn; each id is only the handle its caller
    # hands over, so which keyless one gets which does not matter.
    ids: dict[tuple[object, ...], list[int]] = {}
    for found in sorted(inserted, key=lambda r: int(r.id)):
        ids.setdefault(tuple(found[1:]), []).append(int(found.id))
    out: list[int | None] = []
    for row in rows:
        taken = ids.get(tuple(row[key.key] for key in _KEYS))
        out.append(taken.pop(0) if taken else None)
    return out


_KEYS = (InboxItem.signature, InboxItem.event_id, InboxItem.repeat_even, InboxItem.repeat_odd)
_INSERT_PG, _INSERT_SQLITE = (
    insert(cast(Table, InboxItem.__table__))
    .on_conflict_do_nothing()
    .returning(InboxItem.id, *_KEYS)
    for insert in (pg_insert, sqlite_insert)
)


def _row(arrival: Arrival) -> dict[str, object]:
    item, now, handled = arrival.item, arrival.now, arrival.handled
    even = odd = None
    if item.repeat is not None and item.slot > 0:
        slot = int(now.timestamp()) // item.slot
        keys = {n % 2: _slot_key(item.repeat, n) for n in (slot, slot + 1)}
        even, odd = keys[0], keys[1]
    return {
        "kind": item.kind[:32],
        "body": None if handled else item.body,
        "signature": item.signature,
        "event_id": item.event_id,
        "repeat_even": even,
        "repeat_odd": odd,
        "received_at": now,
        "attempts": 0,
        "handled_at": now if handled else None,
    }


def claim(
    *, session: Session, inbox_id: int, claimer: str, now: datetime, stale_after: timedelta
) -> str | None:
    """Take the row for `claimer`; its body, or None if it is handled or someone else holds a
    live claim on it (or it has been tried `MAX_ATTEMPTS` times: then it is given up)."""
    row = session.execute(
        update(InboxItem)
        .where(
            InboxItem.id == inbox_id,
            InboxItem.handled_at.is_(None),
            or_(InboxItem.claimed_at.is_(None), InboxItem.claimed_at < now - stale_after),
        )
        .values(claimed_by=claimer, claimed_at=now, attempts=InboxItem.attempts + 1)
        .returning(InboxItem.body, InboxItem.attempts)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None
    if row.attempts > MAX_ATTEMPTS or row.body is None:
        finish(session=session, inbox_id=inbox_id, claimer=claimer, now=now)
        return None
    return str(row.body)


def finish(*, session: Session, inbox_id: int, claimer: str, now: datetime) -> bool:
    """Mark the row handled and forget its body, if `claimer` still holds it; whether it did."""
    done = session.execute(
        update(InboxItem)
        .where(
            InboxItem.id == inbox_id,
            InboxItem.claimed_by == claimer,
            InboxItem.handled_at.is_(None),
        )
        .values(handled_at=now, body=None)
        .execution_options(synchronize_session=False)
    )
    return bool(rows_changed(done))


def is_handled(*, session: Session, inbox_id: int) -> bool:
    """Whether the row's work is done (or it is gone)."""
    handled = session.execute(
        select(InboxItem.handled_at).where(InboxItem.id == inbox_id)
    ).one_or_none()
    return handled is None or handled[0] is not None


def due(
    *,
    session: Session,
    now: datetime,
    grace: timedelta,
    stale_after: timedelta,
    limit: int = 100,
) -> list[int]:
    """Rows a sweep should try to claim, oldest first: never claimed though `grace` has
    passed since they arrived, or claimed longer than `stale_after` ago and not handled."""
    return list(
        session.scalars(
            select(InboxItem.id)
            .where(
                InboxItem.handled_at.is_(None),
                or_(
                    (InboxItem.claimed_at.is_(None)) & (InboxItem.received_at < now - grace),
                    InboxItem.claimed_at < now - stale_after,
                ),
            )
            .order_by(InboxItem.id)
            .limit(limit)
        )
    )


def prune(*, session: Session, now: datetime) -> int:
    """Delete handled rows older than `KEEP_HANDLED`: by then no retry or replay of them can
    arrive. How many went."""
    gone = session.execute(
        delete(InboxItem)
        .where(InboxItem.handled_at.is_not(None), InboxItem.received_at < now - KEEP_HANDLED)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(gone)


def purge(session: Session, before: datetime) -> int:
    """For the retention sweep: delete every row received before `before`, handled or not (an
    unhandled one that old was given up long ago), with whatever text it still holds. How many
    rows went."""
    gone = session.execute(
        delete(InboxItem)
        .where(InboxItem.received_at < before)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(gone)


def _slot_key(digest: bytes, slot: int) -> str:
    return hashlib.sha256(digest + slot.to_bytes(8, "big")).hexdigest()
