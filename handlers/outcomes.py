"""The officer's word, after a resolved consult, on whether the advice changed what they did."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.services import outcomes
from bot.unit import Unit, listen
from bot.views import ids
from bot.views.replies import CHANGED_PRACTICE, UNCHANGED_PRACTICE
from handlers.values import request_ids


def register(app: App) -> None:
    """Register the outcome feedback listeners."""
    listen(app.action(ids.CHANGED_PRACTICE), on_changed)
    listen(app.action(ids.UNCHANGED_PRACTICE), on_unchanged)


def _record(unit: Unit, action: dict[str, Any], respond: Respond, changed: bool) -> None:
    request_id, _ = request_ids(action)
    outcomes.record_changed(
        session=unit.session,
        request_id=request_id,
        user_id=unit.user_id or "",
        changed=changed,
        now=unit.now,
    )
    text = CHANGED_PRACTICE if changed else UNCHANGED_PRACTICE
    unit.after_commit(lambda: respond(text=text, response_type="ephemeral", replace_original=False))


def on_changed(unit: Unit, action: dict[str, Any], respond: Respond) -> None:
    """The asker says the advice changed what they did."""
    _record(unit, action, respond, True)


def on_unchanged(unit: Unit, action: dict[str, Any], respond: Respond) -> None:
    """The asker says the advice did not change what they did."""
    _record(unit, action, respond, False)
