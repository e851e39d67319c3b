"""`/champbot`: help, figures and the roster for leads, changes for admins, refusals otherwise."""

from __future__ import annotations

import json

from bot.models import Role
from bot.services import roster
from tests.conftest import ADMIN, LEAD, OFFICER, RunningApp
from tests.e2e.helpers import posts, responses


def champbot(app: RunningApp, user: str, text: str) -> dict:  # type: ignore[type-arg]
    before = len(app.emu.responses)
    app.slack.command(
        "/champbot",
        text,
        user=user,
        channel="CGENERAL",
        response_url=app.emu.response_url("champbot"),
    )
    return responses(app, count=before + 1)[-1].body


def seed(app: RunningApp) -> None:
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
        roster.add(session=s, slack_user_id=ADMIN, role=Role.ADMIN)


def test_help_for_anyone(app: RunningApp) -> None:
    body = champbot(app, OFFICER, "")
    assert body["response_type"] == "ephemeral" and "/ask" in json.dumps(body["blocks"])


def test_stats_and_unanswered_for_leads_only(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text="what is an spo")
    posts(app)
    refused = champbot(app, OFFICER, "stats")
    assert "Only admins or leads can see the figures" in json.dumps(refused)
    stats = json.dumps(champbot(app, LEAD, "stats"))
    assert (
        "Questions in the last 30 days: 1" in stats
        and "answered from the knowledge base: 1" in stats
    )
    assert "Nothing is waiting" in json.dumps(champbot(app, LEAD, "unanswered"))


def test_roster_listed_for_leads_and_admins_changed_by_admins_only(app: RunningApp) -> None:
    seed(app)
    refused = json.dumps(champbot(app, OFFICER, "roster list"))
    assert "Only admins or leads can see the roster" in refused
    assert "change the roster" not in refused
    assert "ULEAD1" in json.dumps(champbot(app, LEAD, "roster list"))
    for change in ("roster add UNEW1 champion", "roster add", "roster remove UNEW1"):
        refusal = json.dumps(champbot(app, LEAD, change))
        assert "Only admins can change the roster. Ask an admin" in refusal, change
    added = json.dumps(champbot(app, ADMIN, "roster add <@UNEW1|newbie> champion North"))
    assert "is now a champion" in added
    assert "is now an officer" in json.dumps(champbot(app, ADMIN, "roster add UNEW2 officer"))
    assert "is now an admin" in json.dumps(champbot(app, ADMIN, "roster add UNEW3 admin"))
    listing = json.dumps(champbot(app, ADMIN, "roster list"))
    assert "UNEW1" in listing and "North" in listing
    assert "admin role" in json.dumps(champbot(app, ADMIN, f"roster remove {ADMIN}"))
    assert "off the roster" in json.dumps(champbot(app, ADMIN, "roster remove UNEW1"))
