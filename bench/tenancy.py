"""Routing and App Home at 43 forces against one: the cost of every row knowing its workspace.

Run on its own: `python bench/tenancy.py [--forces 43] [--history 10000] [--repeat 40]
[--rounds 5] [--database-url postgresql://…]` (PostgreSQL: two schemas in that database,
dropped and made afresh). Two databases are built, one with a single force
and one with `--forces` forces, each force with `--history` past requests (each with its offer
and its question, spread over the last year, nearly all resolved), 20 champions and a lead.
Then, in one force of each (in a session scoped to it, as the app opens them), `--repeat` times
per round, the two databases taking turns timing by timing:

1. *routing*: a new request opened and offered to the best champion (`requests.create`: the
   candidates, their loads, the offer and its messages), flushed, then rolled back so that
   every repetition routes against the same history;
2. *App Home*: a lead's App Home gathered (`home.home_for`: their requests, the queue, every
   champion's load, the last 30 days' figures, broadcasts) and rendered (`home_view`), rolled
   back (the viewing is audited).

Prints the median of each round, the median of the rounds, and the ratio of 43 forces to one.
The issue asks for the ratio to stay within 1.5.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text

from bot.config import Settings
from bot.db import Database
from bot.models import (
    Base,
    Member,
    Offer,
    OfferStatus,
    Outcome,
    Question,
    Request,
    RequestStatus,
    Role,
    Surface,
    utcnow,
)
from bot.services import home, requests, roster
from bot.tenancy import Workspace
from bot.views.home import home_view

SETTINGS = Settings.from_env(
    {"CHAMPBOT_QUEUE_CHANNEL": "CQUEUE", "CHAMPBOT_NETWORK_CHANNEL": "CNETWORK"}, dotenv=None
)
CHAMPIONS = 20
OFFICERS = 300
CHUNK = 5_000


class _RollBack(Exception):
    """Ends a timed unit of work without committing it."""


@dataclass
class Timings:
    routing: list[float]
    home: list[float]


def team(n: int) -> Workspace:
    return Workspace(f"TFORCE{n:03d}")


def _reset(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        else:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def seed(db: Database, forces: int, history: int, rng: random.Random) -> None:
    """`forces` forces, each with its roster and `history` past requests."""
    now = utcnow()
    next_id = {"request": 1, "question": 1}
    with db.engine.begin() as conn:
        for n in range(forces):
            ws = team(n)
            tag = {"team_id": ws.team_id, "enterprise_id": None}
            conn.execute(
                insert(Member.__table__),
                [
                    {
                        **tag,
                        "slack_user_id": f"UC{n:03d}{i:04d}",
                        "role": Role.CHAMPION,
                        "skills": "",
                        "on_duty": True,
                        "max_active": 1_000_000,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(CHAMPIONS)
                ]
                + [
                    {
                        **tag,
                        "slack_user_id": f"UL{n:03d}0001",
                        "role": Role.LEAD,
                        "skills": "",
                        "on_duty": True,
                        "max_active": 3,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            for start in range(0, history, CHUNK):
                questions, reqs, offers = [], [], []
                for _ in range(min(CHUNK, history - start)):
                    qid, rid = next_id["question"], next_id["request"]
                    next_id["question"] += 1
                    next_id["request"] += 1
                    asked = now - timedelta(seconds=rng.randrange(60, 365 * 86400))
                    asker = f"UO{n:03d}{rng.randrange(OFFICERS):04d}"
                    champion = f"UC{n:03d}{rng.randrange(CHAMPIONS):04d}"
                    claimed = asked + timedelta(seconds=rng.randrange(20, 1800))
                    cancelled = rng.random() < 0.05
                    questions.append(
                        {
                            **tag,
                            "id": qid,
                            "asker_id": asker,
                            "surface": Surface.DM,
                            "text": None,
                            "text_purged_at": asked + timedelta(days=90),
                            "outcome": Outcome.LIVE_CASE,
                            "score": 0.0,
                            "closest": "",
                            "shown_ids": "",
                            "also_ids": "",
                            "immediate_risk": False,
                            "asked_at": asked,
                        }
                    )
                    reqs.append(
                        {
                            **tag,
                            "id": rid,
                            "asker_id": asker,
                            "question_id": qid,
                            "text": None,
                            "topics": "",
                            "immediate_risk": False,
                            "status": RequestStatus.CANCELLED
                            if cancelled
                            else RequestStatus.RESOLVED,
                            "champion_id": None if cancelled else champion,
                            "round": 1,
                            "claims": 0 if cancelled else 1,
                            "created_at": asked,
                            "claimed_at": None if cancelled else claimed,
                            "first_claimed_at": None if cancelled else claimed,
                            "resolved_at": None if cancelled else claimed + timedelta(hours=2),
                            "cancelled_at": claimed if cancelled else None,
                            "sla_due_at": asked + timedelta(minutes=30),
                            "helped": None if cancelled else rng.random() < 0.8,
                        }
                    )
                    offers.append(
                        {
                            **tag,
                            "request_id": rid,
                            "champion_id": champion,
                            "round": 1,
                            "status": OfferStatus.EXPIRED if cancelled else OfferStatus.ACCEPTED,
                            "offered_at": asked,
                            "expires_at": asked + timedelta(minutes=10),
                            "decided_at": claimed,
                        }
                    )
                conn.execute(insert(Question.__table__), questions)
                conn.execute(insert(Request.__table__), reqs)
                conn.execute(insert(Offer.__table__), offers)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            for table in ("requests", "questions", "offers"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _timed(db: Database, ws: Workspace, work: Callable[[Any], object]) -> float:
    started = 0.0
    elapsed = 0.0
    try:
        with db.session(ws) as session:
            started = time.perf_counter()
            work(session)
            session.flush()
            elapsed = time.perf_counter() - started
            raise _RollBack
    except _RollBack:
        pass
    return elapsed * 1000


def operations(n: int) -> dict[str, Callable[[Any], object]]:
    """What is timed in force `n`: routing a new request, and a lead's App Home."""
    lead = f"UL{n:03d}0001"

    def route(session: Any) -> None:
        _req, routed = requests.create(
            session=session,
            settings=SETTINGS,
            asker_id=f"UO{n:03d}9999",
            text="he keeps turning up at her work, what do i charge",
        )
        assert routed.offered_to, "nobody was offered the request"

    def app_home(session: Any) -> None:
        caller = roster.get(session=session, slack_user_id=lead)
        data = home.home_for(session=session, user_id=lead, caller=caller, now=utcnow())
        assert data.figures is not None and len(data.champions) == CHAMPIONS
        home_view(home=data, network_name="Stalking Champions", subject="stalking")

    return {"routing": route, "home": app_home}


def measure(targets: list[tuple[Database, int]], repeat: int) -> list[Timings]:
    """One round: each operation `repeat` times in each target, the targets taking turns
    (one timing in each before the next), so that a burst of load falls on all of them."""
    ops = [operations(n) for _db, n in targets]
    out = [Timings([], []) for _ in targets]
    for name in ("routing", "home"):
        for _ in range(3):  # warm the caches and the connection pools
            for (db, n), op in zip(targets, ops, strict=True):
                _timed(db, team(n), op[name])
        for _ in range(repeat):
            for (db, n), op, timings in zip(targets, ops, out, strict=True):
                getattr(timings, name).append(_timed(db, team(n), op[name]))
    return out


def build(url: str, forces: int, args: argparse.Namespace) -> Database:
    db = Database(url)
    db.upgrade()
    _reset(db)
    started = time.perf_counter()
    seed(db, forces, args.history, random.Random(forces))
    print(
        f"seeded {forces} force(s) × {args.history:,} requests on {db.engine.dialect.name} "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return db


def _schema(url: str, schema: str) -> str:
    """`url` with its own PostgreSQL schema (created afresh)."""
    admin = Database(url)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def line(name: str, rounds: list[list[float]]) -> tuple[str, float]:
    medians = [statistics.median(r) for r in rounds]
    overall = statistics.median(medians)
    each = " · ".join(f"{m:.2f}" for m in medians)
    return f"| {name} | {each} | **{overall:.2f}** |", overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--history", type=int, default=10_000, help="past requests per force")
    parser.add_argument("--repeat", type=int, default=40, help="timings per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL (default: SQLite files)")
    args = parser.parse_args()
    one: list[Timings] = []
    many: list[Timings] = []
    with tempfile.TemporaryDirectory() as tmp:
        schemas = (f"tenancy_one_{os.getpid()}", f"tenancy_many_{os.getpid()}")
        if args.database_url:  # one database: the single force is a schema of its own
            urls = (
                _schema(args.database_url, schemas[0]),
                _schema(args.database_url, schemas[1]),
            )
        else:
            urls = (f"sqlite:///{tmp}/one.db", f"sqlite:///{tmp}/many.db")
        dbs = (build(urls[0], 1, args), build(urls[1], args.forces, args))
        middle = args.forces // 2
        for _ in range(args.rounds):
            first, second = measure([(dbs[0], 0), (dbs[1], middle)], args.repeat)
            one.append(first)
            many.append(second)
        for db in dbs:
            db.dispose()
        if args.database_url:
            admin = Database(args.database_url)
            with admin.engine.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
    print(
        f"\n{args.rounds} rounds of {args.repeat}; median ms per round, and the median of "
        f"the rounds:\n\n| measure | each round (ms) | median |\n| --- | --- | --- |"
    )
    ratios = []
    for label, pick in (("routing", lambda t: t.routing), ("App Home", lambda t: t.home)):
        row1, m1 = line(f"{label}, 1 force", [pick(t) for t in one])
        row2, m2 = line(f"{label}, {args.forces} forces", [pick(t) for t in many])
        print(row1)
        print(row2)
        ratios.append(f"{label} {m2 / m1:.2f}×")
    print(f"\n{args.forces} forces / 1 force: " + ", ".join(ratios) + " (goal: within 1.5×)")


if __name__ == "__main__":
    main()
