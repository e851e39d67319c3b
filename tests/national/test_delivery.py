"""Delivery per workspace over real HTTP: each workspace answered with its own installation's
token; an uninstall stops all delivery there at once and keeps its figures."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import select

from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import OutboxMessage, OutboxStatus, Question, utcnow
from bot.tenancy import Workspace
from tests.national.deployment import Deployment, deployment

QUESTION = "whats the difference between stalking and harassment?"
FORCES = {"TFORCEA": "UOFFA1", "TFORCEB": "UOFFB1"}


def _people(emu: object) -> None:
    for team, officer in FORCES.items():
        emu.add_user(officer, name=officer.lower(), team_id=team)  # type: ignore[attr-defined]


def _answers(live: Deployment, team: str, channel: str) -> list[object]:
    return [
        c
        for c in live.emu.find_calls("chat.postMessage", ok=True)
        if c.args.get("channel") == channel and c.team_id == team
    ]


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def test_the_same_question_in_two_workspaces_is_answered_with_each_ones_token(
    db: Database, kb: KnowledgeBase
) -> None:
    with deployment(db, kb, workspaces=FORCES, prepare=_people) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        channels = {team: live.emu.im_channel(u, team_id=team) for team, u in FORCES.items()}
        for team, officer in FORCES.items():
            sent = live.slack(team).dm(user=officer, channel=channels[team], text=QUESTION)
            assert sent.status == 200
        for team in FORCES:
            _wait(lambda team=team: _answers(live, team, channels[team]))
        for team, channel in channels.items():
            (answer,) = _answers(live, team, channel)
            assert "Sources" in json.dumps(answer.args)  # type: ignore[attr-defined]
        # A call is routed by its token: each workspace's answer went with that one's token,
        # and no call to one workspace's DM carried the other's.
        a, b = channels["TFORCEA"], channels["TFORCEB"]
        assert not _answers(live, "TFORCEB", a) and not _answers(live, "TFORCEA", b)
        # Each question is its own workspace's row.
        with db.everywhere() as s:
            asked = {(q.team_id, q.asker_id) for q in s.scalars(select(Question))}
        assert asked == {("TFORCEA", "UOFFA1"), ("TFORCEB", "UOFFB1")}


def _queue_later(db: Database, team: str, channel: str, n: int, tag: str = "x") -> list[int]:
    """Messages due in an hour, as a scheduled broadcast leaves them."""
    with db.session(Workspace(team)) as s:
        rows = [
            OutboxMessage(
                method="chat.postMessage",
                payload=json.dumps({"channel": channel, "text": f"later {i}"}),
                ref=f"broadcast:{tag}:{i}",
                next_attempt_at=utcnow() + timedelta(hours=1),
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_uninstall_stops_all_delivery_there_at_once_and_keeps_its_figures(
    db: Database, kb: KnowledgeBase
) -> None:
    def prepare(emu: object) -> None:
        _people(emu)
        for team in FORCES:
            emu.add_channel("CNET" + team[-1], team_id=team)  # type: ignore[attr-defined]

    with deployment(db, kb, workspaces=FORCES, prepare=prepare) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        channel_a = live.emu.im_channel("UOFFA1", team_id="TFORCEA")
        live.slack("TFORCEA").dm(user="UOFFA1", channel=channel_a, text=QUESTION)
        _wait(lambda: _answers(live, "TFORCEA", channel_a))
        held_a = _queue_later(db, "TFORCEA", "CNETA", 3)
        held_b = _queue_later(db, "TFORCEB", "CNETB", 3)

        for envelope in live.emu.uninstall("TFORCEA"):  # tokens_revoked, then app_uninstalled
            assert live.slack("TFORCEA").post_json(envelope).status == 200

        def cancelled() -> bool:
            with db.everywhere() as s:
                rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(held_a)))
                return all(r.status is OutboxStatus.CANCELLED for r in rows)

        _wait(cancelled)
        with db.everywhere() as s:
            a_rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(held_a))))
            b_rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(held_b))))
            kept = list(s.scalars(select(Question).where(Question.team_id == "TFORCEA")))
        # Said why, in the row (whichever of the two events was handled first).
        (why,) = {r.error for r in a_rows}
        assert why in ("tokens_revoked", "app_uninstalled")
        assert all(r.status is OutboxStatus.PENDING for r in b_rows)  # the other force goes on
        assert len(kept) == 1  # its figures stay
        store = live.runtime.installation_store
        assert store is not None
        assert store.find_bot(enterprise_id=None, team_id="TFORCEA") is None
        assert store.find_bot(enterprise_id=None, team_id="TFORCEB") is not None

        # Due now: B's go, nothing goes to A, and a message A's old rows could not reach.
        with db.everywhere() as s:
            for row in s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(held_b))):
                row.next_attempt_at = utcnow()
        late = _queue_later(db, "TFORCEA", "CNETA", 1, "late")
        with db.everywhere() as s:
            s.get(OutboxMessage, late[0]).next_attempt_at = utcnow()  # type: ignore[union-attr]
        before = len(live.emu.find_calls(team_id="TFORCEA"))
        live.runtime.delivery.deliver()
        assert len(live.emu.find_calls("chat.postMessage", ok=True, team_id="TFORCEB")) == 3
        assert len(live.emu.find_calls(team_id="TFORCEA")) == before  # not one call to A
        with db.everywhere() as s:
            row = s.get(OutboxMessage, late[0])
            assert row is not None and row.status is OutboxStatus.CANCELLED
            assert row.error == "app_uninstalled"
        # A's officers are now ignored (acknowledged), B's still answered.
        assert live.slack("TFORCEA").dm(user="UOFFA1", channel=channel_a, text="hi").status == 200
        time.sleep(0.5)
        assert len(live.emu.find_calls(team_id="TFORCEA")) == before
