"""Each force's own settings: set by its admins with `/champbot settings`, seen by its leads,
read by the services in place of the environment's, and only in that force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.domain.errors import BadSettingValue, UnknownSetting
from bot.knowledge import KnowledgeBase
from bot.models import AuditEvent, ForceSettings, OutboxMessage, Request, Role, utcnow
from bot.services import curation, forces, roster
from bot.tenancy import Workspace
from bot.views import ids
from tests.conftest import ADMIN, LEAD, OFFICER, SERVICE_SETTINGS, DispatchedApp
from tests.handlers.support import LIVE
from tests.handlers.test_surfaces import add, command


def _shortcut_request(app: DispatchedApp) -> None:
    app.slack.message_shortcut(
        user=OFFICER,
        callback_id=ids.SHORTCUT_ASK,
        channel="CGENERAL",
        message_text=LIVE,
        response_url=app.emu.response_url("shortcut"),
    )
    app.settle()


def test_an_admin_sets_the_forces_queue_and_sla_and_requests_follow_them(
    bolt: DispatchedApp,
) -> None:
    bolt.emu.add_channel("CFORCEQ")
    add(bolt, LEAD, Role.LEAD)
    add(bolt, ADMIN, Role.ADMIN)
    shown = command(bolt, "/champbot", "settings", LEAD)["blocks"][0]["text"]["text"]
    assert "`queue`: <#CQUEUE> (the deployment's default)" in shown
    assert "`claim-sla`: 30 min (the deployment's default)" in shown
    refused = command(bolt, "/champbot", "settings queue <#CFORCEQ|force-queue>", LEAD)["text"]
    assert refused.startswith("Only admins can change the force's settings")

    done = command(bolt, "/champbot", "settings queue <#CFORCEQ|force-queue>", ADMIN)
    assert "`queue`: <#CFORCEQ>\n" in done["blocks"][0]["text"]["text"]
    command(bolt, "/champbot", "settings claim-sla 45m", ADMIN)
    _shortcut_request(bolt)
    cards = [c for c in bolt.emu.find_calls("chat.postMessage", ok=True) if "#1" in str(c.args)]
    assert {c.args["channel"] for c in cards if c.args["channel"].startswith("C")} == {"CFORCEQ"}
    with bolt.runtime.db.session() as s:
        req = s.scalars(select(Request)).one()
        assert req.sla_due_at - req.created_at == timedelta(minutes=45)
        audited = s.scalars(select(AuditEvent).where(AuditEvent.action == "settings.change"))
        assert [(a.actor_id, a.subject_id, a.detail) for a in audited] == [
            (ADMIN, "queue", "CFORCEQ"),
            (ADMIN, "claim-sla", "2700"),
        ]

    back = command(bolt, "/champbot", "settings queue default", ADMIN)["blocks"][0]["text"]
    assert "`queue`: <#CQUEUE> (the deployment's default)" in back["text"]


def test_bad_settings_are_refused_with_what_they_need(bolt: DispatchedApp) -> None:
    add(bolt, ADMIN, Role.ADMIN)
    for text, expected in [
        ("settings colour blue", "There is no setting `colour`"),
        ("settings queue general", "`queue` needs a channel"),
        ("settings claim-sla soon", "`claim-sla` needs a time such as"),
        ("settings claim-sla 10s", "`claim-sla` needs a time such as"),
        ("settings kb-owners everyone", "`kb-owners` needs one or more people"),
    ]:
        assert command(bolt, "/champbot", text, ADMIN)["text"].startswith(expected), text
    with bolt.runtime.db.session() as s:
        assert s.scalars(select(ForceSettings)).all() == []


def test_a_forces_settings_are_its_own(db: Database) -> None:
    a, b = Workspace("TFORCEA"), Workspace("TFORCEB")
    with db.session(a) as s:
        admin = roster.add(session=s, slack_user_id=ADMIN, role=Role.ADMIN)
        assert forces.effective(session=s, defaults=SERVICE_SETTINGS) is SERVICE_SETTINGS
        forces.change(
            session=s,
            caller=admin,
            actor_id=ADMIN,
            name="network",
            words=["CNETA"],
            defaults=SERVICE_SETTINGS,
        )
        forces.change(
            session=s,
            caller=admin,
            actor_id=ADMIN,
            name="urgent-sla",
            words=["2h"],
            defaults=SERVICE_SETTINGS,
        )
        # Read again in the same session: the change, not what was read before it.
        assert forces.effective(session=s, defaults=SERVICE_SETTINGS).urgent_sla == 7200
    with db.session(a) as s:
        mine = forces.effective(session=s, defaults=SERVICE_SETTINGS)
        assert (mine.network_channel, mine.urgent_sla) == ("CNETA", 7200)
        assert mine.queue_channel == SERVICE_SETTINGS.queue_channel  # not set: the default
    with db.session(b) as s:
        assert forces.effective(session=s, defaults=SERVICE_SETTINGS) == SERVICE_SETTINGS


def test_parse_reads_times_channels_and_people() -> None:
    assert forces.parse("claim-sla", ["90"]) == ("claim_sla", 5400)
    assert forces.parse("offer-timeout", ["2h"]) == ("offer_timeout", 7200)
    assert forces.parse("KB-owners", ["U1AB", "U2CD", "U1AB"]) == ("kb_review_owners", "U1AB,U2CD")
    assert forces.parse("network", ["reset"]) == ("network_channel", None)
    with pytest.raises(UnknownSetting):
        forces.parse("sla", ["1h"])
    with pytest.raises(BadSettingValue):
        forces.parse("urgent-sla", ["8", "days"])


def test_a_forces_reviewers_hear_of_entries_past_review(db: Database, kb: KnowledgeBase) -> None:
    late = utcnow() + timedelta(days=3650)  # every entry is past review by then
    with db.session(Workspace("TFORCEA")) as s:
        sent = curation.remind_owners(session=s, kb=kb, now=late, reviewers=("UREVIEW1",))
        assert sent == 1
    with db.everywhere() as s:
        rows = s.scalars(select(OutboxMessage)).all()
    assert [(r.team_id, r.ref) for r in rows] == [
        ("TFORCEA", f"kb-review:UREVIEW1:{late.isocalendar().year}-W{late.isocalendar().week:02d}")
    ]
