"""`/broadcast list` end to end: a broadcast is listed as sent only once Slack has accepted its
post, not when its time has come while the post still waits in the outbox."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.models import OutboxMessage, OutboxStatus, utcnow
from bot.scheduler import sweep
from tests.conftest import LEAD, RunningApp
from tests.e2e.helpers import posts_to, responses
from tests.e2e.test_broadcasts import NETWORK, broadcast, seed


def listed(app: RunningApp) -> str:
    before = len(app.emu.responses)
    app.slack.command(
        "/broadcast", "list", user=LEAD, channel="CGENERAL", response_url=app.emu.response_url("l")
    )
    return json.dumps(responses(app, count=before + 1)[-1].body)


def post_rows(app: RunningApp, title: str) -> list[OutboxMessage]:
    """The outbox rows of posts whose text has `title`."""
    with app.runtime.db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage"))
        return [r for r in rows if title in r.payload]


def test_a_due_broadcast_is_sent_in_the_list_only_once_slack_has_its_post(
    app: RunningApp,
) -> None:
    seed(app)
    at = (utcnow() + timedelta(hours=1)).replace(second=0, microsecond=0)
    broadcast(app, title="Policy at noon", send_at=at)
    assert "Going out now" not in listed(app) and "Scheduled broadcasts* (1)" in listed(app)

    moved = at + timedelta(minutes=1)
    app.runtime.clock = lambda: moved  # its time has come, but no sweep has sent it yet
    waiting = listed(app)
    assert "Policy at noon" in waiting and "Going out now" in waiting
    assert r"\nSent " not in waiting

    sweep(app.runtime)
    posts_to(app, NETWORK, "Policy at noon")
    out = listed(app)
    assert "Going out now" not in out and r"\nSent " in out


def test_a_post_slack_refused_is_listed_as_not_sent(app: RunningApp) -> None:
    seed(app)
    # A network channel Slack does not know: it refuses the post, for good.
    app.runtime.settings = replace(app.runtime.settings, network_channel="CGONE")
    broadcast(app, title="Refused news")
    app.emu.wait_for(  # the outbox gives up on the post once Slack has refused it
        lambda e: any(r.status is OutboxStatus.FAILED for r in post_rows(app, "Refused news"))
    )
    out = listed(app)
    assert "Refused news" in out and "Not sent: Slack refused the post" in out, out
    assert r"\nSent " not in out
