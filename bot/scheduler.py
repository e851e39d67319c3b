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
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Member, Offer, Request
from bot.runtime import Runtime
from bot.services import broadcasts, cpd, curation, digest, monthly, national, retention, sweeps
from bot.tenancy import Tenanted, Workspace

log = logging.getLogger(__name__)

Due = Callable[[Session, datetime], list[int]]
Act = Callable[[Session, Settings, int, datetime], object]
Once = Callable[[Session, Settings, datetime], object]

# What is due (in every workspace: one clock serves them all), then each due thing acted on in
# a transaction of its own, in its own workspace (one failure or lost race never undoes the
# others): offers timed out, SLA warnings and escalations, away time ended, requests waiting
# for a champion who has come free. Each names the table its ids are of.
EACH: list[tuple[type[Tenanted], Due, Act]] = [
    (Offer, lambda s, now: sweeps.due_offers(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_offer_expired(session=s, settings=cfg, offer_id=i, now=now)),
    (Request, lambda s, now: sweeps.due_warnings(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_warning(session=s, settings=cfg, request_id=i, now=now)),
    (Request, lambda s, now: sweeps.due_escalations(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_escalation(session=s, settings=cfg, request_id=i, now=now)),
    (Member, lambda s, now: sweeps.due_returns(session=s, now=now),
     lambda s, cfg, i, now: sweeps.act_return(session=s, member_id=i, now=now)),
    (Request, lambda s, now: sweeps.unrouted(session=s),
     lambda s, cfg, i, now: sweeps.act_reroute(session=s, settings=cfg, request_id=i, now=now)),
]  # fmt: skip
# Then the steps that are one transaction each: broadcasts' reminders, the weekly digest.
ONCE: list[Once] = [
    lambda s, cfg, now: broadcasts.sweep(session=s, settings=cfg, now=now),
    lambda s, cfg, now: digest.send_digest(session=s, settings=cfg, now=now),
]


def due_everywhere(
    runtime: Runtime, table: type[Tenanted], due: Due
) -> list[tuple[int, Workspace]]:
    """What `due` finds in every workspace, each id with its row's workspace."""
    with runtime.db.everywhere() as session:
        ids = due(session, runtime.now())
        if not ids:
            return []
        key = table.id  # type: ignore[attr-defined]
        where = dict(
            (row_id, Workspace(team, enterprise))
            for row_id, team, enterprise in session.execute(
                select(key, table.team_id, table.enterprise_id).where(key.in_(ids))
            )
        )
    return [(i, where[i]) for i in ids if i in where]


def sweep(runtime: Runtime) -> None:
    """Everything that is due (the tables above), then the outbox rows to (re)send, scheduled
    broadcasts among them."""
    now = runtime.now()
    for table, due, act in EACH:
        for item, workspace in due_everywhere(runtime, table, due):
            with runtime.work(workspace) as session:
                act(session, runtime.settings_in(session), item, now)
    for workspace in runtime.installations.workspaces():
        for step in ONCE:
            with runtime.work(workspace) as session:
                step(session, runtime.settings_in(session), now)
    runtime.delivery.deliver()


def every_workspace_with_data(runtime: Runtime) -> list[Workspace]:
    """The workspaces served, and those the app has left (whose rows retention must still
    purge, though nothing more is sent there)."""
    found = {w.team_id: w for w in runtime.installations.workspaces()}
    for left in national.served(runtime.db, with_left=True):
        found.setdefault(left.team_id, left)
    return [found[team] for team in sorted(found)]


def safe_sweep(runtime: Runtime) -> None:
    """One sweep; a failure is logged and the next sweep tries again."""
    try:
        sweep(runtime)
    except Exception:
        log.exception("sweep failed; retrying at the next interval")


def remind_kb_owners(runtime: Runtime) -> None:
    """Owners hear which of their knowledge entries are past review (at most once a week), in
    each workspace."""
    for workspace in runtime.installations.workspaces():
        with runtime.work(workspace) as session:
            reviewers = runtime.settings_in(session).kb_review_owners
            curation.remind_owners(
                session=session, kb=runtime.kb, now=runtime.now(), reviewers=reviewers
            )


def purge_expired_text(runtime: Runtime) -> None:
    """Retention: every step of every table in `retention.REGISTRY`, in order, each row or
    batch in a transaction of its own (claimed, so two clocks never purge twice); then what it
    queued is delivered (the Slack edits paced as bulk; what is left goes with the sweep)."""
    settings, now = runtime.settings, runtime.now()
    total: retention.Counts = Counter()
    for workspace in every_workspace_with_data(runtime):  # each force's rows in its own session
        for retained in retention.REGISTRY:
            for step in retained.steps:
                if isinstance(step, retention.Each):
                    with runtime.db.session(workspace) as session:
                        ids = step.due(session, settings, now)
                    for item in ids:
                        with runtime.db.session(workspace) as session:
                            total += step.act(session, settings, item, now)
                else:
                    with runtime.db.session(workspace) as session:
                        total += step(session, settings, now)
    if total:
        log.info("retention purge: %s", " ".join(f"{k}={v}" for k, v in sorted(total.items())))
        runtime.delivery.deliver()


def remind_cpd(runtime: Runtime) -> None:
    """Each champion whose CPD falls due within the reminder period hears it once, by DM; each
    reminder in a transaction of its own, its row the claim (so two clocks send it once); in
    each workspace."""
    settings, now = runtime.settings, runtime.now()
    for workspace in runtime.installations.workspaces():
        with runtime.db.session(workspace) as session:
            due = cpd.due_reminders(session=session, settings=settings, now=now)
        for user_id in due:
            with runtime.work(workspace) as session:
                cpd.remind(session=session, settings=settings, user_id=user_id, now=now)


def send_impact_summary(runtime: Runtime) -> None:
    """Each force's leads' monthly impact summary, once the month's time has come (at most
    once a month per force)."""
    tags = {e.id: list(e.tags) for e in runtime.kb.entries}
    for workspace in runtime.installations.workspaces():
        with runtime.work(workspace) as session:
            monthly.send_summary(
                session=session, settings=runtime.settings_in(session), tags=tags, now=runtime.now()
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
