"""A national lead's `/broadcast` form over real HTTP: the form offers "every force" beside
their own network, the preview says where it will go, *Send* posts it in every force's network
channel (and each champion's DM) with the counts shown; a force lead's form has no such choice,
and a forged one is refused with nothing written or sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.emulator.blockkit import check_view
from bot.knowledge import KnowledgeBase
from bot.models import Broadcast, BroadcastStatus, Member, NationalBroadcast, OutboxMessage, Role
from bot.tenancy import Workspace
from tests.e2e.test_broadcasts import values as form_values
from tests.national.deployment import Deployment, deployment
from tests.national.test_national_lead import (
    CHAMPIONS,
    FORCE_LEAD,
    FORCES,
    NATIONAL_LEAD,
    _network_post,
    _prepare,
    _seed,
)


def _open_form(live: Deployment, team: str, user: str) -> dict[str, Any]:
    """`/broadcast` with nothing after it; the form as it stands once it has its time zone."""
    before = len(live.emu.find_calls("views.update", ok=True, team_id=team))
    url = live.emu.response_url(f"form-{user}", team_id=team)
    resp = live.slack(team).command("/broadcast", "", user=user, channel="CGEN", response_url=url)
    assert resp.status == 200
    updates = live.emu.wait_for(
        lambda e: (lambda c: c if len(c) > before else None)(
            e.find_calls("views.update", ok=True, team_id=team)
        ),
        timeout=10,
    )
    view = updates[-1].args["view"]
    form: dict[str, Any] = json.loads(view) if isinstance(view, str) else dict(view)
    assert check_view(form, method="views.update") == []
    return form


def _audience(choice: str) -> dict[str, Any]:
    return {"value": {"type": "radio_buttons", "selected_option": {"value": choice}}}


def _submit(
    live: Deployment, team: str, user: str, view: dict[str, Any], state: dict[str, Any]
) -> dict[str, Any]:
    resp = live.slack(team).view_submission(user=user, view=view, values=state)
    assert resp.status == 200
    answer: dict[str, Any] = resp.json() if resp.body else {}
    return answer


def _grant_national_lead(db: Database) -> None:
    with db.session(Workspace("TFORCEA")) as s:
        s.add(Member(slack_user_id=NATIONAL_LEAD, role=Role.NATIONAL_LEAD, max_active=3))


def test_a_national_lead_sends_to_every_force_through_the_form(
    db: Database, kb: KnowledgeBase
) -> None:
    with deployment(db, kb, workspaces=FORCES, prepare=_prepare) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        _seed(db)
        _grant_national_lead(db)

        form = _open_form(live, "TFORCEA", NATIONAL_LEAD)
        audience = next(b for b in form["blocks"] if b.get("block_id") == "audience")
        assert [o["value"] for o in audience["element"]["options"]] == ["network", "national"]

        # Scheduling is for one force: refused, field by field, and nothing kept.
        state = form_values(dm=True, title="National stalking guidance") | {
            "audience": _audience("national")
        }
        later = form_values(send_at=datetime(2099, 1, 1, tzinfo=UTC)) | {
            "audience": _audience("national")
        }
        refused = _submit(live, "TFORCEA", NATIONAL_LEAD, form, later)
        assert refused["response_action"] == "errors" and "send_at" in refused["errors"]

        answer = _submit(live, "TFORCEA", NATIONAL_LEAD, form, state)
        assert answer["response_action"] == "push", answer
        preview = answer["view"]
        assert check_view(preview, method="views.push") == []
        shown = json.dumps(preview)
        assert "every force's network channel (3 forces)" in shown
        assert "each of the 6 champions in every force" in shown
        assert "Send to every force" in shown
        with db.everywhere() as s:
            assert not list(s.scalars(select(NationalBroadcast)))  # nothing sent yet

        sent = _submit(live, "TFORCEA", NATIONAL_LEAD, preview, {})
        assert sent["response_action"] == "update"
        assert check_view(sent["view"], method="views.update") == []
        assert "Sent to 3 forces" in json.dumps(sent["view"])
        for team in FORCES:
            post = _network_post(live, team)
            assert "National stalking guidance" in json.dumps(post.args)
            assert "0 of 2 champions have acknowledged" in json.dumps(post.args)
            dms = live.emu.wait_for(
                lambda e, team=team: (lambda c: c if len(c) >= len(CHAMPIONS[team]) else None)(
                    [
                        c
                        for c in e.find_calls("chat.postMessage", ok=True, team_id=team)
                        if "National stalking guidance" in json.dumps(c.args)
                        and c.args.get("channel") != f"CNET{team[-1]}"
                    ]
                ),
                timeout=10,
            )
            assert len(dms) == len(CHAMPIONS[team])
        with db.everywhere() as s:
            (national,) = s.scalars(select(NationalBroadcast))
            copies = list(s.scalars(select(Broadcast).where(Broadcast.national_id == national.id)))
            draft = s.scalar(select(Broadcast).where(Broadcast.national_id.is_(None)))
        assert sorted(b.team_id for b in copies) == list(FORCES)
        assert all(b.ask_ack and b.dm_champions and "cps.gov.uk" in b.links for b in copies)
        assert draft is not None and draft.status is BroadcastStatus.CANCELLED  # used up

        # *Send* pressed again (a retried request): nothing more is sent.
        posts = len(live.emu.find_calls("chat.postMessage"))
        again = _submit(live, "TFORCEA", NATIONAL_LEAD, preview, {})
        assert again == {"response_action": "clear"}
        with db.everywhere() as s:
            assert s.scalar(select(func.count()).select_from(NationalBroadcast)) == 1
        assert len(live.emu.find_calls("chat.postMessage")) == posts

        # Their own network stays the default: the same form without the choice goes to force A.
        own = _submit(live, "TFORCEA", NATIONAL_LEAD, form, form_values(title="Only A"))
        assert own["response_action"] == "push"
        assert "every force" not in json.dumps(own["view"])


@pytest.mark.parametrize("forged", ["form", "preview"])
def test_a_force_lead_is_offered_no_national_audience_and_a_forged_one_is_refused(
    db: Database, kb: KnowledgeBase, forged: str
) -> None:
    with deployment(db, kb, workspaces=FORCES, prepare=_prepare) as live:
        for team in FORCES:
            assert live.install(team)[0] == 200
        _seed(db)
        form = _open_form(live, "TFORCEB", FORCE_LEAD)
        assert "audience" not in {b.get("block_id") for b in form["blocks"]}
        if forged == "form":
            # The audience field added by hand to the force lead's own form.
            state = form_values() | {"audience": _audience("national")}
            answer = _submit(live, "TFORCEB", FORCE_LEAD, form, state)
        else:
            # A preview of the lead's own draft, its metadata changed to "national".
            pushed = _submit(live, "TFORCEB", FORCE_LEAD, form, form_values())
            preview = pushed["view"]
            meta = json.loads(preview["private_metadata"]) | {"national": True}
            answer = _submit(
                live, "TFORCEB", FORCE_LEAD, preview | {"private_metadata": json.dumps(meta)}, {}
            )
        assert "Only a national lead can" in json.dumps(answer)
        with db.everywhere() as s:
            assert not list(s.scalars(select(NationalBroadcast)))
            assert not list(s.scalars(select(Broadcast).where(Broadcast.status != "draft")))
            assert not list(
                s.scalars(select(OutboxMessage).where(OutboxMessage.ref.like("broadcast:%")))
            )
        assert not live.emu.find_calls("chat.postMessage", team_id="TFORCEA")
