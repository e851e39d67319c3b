"""The clock: APScheduler jobs that sweep what is due, as tables; each step opens a session and
calls a service."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.runtime import Runtime
from bot.services import broadcasts, cpd, curation, digest, monthly, retention, sweeps

log = logging.getLogger(__name__)

Due = Callable[[Session, datetime], list[int]]
Act = Callable[[Session, Settings, int, datetime], object]
Once = Callable[[Session, Settings, datetime], object]

# What is due, then each due thing acted on in a transaction of its own (one failure or lost
# race never undoes the others): offers timed out, SLA warnings and escalations, away time
# ended, requests waiting for a champion who has come free.
EACH: list[tuple[Due, Act]] = [
    (lambda s, now: sweeps.due_offers(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_offer_expired(session=s, settings=cfg, offer_id=i, now=now)),
    (lambda s, now: sweeps.due_warnings(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_warning(session=s, settings=cfg, request_id=i, now=now)),
    (lambda s, now: sweeps.due_escalations(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_escalation(session=s, settings=cfg, request_id=i, now=now)),
    (lambda s, now: sweeps.due_returns(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_return(session=s, member_id=i, now=now)),
    (lambda s, now: sweeps.unrouted(session=s),
     lambda s, cfg, i, now: sweeps.act_reroute(session=s, settings=cfg, request_id=i, now=now)),
]  # fmt: skip
# Then the steps that are one transaction each: broadcasts' reminders, the weekly digest.
ONCE: list[Once] = [
    lambda s, cfg, now: broadcasts.sweep(session=s, settings=cfg, now=now),
    lambda s, cfg, now: digest.send_digest(session=s, settings=cfg, now=now),
]


def sweep(runtime: Runtime) -> None:
    """Everything that is due (the tables above), then the outbox rows to (re)send, scheduled
    broadcasts among them."""
    settings, now = runtime.settings, runtime.now()
    for due, act in EACH:
        with runtime.db.session() as session:
            ids = due(session, now)
        for item in ids:
            with runtime.work() as session:
                act(session, settings, item, now)
    for step in ONCE:
        with runtime.work() as session:
            step(session, settings, now)
    runtime.delivery.deliver()


def safe_sweep(runtime: Runtime) -> None:
    """One sweep; a failure is logged and the next sweep tries again."""
    try:
        sweep(runtime)
    except Exception:
        log.exception("sweep failed; retrying at the next interval")


def remind_kb_owners(runtime: Runtime) -> None:
    """Owners hear which of their knowledge entries are past review (at most once a week)."""
    with runtime.work() as session:
        curation.remind_owners(session=session, kb=runtime.kb, now=runtime.now())


def purge_expired_text(runtime: Runtime) -> None:
    """Retention: every step of every table in `retention.REGISTRY`, in order, each row or
    batch in a transaction of its own (claimed, so two clocks never purge twice); then what it
    queued is delivered (the Slack edits paced as bulk; what is left goes with the sweep)."""
    settings, now = runtime.settings, runtime.now()
    total: retention.Counts = Counter()
    for retained in retention.REGISTRY:
        for step in retained.steps:
            if isinstance(step, retention.Each):
                with runtime.db.session() as session:
                    ids = step.due(session, settings, now)
                for item in ids:
                    with runtime.db.session() as session:
                        total += step.act(session, settings, item, now)
            else:
                with runtime.db.session() as session:
                    total += step(session, settings, now)
    if total:
        log.info("retention purge: %s", " ".join(f"{k}={v}" for k, v in sorted(total.items())))
        runtime.delivery.deliver()


def remind_cpd(runtime: Runtime) -> None:
    """Each champion whose CPD falls due within the reminder period hears it once, by DM; each
    reminder in a transaction of its own, its row the claim (so two clocks send it once)."""
    settings, now = runtime.settings, runtime.now()
    with runtime.db.session() as session:
        due = cpd.due_reminders(session=session, settings=settings, now=now)
    for user_id in due:
        with runtime.work() as session:
            cpd.remind(session=session, settings=settings, user_id=user_id, now=now)


def send_impact_summary(runtime: Runtime) -> None:
    """The leads' monthly impact summary, once the month's time has come (at most once)."""
    tags = {e.id: list(e.tags) for e in runtime.kb.entries}
    with runtime.work() as session:
        monthly.send_summary(
            session=session, settings=runtime.settings, tags=tags, now=runtime.now()
        )


@dataclass(frozen=True)
class Job:
    """A periodic job: idempotent, so a missed or repeated run is safe."""

    id: str
    run: Callable[[Runtime], None]
    every: Callable[[Settings], dict[str, Any]]


JOBS = [
    Job("sweep", safe_sweep, lambda cfg: {"seconds": cfg.sweep_seconds}),
    Job("kb-review", remind_kb_owners, lambda cfg: {"hours": 6}),
    Job("purge", purge_expired_text, lambda cfg: {"minutes": 60}),
    Job("impact-summary", send_impact_summary, lambda cfg: {"minutes": 5}),
    Job("cpd-reminders", remind_cpd, lambda cfg: {"minutes": 60}),
]


def add_jobs(scheduler: BaseScheduler, runtime: Runtime) -> None:
    """Add every job in JOBS, each run first at once."""
    for job in JOBS:
        scheduler.add_job(
            job.run,
            "interval",
            args=[runtime],
            id=job.id,
            max_instances=1,
            coalesce=True,
            next_run_time=runtime.now(),
            **job.every(runtime.settings),
        )


def start_background(runtime: Runtime) -> BackgroundScheduler:
    """A scheduler embedded in `champbot serve` (the one-process pilot set-up)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, runtime)
    scheduler.start()
    return scheduler


def run_clock(runtime: Runtime) -> None:
    """Run the scheduler alone, in the foreground (`champbot clock`)."""
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, runtime)
    log.info("clock started: sweeping every %ss", runtime.settings.sweep_seconds)
    scheduler.start()
