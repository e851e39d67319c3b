"""What App Home shows each person: their requests, and for champions and leads, the network."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.broadcasts import Listed
from bot.domain.figures import FIGURES_DAYS, Figures
from bot.domain.home import ChampionLoad, Home, Workload
from bot.models import Role
from bot.services import broadcasts, questions, requests, roster, stats
from bot.services.audit import record

__all__ = ["ChampionLoad", "Home", "Workload", "home_for"]


def home_for(*, session: Session, user_id: str, now: datetime) -> Home:
    """Gather one person's App Home; viewing the queue is audited."""
    member = roster.get(session=session, slack_user_id=user_id)
    role = member.role if member else Role.OFFICER
    home = Home(
        user_id=user_id,
        role=role,
        recent_questions=questions.recent_for(session=session, asker_id=user_id),
        my_requests=requests.open_for(session=session, asker_id=user_id, limit=5),
        member=member,
    )
    if role in (Role.CHAMPION, Role.LEAD, Role.ADMIN, Role.NATIONAL_LEAD):
        queue = requests.queue(session=session)
        champions = []
        scheduled: list[Listed] = []
        recent: list[Listed] = []
        figures: Figures | None = None
        if role in (Role.LEAD, Role.ADMIN, Role.NATIONAL_LEAD):
            since = now - timedelta(days=FIGURES_DAYS)
            figures = stats.figures(session=session, since=since, until=now)
            scheduled, recent = broadcasts.listing(session=session, now=now)
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
                "routed": role is Role.CHAMPION,
                # the same count as `/champion status`: requests held plus offers awaiting
                "workload": requests.workload(session=session, champion_id=user_id),
                "queue": queue,
                "champions": champions,
                "scheduled_broadcasts": scheduled,
                "recent_broadcasts": recent,
                "figures": figures,
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
