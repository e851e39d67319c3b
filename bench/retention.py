"""The retention purge's own cost: the database work of purging a backlog, and of the hourly
run that then finds nothing to do.

Run on its own: `python bench/retention.py [--runs 3] [--requests 500] [--database URL]`.

Seeds N requests resolved 100 days ago (each with its offer, queue card, officer's notice,
consult, outcome and their edits in the outbox, all marked sent with a Slack ts), then times
the purge's steps (every table in the registry, each row claimed in its own transaction;
the Slack edits are queued, not delivered, so Slack's rate limits are not in the figure), and
then a second run with nothing left to purge. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from bot.config import Settings
from bot.db import Database
from bot.models import Base, OutboxMessage, OutboxStatus, Role, utcnow
from bot.services import requests, retention, roster

SETTINGS = Settings.from_env({"CHAMPBOT_QUEUE_CHANNEL": "CQUEUE"}, dotenv=None)


def seed(db: Database, count: int) -> None:
    old = utcnow() - timedelta(days=100)
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)
    for n in range(count):
        with db.session() as s:
            req, _ = requests.create(
                session=s,
                settings=SETTINGS,
                asker_id=f"UOFF{n:05d}",
                text="he keeps turning up at her work, what should i charge",
                now=old,
            )
            requests.claim(
                session=s, settings=SETTINGS, request_id=req.id, champion_id="UCHAMP1", now=old
            )
            requests.resolve(
                session=s,
                settings=SETTINGS,
                request_id=req.id,
                user_id="UCHAMP1",
                outcome="advised s2A and an SPO",
                now=old,
            )
    with db.session() as s:
        s.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.SENT, channel="CQUEUE", ts="1700000000.000100"
            )
        )


def purge(db: Database) -> tuple[float, Counter[str]]:
    """Every step of the registry, as the clock's job runs them (without delivering)."""
    now, total = utcnow(), Counter[str]()
    started = time.perf_counter()
    for retained in retention.REGISTRY:
        for step in retained.steps:
            if isinstance(step, retention.Each):
                with db.session() as s:
                    ids = step.due(s, SETTINGS, now)
                for item in ids:
                    with db.session() as s:
                        total += step.act(s, SETTINGS, item, now)
            else:
                with db.session() as s:
                    total += step(s, SETTINGS, now)
    return time.perf_counter() - started, total


def fresh(url: str | None, tmp: Path, n: int) -> Database:
    if url is None:
        db = Database(f"sqlite:///{tmp / f'retention-{n}.db'}")
        db.ensure_schema()
        return db
    db = Database(url)
    db.upgrade()
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database", default=None, help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            db = fresh(args.database, Path(tmp), n)
            seed(db, args.requests)
            with db.session() as s:
                outbox_rows = s.scalar(select(func.count()).select_from(OutboxMessage))
            took, counts = purge(db)
            idle, again = purge(db)
            assert not again, again
            rows.append((took, idle, counts, outbox_rows))
            db.dispose()
    print(
        "| run | requests | outbox rows | purge s | ms per request | edits queued | idle run ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, (took, idle, counts, outbox_rows) in enumerate(rows, 1):
        print(
            f"| {i} | {counts['requests']} | {outbox_rows} | {took:.2f} | "
            f"{1000 * took / max(1, counts['requests']):.1f} | {counts['slack_redacted']} | "
            f"{1000 * idle:.1f} |"
        )
    took = statistics.median(r[0] for r in rows)
    idle = statistics.median(r[1] for r in rows)
    print(f"| **median** | | | **{took:.2f}** | | | **{1000 * idle:.1f}** |")


if __name__ == "__main__":
    main()
