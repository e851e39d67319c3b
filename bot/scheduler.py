"""The clock: APScheduler jobs that sweep what is due. Each job opens a session and calls a service."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.schedulers.base import BaseScheduler

from bot.runtime import Runtime
from bot.services import questions

log = logging.getLogger(__name__)


def purge_expired_text(runtime: Runtime) -> None:
    """Blank question text past the retention period."""
    with runtime.db.session() as session:
        purged = questions.purge_expired_text(
            session=session, retention_days=runtime.settings.retention_days, now=runtime.now()
        )
    if purged:
        log.info("purged the text of %d questions past retention", purged)


def add_jobs(scheduler: BaseScheduler, runtime: Runtime) -> None:
    """Add every periodic job. Jobs are idempotent sweeps, so a missed or repeated run is safe."""
    scheduler.add_job(
        purge_expired_text, "interval", minutes=60, args=[runtime], id="purge",
        max_instances=1, coalesce=True, next_run_time=runtime.now(),
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
