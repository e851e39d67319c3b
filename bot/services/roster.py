"""The roster: who is an officer, champion, lead or admin."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NotAUserId, ProfileTooLong, SelfDemotion
from bot.models import Member, Role
from bot.services.audit import record

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
SYSTEM_ACTOR = "system"


def check_user_id(user_id: str) -> str:
    """Return a Slack user ID in canonical form, or raise NotAUserId."""
    candidate = user_id.strip().strip("<>@").split("|", 1)[0].upper()
    if not USER_ID.match(candidate):
        raise NotAUserId(user_id[:40])
    return candidate


def get(*, session: Session, slack_user_id: str) -> Member | None:
    """The roster entry for a Slack user, if they are on it."""
    return session.scalars(select(Member).where(Member.slack_user_id == slack_user_id)).first()


def add(
    *,
    session: Session,
    slack_user_id: str,
    role: Role,
    actor_id: str = SYSTEM_ACTOR,
    area: str | None = None,
    skills: list[str] | None = None,
) -> Member:
    """Add someone to the roster or change their role, area and skills."""
    user_id = check_user_id(slack_user_id)
    clean_skills = ",".join(s.strip().lower() for s in (skills or []) if s.strip())
    if len(clean_skills) > 400 or (area and len(area) > 80):
        raise ProfileTooLong()
    member = get(session=session, slack_user_id=user_id)
    before = member.role.value if member else "none"
    if member is None:
        member = Member(slack_user_id=user_id, role=role, on_duty=True, max_active=3)
        session.add(member)
    member.role = role
    if area is not None:
        member.area = area.strip() or None
    if skills is not None:
        member.skills = clean_skills
    session.flush()
    record(
        session=session,
        actor_id=actor_id,
        action="role.change",
        subject_type="member",
        subject_id=user_id,
        detail=f"{before} -> {role.value}",
    )
    return member


def remove(*, session: Session, slack_user_id: str, actor_id: str = SYSTEM_ACTOR) -> bool:
    """Take someone off the roster; they can still ask as an officer. False if absent."""
    user_id = check_user_id(slack_user_id)
    member = get(session=session, slack_user_id=user_id)
    if member is None:
        return False
    record(
        session=session,
        actor_id=actor_id,
        action="role.remove",
        subject_type="member",
        subject_id=user_id,
        detail=f"{member.role.value} -> none",
    )
    session.delete(member)
    return True


def list_members(*, session: Session, role: Role | None = None) -> list[Member]:
    """Everyone on the roster, by role then user ID."""
    query = select(Member).order_by(Member.role, Member.slack_user_id)
    if role is not None:
        query = query.where(Member.role == role)
    return list(session.scalars(query))


def leads(*, session: Session) -> list[str]:
    """The leads' user IDs: everyone who hears about escalations."""
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.role == Role.LEAD)
            .order_by(Member.slack_user_id)
        )
    )


def champions(*, session: Session) -> list[str]:
    """The champions' user IDs."""
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.role == Role.CHAMPION)
            .order_by(Member.slack_user_id)
        )
    )


def ensure_not_self_demotion(*, actor_id: str, target_id: str, role: Role) -> None:
    """An admin may not remove their own admin role by accident."""
    if actor_id == target_id and role is not Role.ADMIN:
        raise SelfDemotion()
