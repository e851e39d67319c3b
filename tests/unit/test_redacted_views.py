"""The redacted forms of the bot's messages: no typed text, no buttons, what became of it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.models import Request, RequestStatus, utcnow
from bot.views import redacted


def _request(status: RequestStatus, *, stale: bool = False) -> Request:
    now = utcnow()
    return Request(
        id=12,
        asker_id="UOFFICER1",
        text="he follows her home",  # still there: the views must not show it regardless
        outcome_note="advised s2A",
        status=status,
        champion_id="UCHAMP1",
        created_at=now,
        sla_due_at=now + timedelta(minutes=30),
        stale_at=now if stale else None,
    )


@pytest.mark.parametrize(
    ("status", "stale", "says"),
    [
        (RequestStatus.RESOLVED, False, "Resolved by <@UCHAMP1>"),
        (RequestStatus.CANCELLED, False, "Cancelled"),
        (RequestStatus.CANCELLED, True, "retention period ran out"),
    ],
)
def test_a_redacted_message_keeps_the_number_and_the_outcome_and_no_text(
    status: RequestStatus, stale: bool, says: str
) -> None:
    reply = redacted.request_message(_request(status, stale=stale), days=90)
    shown = json.dumps(reply.blocks) + reply.text
    assert "Request #12" in shown and "<@UOFFICER1>" in shown and says in shown
    assert "removed under the 90-day retention policy" in shown
    assert "follows" not in shown and "s2A" not in shown
    assert all(b["type"] in ("section", "context") for b in reply.blocks)  # no buttons


def test_the_stale_notices_name_the_request_and_the_period_and_no_text() -> None:
    req = _request(RequestStatus.CANCELLED, stale=True)
    for reply in (
        redacted.stale_to_leads(req, days=1),
        redacted.stale_to_officer(req, days=90),
        redacted.stale_to_champion(req, days=90),
    ):
        shown = json.dumps(reply.blocks) + reply.text
        assert "#12" in shown and "follows" not in shown
    assert "reached the 1-day retention period" in redacted.stale_to_leads(req, days=1).text
    assert "with a champion" in redacted.stale_to_leads(req, days=1).text
