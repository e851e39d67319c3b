"""What App Home shows each person: their requests, and for champions and leads, the network."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.broadcasts import Listed
from bot.domain.figures import FIGURES_DAYS, Figures
from bot.domain.home import ChampionLoad, Home, Workload
from bot.models import Member, Role
from bot.services import broadcasts, cpd, policy, questions, requests, roster, stats
from bot.services.audit import record
from bot.services.policy import Act

__all__ = ["ChampionLoad", "Home", "Workload", "home_for"]


def _cpd(
    session: Session, settings: Settings, member: Member | None, now: datetime
) -> dict[str, Any]:
    """A champion's own CPD record; for leads, where every champion stands."""
    if member is None:
        return {}
    if policy.may(member, policy.Act.RECORD_TRAINING):
        return {
            "cpd_standings": cpd.standings_for_lead(
                session=session,
                settings=settings,
                lead_id=member.slack_user_id,
                caller=member,
                now=now,
            ),
            "cpd_required": float(settings.cpd_hours_per_year),
        }
    if policy.may(member, policy.Act.KEEP_CPD):
        record = cpd.record_of(
            session=session, settings=settings, user_id=member.slack_user_id, caller=member, now=now
        )
        return {"cpd": record, "cpd_required": float(settings.cpd_hours_per_year)}
    return {}


def home_for(
    *,
    session: Session,
    user_id: str,
    caller: Member | None,
    now: datetime,
    settings: Settings | None = None,
) -> Home:
    """Gather one person's App Home (the caller's); viewing the queue is audited."""
    settings = settings or Settings()
    member = caller
    role = policy.role(member)
    home = Home(
        user_id=user_id,
        role=role,
        recent_questions=questions.recent_for(session=session, asker_id=user_id),
        my_requests=requests.open_for(session=session, asker_id=user_id, limit=5),
        member=member,
    )
    # The queue is for whoever may take its requests or handle anyone's.
    if policy.may(member, Act.TAKE_REQUESTS) or policy.may(member, Act.HANDLE_ANY_REQUEST):
        queue = requests.queue(session=session)
        champions = []
        scheduled: list[Listed] = []
        recent: list[Listed] = []
        figures: Figures | None = None
        if policy.may(member, Act.SEE_FIGURES):
            since = now - timedelta(days=FIGURES_DAYS)
            figures = stats.figures(session=session, since=since, until=now, settings=settings)
        if policy.may(member, Act.BROADCAST):
            scheduled, recent = broadcasts.listing(session=session, now=now)
        if policy.may(member, Act.SEE_ROSTER):
            members = roster.list_members(session=session, role=Role.CHAMPION)
            load_of = requests.loads(session, [m.slack_user_id for m in members])
            champions = [
                ChampionLoad(m, requests.is_available(m, now), load_of[m.slack_user_id])
                for m in members
            ]
        home = Home(
            **{
                **home.__dict__,
                "available": bool(member and requests.is_available(member, now)),
                "routed": policy.may(member, Act.SET_AVAILABILITY),
                # the same count as `/champion status`: requests held plus offers awaiting
                "workload": requests.workload(session=session, champion_id=user_id),
                "queue": queue,
                "champions": champions,
                "scheduled_broadcasts": scheduled,
                "recent_broadcasts": recent,
                "figures": figures,
                **_cpd(session, settings, member, now),
            },
        )
        if queue:
            record(
                session=session,
                actor_id=user_id,
                action="queue.view",
                subject_type="queue",
                subject_id=len(queue),
            )
    return home
