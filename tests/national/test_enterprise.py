"""An Enterprise organisation installs once for the whole org (org-wide install): its user IDs
are org-wide, and each workspace in it is a force with its own rows."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Question
from bot.tenancy import Workspace
from tests.national.deployment import Deployment, deployment

ORG, TEAMS = "EORG1", ("TORGA", "TORGB")
OFFICER = "WOFFICER1"  # one person, the same ID in every workspace of the org
QUESTION = "whats the difference between stalking and harassment?"


def _prepare(emu: Any) -> None:
    emu.add_enterprise(ORG, name="Police Org")
    for team in TEAMS:
        emu.add_workspace(team, enterprise_id=ORG, name=f"Force {team}")
    emu.add_user(OFFICER, name="olu", team_id=TEAMS[0])


def _dm(live: Deployment, team: str, channel: str) -> int:
    """A DM event as Slack sends it for an org-wide install: the team of the workspace it
    happened in, the organisation, and an authorization for the org."""
    sender = live.slack(team)
    envelope = {
        "token": "unused",
        "team_id": team,
        "enterprise_id": ORG,
        "api_app_id": "A0001",
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": OFFICER,
            "channel": channel,
            "text": QUESTION,
            "ts": f"{time.time():.6f}",
            "team": team,
        },
        "type": "event_callback",
        "event_id": f"EvORG{team}{int(time.time() * 1000)}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": ORG,
                "team_id": None,
                "user_id": live.emu.bot_user(team),
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ],
        "is_ext_shared_channel": False,
        "context_team_id": team,
        "context_enterprise_id": ORG,
    }
    return sender.post_json(envelope).status


def test_an_org_wide_install_serves_each_workspace_of_the_org_as_a_force(
    db: Database, kb: KnowledgeBase
) -> None:
    with deployment(db, kb, workspaces=[], prepare=_prepare) as live:
        status, body = live.install(ORG)  # the consent page for the organisation
        assert status == 200, body
        store = live.runtime.installation_store
        assert store is not None
        org_bot = store.find_bot(enterprise_id=ORG, team_id=None, is_enterprise_install=True)
        assert org_bot is not None and org_bot.bot_token == live.emu.bot_token(ORG)
        # Its workspaces, listed at install (auth.teams.list), are each a force.
        assert live.runtime.installations.workspaces() == [Workspace(t, ORG) for t in TEAMS]

        channels = {team: live.emu.im_channel(OFFICER, team_id=team) for team in TEAMS}
        for team in TEAMS:
            assert _dm(live, team, channels[team]) == 200
        answers = live.emu.wait_for(
            lambda e: (lambda found: found if {c.team_id for c in found} == set(TEAMS) else None)(
                [
                    c
                    for c in e.find_calls("chat.postMessage", ok=True)
                    if c.args.get("channel") in channels.values()
                ]
            ),
            timeout=10,
        )
        for call in answers:  # each answered in its own workspace, with the org's token
            assert call.args["channel"] == channels[call.team_id]
            assert call.args.get("team_id") == call.team_id
            assert "Sources" in json.dumps(call.args)
        with db.everywhere() as s:
            asked = sorted((q.team_id, q.enterprise_id) for q in s.scalars(select(Question)))
        assert asked == [(TEAMS[0], ORG), (TEAMS[1], ORG)]
