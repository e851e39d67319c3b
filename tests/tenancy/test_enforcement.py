"""Every session works in one workspace: its queries are scoped, its rows stamped, and a query
on a workspace's tables in a session of none fails (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from bot.db import Database
from bot.models import AuditEvent, Member, Offer, Request, RequestStatus, Role, utcnow
from bot.services import roster
from bot.tenancy import EVERYWHERE, CrossWorkspace, NoWorkspace, Workspace

A = Workspace("TFORCEA")
B = Workspace("TFORCEB", "EORG1")


@pytest.fixture
def strict(db: Database) -> Database:
    return db.strict()


def _seed(db: Database) -> None:
    now = utcnow()
    for ws, asker in ((A, "UA1"), (B, "UB1")):
        with db.session(ws) as s:
            roster.add(session=s, slack_user_id="USHARED", role=Role.CHAMPION, actor_id="cli")
            s.add(Request(asker_id=asker, text="case", sla_due_at=now + timedelta(hours=1)))


def test_a_query_in_a_session_of_no_workspace_fails(strict: Database) -> None:
    _seed(strict)
    queries = [
        select(Member),
        select(Request.id),
        select(func.count()).select_from(Request),
        select(Offer.id).join(Request, Request.id == Offer.request_id),
        update(Request).values(status=RequestStatus.CANCELLED),
        delete(AuditEvent),
    ]
    for query in queries:
        with pytest.raises(NoWorkspace), strict.session() as s:
            s.execute(query)
    with pytest.raises(NoWorkspace), strict.session() as s:
        s.get(Member, 1)
    with pytest.raises(NoWorkspace), strict.session() as s:
        s.add(AuditEvent(actor_id="x", action="a", subject_type="t", subject_id="1"))
        s.flush()


def test_each_workspace_sees_and_changes_only_its_own_rows(strict: Database) -> None:
    _seed(strict)
    with strict.session(A) as s:
        assert [r.asker_id for r in s.scalars(select(Request))] == ["UA1"]
        assert s.scalar(select(func.count()).select_from(Member)) == 1
        changed = s.execute(update(Request).values(status=RequestStatus.CANCELLED))
        assert changed.rowcount == 1  # type: ignore[attr-defined]
        b_request = strict_id(strict, "UB1")
        assert s.get(Request, b_request) is None
        s.execute(delete(Member))
    with strict.session(B) as s:
        req = s.scalars(select(Request)).one()
        assert (req.asker_id, req.status, req.team_id, req.enterprise_id) == (
            "UB1",
            RequestStatus.OPEN,
            "TFORCEB",
            "EORG1",
        )
        assert roster.get(session=s, slack_user_id="USHARED") is not None
    with strict.everywhere() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 2
        assert s.scalar(select(func.count()).select_from(Member)) == 1


def strict_id(db: Database, asker: str) -> int:
    with db.session(EVERYWHERE) as s:
        return int(s.scalar(select(Request.id).where(Request.asker_id == asker)) or 0)


def test_the_same_person_is_on_each_forces_roster_separately(strict: Database) -> None:
    _seed(strict)
    with strict.everywhere() as s:
        teams = s.scalars(select(Member.team_id).where(Member.slack_user_id == "USHARED")).all()
    assert sorted(teams) == ["TFORCEA", "TFORCEB"]


def test_a_row_of_another_workspace_cannot_be_written(strict: Database) -> None:
    with pytest.raises(CrossWorkspace), strict.session(A) as s:
        s.add(Member(slack_user_id="U1", role=Role.OFFICER, team_id=B.team_id))
    _seed(strict)
    with pytest.raises(CrossWorkspace), strict.session(A) as s:
        member = s.scalars(select(Member)).one()
        member.team_id = B.team_id
    with pytest.raises(CrossWorkspace), strict.everywhere() as s:
        s.add(AuditEvent(actor_id="x", action="a", subject_type="t", subject_id="1"))


def test_raw_sql_sees_what_the_orm_wrote(strict: Database) -> None:
    _seed(strict)
    with strict.engine.connect() as conn:
        rows = conn.execute(text("SELECT team_id, asker_id FROM requests ORDER BY team_id")).all()
    assert [tuple(r) for r in rows] == [("TFORCEA", "UA1"), ("TFORCEB", "UB1")]
