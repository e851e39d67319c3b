"""Hand-overs and danger, in-process through `App.dispatch`: offers moving on when a champion
goes off duty or away, immediate-risk requests, availability for champions only, App Home's
workload and actions, the outcome in the consult, and natural away times."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.models import Member, Offer, OfferStatus, Request, RequestStatus, Role
from bot.services import requests, sweeps
from bot.views import ids
from tests.conftest import CHAMPION, LEAD, OFFICER, DispatchedApp
from tests.handlers.support import LIVE, button_value, posted
from tests.handlers.test_surfaces import add, command

CHAMPION2 = "UCHAMP2"
DANGER = "he's outside her house right now and says he's going to kill her, what do i do"


def _text(call: Any) -> str:
    return json.dumps(call.args.get("blocks")) + str(call.args.get("text", ""))


def _open(app: DispatchedApp, text: str = LIVE) -> int:
    """The officer DMs a live case, as in Slack; the id of the request it opened."""
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=text)
    app.settle()
    with app.runtime.db.session() as s:
        return int(s.scalar(select(Request.id).order_by(Request.id.desc()).limit(1)) or 0)


def _accept(app: DispatchedApp, user: str, request_id: int) -> None:
    """The champion presses *Accept* on the offer DM they were sent."""
    (offer,) = [c for c in posted(app, user) if f"Request #{request_id} " in str(c.args["text"])]
    resp = app.slack.block_action(
        user=user,
        action_id=ids.ACCEPT,
        value=button_value(offer, ids.ACCEPT),
        response_url=app.emu.response_url("accept"),
        channel=offer.response["channel"],
        message_ts=offer.response["ts"],
    )
    assert resp.status == 200
    app.settle()


def _offers(app: DispatchedApp, request_id: int) -> list[tuple[str, OfferStatus]]:
    with app.runtime.db.session() as s:
        rows = s.execute(
            select(Offer.champion_id, Offer.status)
            .where(Offer.request_id == request_id)
            .order_by(Offer.id)
        )
        return [(c, st) for c, st in rows]


def _set_duty(app: DispatchedApp, user: str, on: bool) -> None:
    with app.runtime.db.session() as s:
        member = s.scalar(select(Member).where(Member.slack_user_id == user))
        assert member is not None
        member.on_duty = on


def _home(app: DispatchedApp, user: str) -> dict[str, Any]:
    before = len(app.emu.find_calls("views.publish", ok=True))
    app.slack.home_opened(user=user, channel=app.im(user))
    app.settle()
    calls = app.emu.find_calls("views.publish", ok=True)[before:]
    view = calls[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def _actions(view: dict[str, Any]) -> list[tuple[str, str]]:
    """(action_id, value) of every button on a view."""
    out = []
    for block in view["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                out.append((element["action_id"], element.get("value", "")))
    return out


def _home_click(app: DispatchedApp, user: str, action_id: str, value: str) -> None:
    """A button on App Home: Slack sends the home view and no response URL."""
    before = len(app.emu.responses)
    resp = app.slack.block_action(
        user=user,
        action_id=action_id,
        value=value,
        response_url="",
        view={"id": "VHOME", "type": "home"},
    )
    assert resp.status == 200
    app.settle()
    assert len(app.emu.responses) == before  # nothing sent to a response URL App Home lacks


# 1. Going off duty or away moves offers on


def test_off_duty_moves_every_pending_offer_on_at_once(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION)
    add(bolt, CHAMPION2, Role.CHAMPION, on_duty=False)
    add(bolt, LEAD, Role.LEAD)
    first, second = _open(bolt), _open(bolt)
    assert _offers(bolt, first) == [(CHAMPION, OfferStatus.PENDING)]
    assert _offers(bolt, second) == [(CHAMPION, OfferStatus.PENDING)]
    _set_duty(bolt, CHAMPION2, True)

    reply = command(bolt, "/champion", "off", CHAMPION)["text"]
    assert "off duty" in reply and "0 of 3" in reply
    for rid in (first, second):
        assert _offers(bolt, rid) == [
            (CHAMPION, OfferStatus.WITHDRAWN),
            (CHAMPION2, OfferStatus.PENDING),
        ]
    edits = [c for c in bolt.emu.find_calls("chat.update", ok=True) if "went off duty" in _text(c)]
    assert len(edits) == 2  # both of the first champion's offers say where they went
    assert len([c for c in posted(bolt, CHAMPION2) if "Accept" in _text(c)]) == 2
    # Someone else had it: the officer is not bothered.
    assert not [c for c in posted(bolt, OFFICER) if "no longer available" in _text(c)]

    # The second goes away: nobody is left, so the officer and the leads hear it.
    reply = command(bolt, "/champion", "away for 3h", CHAMPION2)["text"]
    assert "away until" in reply and "0 of 3" in reply
    for rid in (first, second):
        assert _offers(bolt, rid)[-1] == (CHAMPION2, OfferStatus.WITHDRAWN)
    told = [c for c in posted(bolt, OFFICER) if "no longer available" in _text(c)]
    assert len(told) == 2 and f"<@{CHAMPION2}>" in _text(told[0])
    assert [c for c in posted(bolt, LEAD) if "No champion is available" in _text(c)]


def test_home_off_duty_button_moves_offers_on(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION)
    rid = _open(bolt)
    add(bolt, CHAMPION2, Role.CHAMPION)
    _home_click(bolt, CHAMPION, ids.AVAILABILITY_OFF, "off")
    assert _offers(bolt, rid) == [
        (CHAMPION, OfferStatus.WITHDRAWN),
        (CHAMPION2, OfferStatus.PENDING),
    ]


# 2. Immediate risk


def test_immediate_risk_is_flagged_queued_and_routed_first_on_its_own_sla(
    bolt: DispatchedApp,
) -> None:
    add(bolt, LEAD, Role.LEAD)
    routine = _open(bolt)
    urgent = _open(bolt, DANGER)
    with bolt.runtime.db.session() as s:
        urgent_req = s.get(Request, urgent)
        assert urgent_req is not None and urgent_req.immediate_risk
        assert urgent_req.sla_due_at - urgent_req.created_at == timedelta(seconds=600)
        routine_req = s.get(Request, routine)
        assert routine_req is not None and not routine_req.immediate_risk
        assert routine_req.sla_due_at - routine_req.created_at == timedelta(seconds=1800)
        # front of the queue, though it came second
        assert [r.id for r in requests.queue(session=s)] == [urgent, routine]
        # escalates at ten minutes while the routine one is not yet due
        at = urgent_req.created_at + timedelta(seconds=601)
        assert sweeps.due_escalations(session=s, now=at) == [urgent]
    cards = [c for c in posted(bolt, "CQUEUE") if f"Request #{urgent}" in _text(c)]
    assert cards and "Immediate risk" in _text(cards[0])
    plain = [c for c in posted(bolt, "CQUEUE") if f"Request #{routine}" in _text(c)]
    assert plain and "Immediate risk" not in _text(plain[0])

    # A champion with room for one comes on duty: the urgent request is offered, not the older.
    add(bolt, CHAMPION, Role.CHAMPION, on_duty=False)
    with bolt.runtime.db.session() as s:
        member = s.scalar(select(Member).where(Member.slack_user_id == CHAMPION))
        assert member is not None
        member.max_active = 1
    command(bolt, "/champion", "on", CHAMPION)
    assert _offers(bolt, urgent) == [(CHAMPION, OfferStatus.PENDING)]
    assert _offers(bolt, routine) == []
    (offer,) = [c for c in posted(bolt, CHAMPION) if "Accept" in _text(c)]
    assert "Immediate risk" in _text(offer) and "(immediate risk)" in offer.args["text"]
    home = json.dumps(_home(bolt, CHAMPION))
    assert "Immediate risk" in home


# 3. Availability for champions only


def test_availability_controls_only_for_champions(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION)
    add(bolt, LEAD, Role.LEAD)
    add(bolt, "UADMIN1", Role.ADMIN)
    switch = {ids.AVAILABILITY_ON, ids.AVAILABILITY_OFF}
    assert switch <= {a for a, _ in _actions(_home(bolt, CHAMPION))}
    for user in (LEAD, "UADMIN1"):
        view = _home(bolt, user)
        assert not switch & {a for a, _ in _actions(view)}
        assert "Your availability" not in json.dumps(view)
    assert command(bolt, "/champion", "on", LEAD)["text"].startswith("Only champions")
    assert command(bolt, "/champion", "away for 3h", LEAD)["text"].startswith("Only champions")
    status = command(bolt, "/champion", "status", LEAD)["text"]
    assert "on duty" not in status and "no availability to set" in status
    assert command(bolt, "/champion", "status", OFFICER)["text"].startswith("Only champions")
    assert "on duty" in command(bolt, "/champion", "status", CHAMPION)["text"]


# 4. App Home agrees with status; actions on every held request; the outcome reaches the officer


def test_home_counts_what_status_counts_and_every_held_request_has_its_actions(
    bolt: DispatchedApp,
) -> None:
    add(bolt, CHAMPION, Role.CHAMPION)
    held_id, offered_id = _open(bolt), _open(bolt)
    _accept(bolt, CHAMPION, held_id)
    with bolt.runtime.db.session() as s:
        offer = requests.pending_offer_for(session=s, request_id=offered_id)
        assert offer is not None
        offer_value = f"{offered_id}:{offer.id}"
    assert "2 of 3 requests and offers" in command(bolt, "/champion", "status", CHAMPION)["text"]
    view = _home(bolt, CHAMPION)
    assert "*Requests you have* (2)" in json.dumps(view)
    buttons = _actions(view)
    rid = str(held_id)
    for action in (ids.RESOLVE, ids.RELEASE, ids.REASSIGN):
        assert (action, rid) in buttons
    assert (ids.ACCEPT, offer_value) in buttons and (ids.PASS, offer_value) in buttons

    # Resolve on App Home opens the outcome form; Release puts it back and refreshes the Home.
    _home_click(bolt, CHAMPION, ids.RESOLVE, rid)
    assert bolt.emu.find_calls("views.open", ok=True)
    publishes = len(bolt.emu.find_calls("views.publish", ok=True))
    _home_click(bolt, CHAMPION, ids.RELEASE, rid)
    with bolt.runtime.db.session() as s:
        released = s.get(Request, held_id)
        assert released is not None and released.status is RequestStatus.OPEN
    assert len(bolt.emu.find_calls("views.publish", ok=True)) == publishes + 1
    assert "1 of 3" in command(bolt, "/champion", "status", CHAMPION)["text"]
    assert "*Requests you have* (1)" in json.dumps(_home(bolt, CHAMPION))


def test_the_outcome_is_posted_in_the_consult_for_the_officer(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION)
    rid = _open(bolt)
    _accept(bolt, CHAMPION, rid)
    (intro,) = [
        c for c in bolt.emu.find_calls("chat.postMessage", ok=True) if "Resolve" in _text(c)
    ]
    consult = intro.response["channel"]
    _home_click(bolt, CHAMPION, ids.RESOLVE, str(rid))
    view = bolt.emu.find_calls("views.open", ok=True)[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    outcome = "Advised a s2A charge and an interim <SPO> application"
    resp = bolt.slack.view_submission(
        user=CHAMPION,
        view=view,
        values={"outcome": {"value": {"type": "plain_text_input", "value": outcome}}},
    )
    assert resp.status == 200
    bolt.settle()
    said = [c for c in posted(bolt, consult) if "Outcome" in _text(c)]
    assert len(said) == 1
    assert "interim &lt;SPO&gt; application" in _text(said[0])  # escaped, as typed
    assert "<SPO>" not in json.dumps(said[0].args["blocks"]) + said[0].args["text"]
    assert f"<@{CHAMPION}> has resolved request *#{rid}*" in _text(said[0])


# 5. Natural away times, in the champion's own zone


def test_away_until_friday_five_in_the_champions_zone(bolt: DispatchedApp) -> None:
    ny = "UCHAMPNY"
    bolt.emu.add_user(ny, name="nadia", tz="America/New_York")
    add(bolt, ny, Role.CHAMPION)
    reply = command(bolt, "/champion", "away until friday 17:00", ny)["text"]
    assert "away until" in reply
    with bolt.runtime.db.session() as s:
        member = s.scalar(select(Member).where(Member.slack_user_id == ny))
        assert member is not None and member.away_until is not None
        local = member.away_until.astimezone(ZoneInfo("America/New_York"))
    assert (local.strftime("%A"), local.hour, local.minute) == ("Friday", 17, 0)
    assert timedelta(0) < member.away_until - bolt.runtime.now() <= timedelta(days=7)

    for typed in ("until teatime on the moon", "until yesterday"):
        refusal = command(bolt, "/champion", f"away {typed}", ny)["text"]
        assert "until friday 17:00" in refusal and "for 3h" in refusal
    assert "for 2 days" in command(bolt, "/champion", "dance", ny)["text"]
