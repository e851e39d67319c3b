"""Who may send a draft, and who may take a request: the rules beyond the role, at the service
(whatever a button or a view's metadata said); and whose CPD record and availability a caller's
entry is for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.domain.cpd import ActivityForm
from bot.domain.errors import NotDraftAuthor, OwnRequest
from bot.models import (
    AuditEvent,
    Broadcast,
    BroadcastStatus,
    CpdActivity,
    OutboxMessage,
    Request,
    Role,
    utcnow,
)
from bot.services import availability, broadcasts, cpd, requests, roster
from bot.services.broadcasts import Form
from bot.views.errors import refusal
from tests import seeding
from tests.conftest import SERVICE_SETTINGS
from tests.services.test_broadcasts import SETTINGS

LEAD, ADMIN, CHAMP = "ULEAD1", "UADMIN1", "UCHAMP1"


def seed(db: Database) -> None:
    with db.session() as s:
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        roster.add(session=s, slack_user_id=ADMIN, role=Role.ADMIN)
        roster.add(session=s, slack_user_id=CHAMP, role=Role.CHAMPION)


def draft(db: Database, user: str, edit_of: int | None = None, **form: object) -> int:
    now = utcnow()
    with db.session() as s:
        return broadcasts.save_draft(
            session=s,
            settings=SETTINGS,
            author_id=user,
            caller=seeding.member(s, user),
            form=Form(category="national_policy", title="CPS guidance", message="Read it.", **form),  # type: ignore[arg-type]
            now=now,
            edit_of=edit_of,
        ).draft.id


def confirm(db: Database, user: str, draft_id: int) -> Broadcast:
    with db.session() as s:
        b = broadcasts.confirm(
            session=s,
            settings=SETTINGS,
            draft_id=draft_id,
            user_id=user,
            caller=seeding.member(s, user),
            now=utcnow(),
        )
        s.expunge(b)
        return b


def counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (
            int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
            int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


def test_only_the_author_sends_a_draft_and_nothing_is_done_in_their_name(db: Database) -> None:
    seed(db)
    mine = draft(db, LEAD)
    before = counts(db)
    with pytest.raises(NotDraftAuthor) as refused:
        confirm(db, ADMIN, mine)  # an admin, sending a lead's draft by its id
    assert "Nothing has been sent" in refusal(refused.value)
    assert counts(db) == before  # no post, no DM to the author, no audit row in their name
    with db.session() as s:
        assert s.get(Broadcast, mine).status is BroadcastStatus.DRAFT  # type: ignore[union-attr]
    assert confirm(db, LEAD, mine).status is BroadcastStatus.SENT
    with pytest.raises(NotDraftAuthor):  # nor once it has gone
        confirm(db, ADMIN, mine)


def test_an_edit_is_its_editors_to_send_and_the_post_keeps_its_author(db: Database) -> None:
    seed(db)
    original = confirm(db, LEAD, draft(db, LEAD, send_at=utcnow() + timedelta(days=1)))
    with db.session() as s:
        preview = broadcasts.save_draft(
            session=s,
            settings=SETTINGS,
            author_id=ADMIN,
            caller=seeding.member(s, ADMIN),
            form=Form(category="national_policy", title="Moved", message="Read it."),
            now=utcnow(),
            edit_of=original.id,
        )
        edit = preview.draft.id
        assert preview.draft.author_id == ADMIN and preview.shown.author_id == LEAD
    with pytest.raises(NotDraftAuthor):
        confirm(db, LEAD, edit)  # the original's author did not write this edit
    edited = confirm(db, ADMIN, edit)
    assert (edited.id, edited.title, edited.author_id) == (original.id, "Moved", LEAD)


def test_nobody_takes_their_own_request_and_it_stays_in_the_queue(db: Database) -> None:
    seed(db)
    with db.session() as s:
        rid = requests.create(
            session=s, settings=SERVICE_SETTINGS, asker_id=CHAMP, text="he follows her"
        )[0].id
    with db.session() as s, pytest.raises(OwnRequest) as refused:
        seeding.claim(s, SERVICE_SETTINGS, rid, CHAMP)
    assert "stays in the queue" in refusal(refused.value)
    with db.session() as s:
        req = s.get(Request, rid)
        assert req is not None and req.champion_id is None and req.claims == 0
        seeding.claim(s, SERVICE_SETTINGS, rid, LEAD)


def test_a_caller_who_is_not_the_user_is_a_mistake_not_a_permission(db: Database) -> None:
    """A service is given one person twice (their roster entry and their Slack id): a lead's
    entry with an officer's id must not lend the officer the lead's role."""
    seed(db)
    with db.session() as s:
        rid = requests.create(
            session=s, settings=SERVICE_SETTINGS, asker_id="UOFFICER1", text="he follows her"
        )[0].id
    with db.session() as s, pytest.raises(ValueError, match="different people"):
        requests.cancel(
            session=s,
            settings=SERVICE_SETTINGS,
            request_id=rid,
            user_id="UOFFICER2",
            caller=seeding.member(s, LEAD),
        )


def test_a_champion_entry_lends_no_one_their_cpd_record_or_their_availability(
    db: Database,
) -> None:
    """The same for what is the caller's own: a champion's entry with an officer's id logs no
    CPD for the officer, changes no one's availability and shows no one's record."""
    seed(db)
    activity = ActivityForm(title="Webinar", held_on=cpd.today_of(utcnow()), hours="1")
    with db.session() as s:
        champion = seeding.member(s, CHAMP)
        with pytest.raises(ValueError, match="different people"):
            cpd.log(session=s, user_id="UOFFICER1", caller=champion, form=activity, key="k")
        with pytest.raises(ValueError, match="different people"):
            availability.set_on(
                session=s, user_id="UOFFICER1", caller=champion, on=False, now=utcnow()
            )
        with pytest.raises(ValueError, match="different people"):
            cpd.record_of(
                session=s,
                settings=SERVICE_SETTINGS,
                user_id="UOFFICER1",
                caller=champion,
                now=utcnow(),
            )
        assert s.query(CpdActivity).count() == 0
        cpd.log(session=s, user_id=CHAMP, caller=champion, form=activity, key="k")  # their own
        assert s.query(CpdActivity).count() == 1
