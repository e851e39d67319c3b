"""The national lead over real HTTP: granted by the operator (`champbot roster add … --role
national-lead --team T…`), one broadcast posted in three forces' network channels, counts per
force and nationally, figures side by side; a force lead is refused politely."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Broadcast, ForceSettings, Member, NationalBroadcast, Role
from bot.tenancy import Workspace
from tests.e2e.helpers import blocks_of, buttons
from tests.national.deployment import Deployment, deployment

FORCES = ("TFORCEA", "TFORCEB", "TFORCEC")
NATIONAL_LEAD, FORCE_LEAD = "UNATLEAD", "UBLEAD"
CHAMPIONS = {team: [f"UCH{team[-1]}{n}" for n in range(1, 3)] for team in FORCES}


def _prepare(emu: Any) -> None:
    for team in FORCES:
        emu.add_channel(f"CNET{team[-1]}", team_id=team)
        for uid in CHAMPIONS[team]:
            emu.add_user(uid, name=uid.lower(), team_id=team)
    emu.add_user(NATIONAL_LEAD, name="nadia", team_id="TFORCEA")
    emu.add_user(FORCE_LEAD, name="bea", team_id="TFORCEB")


def _seed(db: Database) -> None:
    for team in FORCES:
        with db.session(Workspace(team)) as s:
            s.add(ForceSettings(network_channel=f"CNET{team[-1]}"))
            s.add_all(
                Member(slack_user_id=u, role=Role.CHAMPION, on_duty=True, max_active=3)
                for u in CHAMPIONS[team]
            )
    with db.session(Workspace("TFORCEB")) as s:
        s.add(Member(slack_user_id=FORCE_LEAD, role=Role.LEAD, on_duty=True, max_active=3))


def _grant(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The operator's command, as it is run on the deployment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    code = main(["roster", "add", NATIONAL_LEAD, "--role", "national-lead", "--team", "TFORCEA"])
    assert code == 0


def _command(live: Deployment, team: str, user: str, text: str) -> Any:
    url = live.emu.response_url(f"{user}-{text[:20]}", team_id=team)
    resp = live.slack(team).command("/broadcast", text, user=user, channel="CGEN", response_url=url)
    assert resp.status == 200
    return live.emu.wait_for(
        lambda e: [r for r in e.responses if r.url.endswith(url.rsplit("/", 1)[1])], timeout=10
    )[-1]


def _network_post(live: Deployment, team: str) -> Any:
    channel = f"CNET{team[-1]}"
    return live.emu.wait_for(
        lambda e: [
            c
            for c in e.find_calls("chat.postMessage", ok=True, team_id=team)
            if c.args.get("channel") == channel
        ],
        timeout=10,
    )[-1]


def test_a_national_broadcast_reaches_three_forces_and_is_counted_per_force_and_nationally(
    db: Database, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    with deployment(db, kb, workspaces=FORCES, prepare=_prepare) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        _seed(db)
        _grant(db, monkeypatch, tmp_path)

        sent = _command(
            live, "TFORCEA", NATIONAL_LEAD, "national New CPS guidance | Please read it today."
        )
        assert "Sent to 3 forces" in json.dumps(sent.body)
        posts = {team: _network_post(live, team) for team in FORCES}
        for post in posts.values():
            assert "New CPS guidance" in json.dumps(post.args)
            assert "0 of 2 champions have acknowledged" in json.dumps(post.args)
        # One national broadcast, one broadcast row in each force's own workspace.
        with db.everywhere() as s:
            (national,) = s.scalars(select(NationalBroadcast))
            copies = list(s.scalars(select(Broadcast).where(Broadcast.national_id == national.id)))
        assert sorted(b.team_id for b in copies) == list(FORCES)

        # A champion of force B acknowledges, in force B's workspace.
        post = posts["TFORCEB"]
        champion = CHAMPIONS["TFORCEB"][0]
        ack = live.slack("TFORCEB").block_action(
            user=champion,
            action_id="broadcast_ack",
            value=buttons(blocks_of(post))["Acknowledge"],
            response_url=live.emu.response_url("ack", team_id="TFORCEB"),
            channel=post.response["channel"],
            message_ts=post.response["ts"],
        )
        assert ack.status == 200
        live.emu.wait_for(
            lambda e: [
                c
                for c in e.find_calls("chat.update", ok=True, team_id="TFORCEB")
                if "1 of 2 champions" in json.dumps(c.args)
            ],
            timeout=10,
        )
        status = json.dumps(_command(live, "TFORCEA", NATIONAL_LEAD, "national status").body)
        assert "Nationally: 1 of 6 champions have acknowledged" in status
        assert "`TFORCEB`: 1 of 2 champions have acknowledged" in status
        assert "`TFORCEA`: 0 of 2 champions have acknowledged" in status
        figures = json.dumps(_command(live, "TFORCEA", NATIONAL_LEAD, "national figures").body)
        assert all(f"`{team}`" in figures for team in FORCES) and "Nationally" in figures

        # App Home: the national lead sees every force side by side; a force lead only theirs.
        for team, user in (("TFORCEA", NATIONAL_LEAD), ("TFORCEB", FORCE_LEAD)):
            channel = live.emu.im_channel(user, team_id=team)
            assert live.slack(team).home_opened(user=user, channel=channel).status == 200
        homes = {
            team: live.emu.wait_for(
                lambda e, team=team: e.find_calls("views.publish", ok=True, team_id=team),
                timeout=10,
            )[-1]
            for team in ("TFORCEA", "TFORCEB")
        }
        national_home = json.dumps(homes["TFORCEA"].args)
        assert "National: every force" in national_home
        assert all(f"`{team}`" in national_home for team in FORCES)
        assert "Nationally: 1 of 6 champions have acknowledged" in national_home
        assert "National: every force" not in json.dumps(homes["TFORCEB"].args)


def test_a_force_lead_is_refused_a_national_broadcast_politely(
    db: Database, kb: KnowledgeBase
) -> None:
    with deployment(db, kb, workspaces=FORCES, prepare=_prepare) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        _seed(db)
        before = len(live.emu.find_calls("chat.postMessage"))
        refused = _command(live, "TFORCEB", FORCE_LEAD, "national Sneaky | To everyone")
        text = json.dumps(refused.body)
        assert "Only a national lead can" in text and "operator" in text
        assert len(live.emu.find_calls("chat.postMessage")) == before
        with db.everywhere() as s:
            assert not list(s.scalars(select(NationalBroadcast)))
            assert not list(s.scalars(select(Broadcast)))
        # Nor can a force's admin make someone a national lead from Slack (services.admin).
