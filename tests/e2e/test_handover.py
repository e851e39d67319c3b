"""Hand-overs end to end over HTTP: an immediate-risk case flagged to champions, moved on when
its champion goes off duty, resolved with an outcome the officer reads; App Home for a lead."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.models import Offer, OfferStatus, RequestStatus
from tests.conftest import CHAMPION, LEAD, OFFICER, RunningApp
from tests.e2e.helpers import ok_calls, posts_to, responses, text_of, updates_of
from tests.e2e.test_requests import CHAMPION2, click, request_row, seed

DANGER = "he's outside her house right now and says he's going to kill her, what do i do"


def command(app: RunningApp, user: str, text: str) -> str:
    before = len(app.emu.responses)
    resp = app.slack.command(
        "/champion",
        text,
        user=user,
        channel="CGENERAL",
        response_url=app.emu.response_url("/champion"),
    )
    assert resp.status == 200
    return str(responses(app, count=before + 1)[-1].body["text"])


def offers(app: RunningApp) -> list[tuple[str, OfferStatus]]:
    with app.runtime.db.session() as s:
        rows = s.execute(select(Offer.champion_id, Offer.status).order_by(Offer.id))
        return [(c, st) for c, st in rows]


def test_an_urgent_case_moves_on_when_its_champion_goes_off_duty(app: RunningApp) -> None:
    seed(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=DANGER)
    first = posts_to(app, CHAMPION, "Accept")
    assert "Immediate risk" in text_of(first)
    card = posts_to(app, "CQUEUE", "Claim")
    assert "Immediate risk" in text_of(card)
    assert request_row(app).immediate_risk

    assert "off duty" in command(app, CHAMPION, "off")
    updates_of(app, first.args["channel"], first.response["ts"], "went off duty")
    second = posts_to(app, CHAMPION2, "Accept")
    assert "Immediate risk" in text_of(second)
    assert offers(app) == [(CHAMPION, OfferStatus.WITHDRAWN), (CHAMPION2, OfferStatus.PENDING)]

    click(app, CHAMPION2, second, "Accept")
    app.emu.wait_for(lambda e: request_row(app).status is RequestStatus.CLAIMED)
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]
    click(app, CHAMPION2, consult, "Resolve")
    view: Any = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    app.slack.view_submission(
        user=CHAMPION2,
        view=view,
        values={"outcome": {"value": {"type": "plain_text_input", "value": "999 and a DVPN"}}},
    )
    said = posts_to(app, consult.response["channel"], "Outcome")
    assert "999 and a DVPN" in text_of(said)


def test_a_lead_is_shown_no_availability_switch(app: RunningApp) -> None:
    seed(app, CHAMPION)
    app.slack.home_opened(user=LEAD, channel=app.im(LEAD))
    published = app.emu.wait_for(lambda e: ok_calls(app, "views.publish"))[0]
    home = json.dumps(published.args["view"])
    assert "availability_on" not in home and "Your availability" not in home
    assert command(app, LEAD, "on").startswith("Only champions")
