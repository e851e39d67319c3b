"""Retention over real HTTP: once a request's text is purged, the bot's own Slack messages that
quoted it (offer, queue card, consult introduction, outcome, lead alerts) show the redacted
form in Slack, and a request left open past retention is closed with the leads told."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.models import RequestStatus, utcnow
from bot.scheduler import purge_expired_text, sweep
from tests.conftest import CHAMPION, LEAD, OFFICER, OTHER_OFFICER, RunningApp
from tests.e2e.helpers import ok_calls, posts_to, text_of
from tests.e2e.test_requests import click, request_row, seed, settled
from tests.services.test_retention import MARKER, marker_cells

LIVE = f"my victim says her ex {MARKER} keeps turning up at her work, what should i charge him"


def shown(app: RunningApp, channel: str, ts: str) -> str:
    """What Slack shows of one message now (not its edit history)."""
    (message,) = [m for m in app.emu.messages(channel) if m["ts"] == ts]
    return json.dumps({k: v for k, v in message.items() if k != "edits"})


def quoting_posts(app: RunningApp) -> list[tuple[str, str]]:
    """(channel, ts) of every message the bot posted that carried the typed text."""
    return [
        (c.response["channel"], c.response["ts"])
        for c in ok_calls(app, "chat.postMessage")
        if MARKER in text_of(c)
    ]


def resolve(app: RunningApp, user: str, outcome: str) -> None:
    consult = app.emu.wait_for(
        lambda e: [c for c in ok_calls(app, "chat.postMessage") if "Resolve" in text_of(c)]
    )[0]
    click(app, user, consult, "Resolve")
    view: Any = app.emu.wait_for(lambda e: ok_calls(app, "views.open"))[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {"outcome": {"value": {"type": "plain_text_input", "value": outcome}}}
    assert app.slack.view_submission(user=user, view=view, values=values).status == 200


def test_slack_shows_the_redacted_form_of_the_bots_messages_for_purged_requests(
    app: RunningApp,
) -> None:
    seed(app, CHAMPION)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=LIVE)
    offer = posts_to(app, CHAMPION, "Accept")
    posts_to(app, "CQUEUE", MARKER)
    click(app, CHAMPION, offer, "Accept")
    resolve(app, CHAMPION, f"advised s2A {MARKER}")
    app.emu.wait_for(lambda e: request_row(app).status is RequestStatus.RESOLVED)
    # A second request nobody takes: the one champion has gone off duty, so the lead is told.
    off = app.slack.command(
        "/champion",
        "off",
        user=CHAMPION,
        channel=app.im(CHAMPION),
        response_url=app.emu.response_url("off"),
    )
    assert off.status == 200
    app.emu.wait_for(lambda e: e.responses)
    app.slack.dm(user=OTHER_OFFICER, channel=app.im(OTHER_OFFICER), text=LIVE)
    posts_to(app, LEAD, MARKER)
    app.emu.wait_for(lambda e: settled(app))
    quoted = quoting_posts(app)
    # Offers, queue cards, the consult, the outcome and the lead's alert all quoted it.
    assert len(quoted) >= 5
    assert all(MARKER in shown(app, channel, ts) for channel, ts in quoted)

    future = utcnow() + timedelta(days=100)
    app.runtime.clock = lambda: future
    purge_expired_text(app.runtime)
    sweep(app.runtime)  # the clock's next sweep delivers the edits

    app.emu.wait_for(lambda e: all(MARKER not in shown(app, channel, ts) for channel, ts in quoted))
    for channel, ts in quoted:
        assert "removed under the 90-day retention policy" in shown(app, channel, ts)
        assert '"type": "button"' not in shown(app, channel, ts)
    stale = posts_to(app, LEAD, "reached the 90-day retention period")
    assert "closed" in text_of(stale) and MARKER not in text_of(stale)
    posts_to(app, OTHER_OFFICER, "reached the 90-day retention period")
    assert marker_cells(app.runtime.db) == []
