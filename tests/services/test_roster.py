"""The roster: roles, validation and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.models import AuditEvent, Role
from bot.services import ServiceError, policy, roster


def test_add_change_remove_is_audited(db: Database) -> None:
    with db.session() as s:
        roster.add(
            session=s,
            slack_user_id="<@UCHAMP|chris>",
            role=Role.CHAMPION,
            actor_id="UADM",
            area="North",
            skills=["Cyber", " spo "],
        )
    with db.session() as s:
        member = roster.get(session=s, slack_user_id="UCHAMP")
        assert member is not None and member.skill_list == ["cyber", "spo"]
        assert member.area == "North" and member.on_duty and member.max_active == 3
        roster.add(session=s, slack_user_id="UCHAMP", role=Role.LEAD, actor_id="UADM")
    with db.session() as s:
        assert policy.role(roster.get(session=s, slack_user_id="UCHAMP")) is Role.LEAD
        assert roster.remove(session=s, slack_user_id="UCHAMP", actor_id="UADM")
        assert not roster.remove(session=s, slack_user_id="UCHAMP", actor_id="UADM")
    with db.session() as s:
        details = [a.detail for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert details == ["none -> champion", "champion -> lead", "lead -> none"]
        assert policy.role(roster.get(session=s, slack_user_id="UCHAMP")) is Role.OFFICER


def test_bad_user_ids_are_refused(db: Database) -> None:
    with db.session() as s, pytest.raises(ServiceError, match="not a Slack user ID"):
        roster.add(session=s, slack_user_id="bob; drop table", role=Role.ADMIN)


def test_the_policy_names_who_can(db: Database) -> None:
    from bot.domain.errors import RoleRequired
    from bot.views.errors import refusal

    with db.session() as s, pytest.raises(RoleRequired) as refused:
        policy.require(roster.get(session=s, slack_user_id="UNOBODY"), policy.Act.CHANGE_ROSTER)
    assert refused.value.roles == ("admin",)
    assert refusal(refused.value).startswith("Only admins can change the roster.")
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP9", role=Role.CHAMPION)
    with db.session() as s:
        # champions take requests and acknowledge broadcasts; they do not broadcast
        assert policy.require(
            roster.get(session=s, slack_user_id="UCHAMP9"), policy.Act.TAKE_REQUESTS
        )
        with pytest.raises(RoleRequired) as refused:
            policy.require(roster.get(session=s, slack_user_id="UCHAMP9"), policy.Act.BROADCAST)
    assert refusal(refused.value).startswith("Only admins or leads can send broadcasts.")
