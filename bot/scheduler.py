"""The clock: APScheduler jobs that sweep what is due; each opens a session and calls a service."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.runtime import Runtime
from bot.services import broadcasts, curation, digest, questions, requests, sweeps

log = logging.getLogger(__name__)


def purge_expired_text(runtime: Runtime) -> None:
    """Blank question text past the retention period."""
    days, now = runtime.settings.retention_days, runtime.now()
    with runtime.db.session() as session:
        purged = questions.purge_expired_text(session=session, retention_days=days, now=now)
        purged += requests.purge_expired_text(session=session, retention_days=days, now=now)
    if purged:
        log.info("purged the free text of %d questions and requests past retention", purged)


def remind_kb_owners(runtime: Runtime) -> None:
    """Once a week, owners hear which of their knowledge entries are past review."""
    with runtime.work() as session:
        curation.remind_owners(session=session, kb=runtime.kb, now=runtime.now())


def sweep(runtime: Runtime) -> None:
    """Everything that is due: offers timed out, SLA warnings and escalations, away time ended,
    requests waiting for a champion who has come free, broadcasts' reminders, the weekly
    digest, and outbox rows to (re)send (scheduled broadcasts among them)."""
    settings, now = runtime.settings, runtime.now()
    with runtime.db.session() as session:
        offers = sweeps.due_offers(session=session, now=now)
        warnings = sweeps.due_warnings(session=session, now=now)
        escalations = sweeps.due_escalations(session=session, now=now)
        returns = sweeps.due_returns(session=session, now=now)
    for offer_id in offers:
        with runtime.work() as session:
            sweeps.act_offer_expired(session=session, settings=settings, offer_id=offer_id, now=now)
    for request_id in warnings:
        with runtime.work() as session:
            sweeps.act_warning(session=session, settings=settings, request_id=request_id, now=now)
    for request_id in escalations:
        with runtime.work() as session:
            sweeps.act_escalation(
                session=session, settings=settings, request_id=request_id, now=now
            )
    for member_id in returns:
        with runtime.work() as session:
            sweeps.act_return(session=session, member_id=member_id, now=now)
    with runtime.db.session() as session:
        waiting = sweeps.unrouted(session=session)
    for request_id in waiting:
        with runtime.work() as session:
            sweeps.act_reroute(session=session, settings=settings, request_id=request_id, now=now)
    with runtime.work() as session:
        broadcasts.sweep(session=session, settings=settings, now=now)
    with runtime.work() as session:
        digest.send_digest(session=session, settings=settings, now=now)
    runtime.delivery.deliver()


def safe_sweep(runtime: Runtime) -> None:
    """One sweep; a failure is logged and the next sweep tries again."""
    try:
        sweep(runtime)
    except Exception:
        log.exception("sweep failed; retrying at the next interval")


def add_jobs(scheduler: BaseScheduler, runtime: Runtime) -> None:
    """Add every periodic job. Jobs are idempotent sweeps, so a missed or repeated run is safe."""
    scheduler.add_job(
        safe_sweep,
        "interval",
        seconds=runtime.settings.sweep_seconds,
        args=[runtime],
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=runtime.now(),
    )
    scheduler.add_job(
        remind_kb_owners,
        "interval",
        hours=6,
        args=[runtime],
        id="kb-review",
        max_instances=1,
        coalesce=True,
        next_run_time=runtime.now(),
    )
    scheduler.add_job(
        purge_expired_text,
        "interval",
        minutes=60,
        args=[runtime],
        id="purge",
        max_instances=1,
        coalesce=True,
        next_run_time=runtime.now(),
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
