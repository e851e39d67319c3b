"""`/broadcast list` end to end: a broadcast is listed as sent only once Slack has accepted its
post, not when its time has come while the post still waits in the outbox."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.models import utcnow
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
    app.emu.inject("chat.postMessage", status=200, error="channel_not_found", times=1)
    broadcast(app, title="Refused news")
    app.emu.wait_for(lambda e: [c for c in e.find_calls("chat.postMessage") if c.injected] or None)
    out = listed(app)
    assert "Refused news" in out and "Not sent: Slack refused the post" in out
    assert r"\nSent " not in out
