"""Requests: Accept, Pass, Claim, Resolve, Release, Reassign, Cancel, Add detail, the consult's
feedback, and the "Ask a champion" message shortcut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import replies, requests
from bot.unit import Unit, listen
from bot.views import ids
from bot.views import requests as views
from bot.views.outcomes import read_picks
from bot.views.replies import (
    HELPED,
    NOT_HELPED,
    STALE_BUTTON,
    STALE_FORM,
    back_in_queue,
    request_opened,
)
from handlers.home import publish_home
from handlers.questions import to_person
from handlers.slack_text import to_plain
from handlers.values import StaleInput, field, metadata, number, request_ids


def register(app: App) -> None:
    """Register the request listeners."""
    listen(app.action(ids.ACCEPT), on_claim)
    listen(app.action(ids.CLAIM), on_claim)
    listen(app.action(ids.PASS), on_pass)
    listen(app.action(ids.RELEASE), on_release)
    listen(app.action(ids.CANCEL_REQUEST), on_cancel)
    listen(app.action(ids.HELPED), on_helped)
    listen(app.action(ids.NOT_HELPED), on_not_helped)
    listen(app.action(ids.RESOLVE), on_resolve_button)
    listen(app.action(ids.REASSIGN), on_reassign_button)
    listen(app.action(ids.ADD_DETAIL), on_add_detail_button)
    listen(app.view(ids.RESOLVE_MODAL), on_resolve, errors_block="outcome")
    listen(app.view(ids.REASSIGN_MODAL), on_reassign, errors_block="champion")
    listen(app.view(ids.DETAIL_MODAL), on_add_detail, errors_block="detail")
    listen(app.shortcut(ids.SHORTCUT_ASK), on_shortcut)


def _tell(unit: Unit, body: dict[str, Any], text: str) -> None:
    replies.tell(session=unit.session, to=to_person(body, unit.user_id or ""), text=text)


def _refresh_home(unit: Unit, body: dict[str, Any], client: WebClient) -> None:
    """A button pressed on App Home: publish it again, so it shows what changed."""
    if (body.get("view") or {}).get("type") == "home":
        publish_home(unit, client)


def on_claim(unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    """*Accept* on an offer, or *Claim* in the queue: the first wins."""
    request_id, offer_id = request_ids(action)
    requests.claim(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        champion_id=unit.user_id or "",
        caller=unit.caller,
        offer_id=offer_id,
        now=unit.now,
    )
    _refresh_home(unit, body, client)


def on_pass(unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    """*Pass* on an offer: it moves on to the next champion."""
    _, offer_id = request_ids(action)
    if offer_id is None:
        raise StaleInput(STALE_BUTTON)
    requests.pass_offer(
        session=unit.session,
        settings=unit.settings,
        offer_id=offer_id,
        champion_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    _refresh_home(unit, body, client)


def on_release(unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    """*Release*: the request goes back to the queue."""
    request_id, _ = request_ids(action)
    requests.release(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    if body.get("response_url"):
        _tell(unit, body, back_in_queue(request_id))
    _refresh_home(unit, body, client)  # App Home sends no response URL: its refresh says it


def on_cancel(unit: Unit, action: dict[str, Any]) -> None:
    """*Cancel* by the asker (or a lead)."""
    request_id, _ = request_ids(action)
    requests.cancel(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )


def _record_helped(unit: Unit, body: dict[str, Any], action: dict[str, Any], helped: bool) -> None:
    request_id, _ = request_ids(action)
    requests.record_helped(
        session=unit.session, request_id=request_id, user_id=unit.user_id or "", helped=helped
    )
    _tell(unit, body, HELPED if helped else NOT_HELPED)


def on_helped(unit: Unit, body: dict[str, Any], action: dict[str, Any]) -> None:
    """The asker says the consult helped."""
    _record_helped(unit, body, action, True)


def on_not_helped(unit: Unit, body: dict[str, Any], action: dict[str, Any]) -> None:
    """The asker says the consult did not help."""
    _record_helped(unit, body, action, False)


def _may_act(unit: Unit, request_id: int) -> None:
    requests.check_may_act(
        session=unit.session, request_id=request_id, user_id=unit.user_id or "", caller=unit.caller
    )


def _may_add_detail(unit: Unit, request_id: int) -> None:
    requests.check_may_add_detail(
        session=unit.session, request_id=request_id, user_id=unit.user_id or ""
    )


def _check_then_open(
    unit: Unit,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    check: Callable[[Unit, int], None],
    form: Callable[[int], dict[str, Any]],
) -> None:
    """A button that opens a form about a request: the service's quick check for the caller,
    then the form at once (a trigger id dies in 3 s)."""
    request_id, _ = request_ids(action)
    check(unit, request_id)
    client.views_open(trigger_id=body["trigger_id"], view=form(request_id))


def on_resolve_button(
    unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """*Resolve*: the outcome form, for the champion who has it or a lead."""
    _check_then_open(unit, body, action, client, _may_act, views.resolve_modal)


def on_reassign_button(
    unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """*Reassign*: the form to pick the champion, for the champion who has it or a lead."""
    _check_then_open(unit, body, action, client, _may_act, views.reassign_modal)


def on_add_detail_button(
    unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """*Add detail*: the form for the asker's extra detail."""
    _check_then_open(unit, body, action, client, _may_add_detail, views.detail_modal)


def _submitted(view: dict[str, Any], block: str) -> tuple[int, str]:
    """The request a form is about, and what was entered in its one field."""
    request_id = number(metadata(view).get("request_id"), stale=STALE_FORM)
    state = field(view, block)
    return request_id, str(state.get("value") or state.get("selected_user") or "")


def on_resolve(unit: Unit, ack: Ack, view: dict[str, Any], client: WebClient) -> None:
    """The outcome form: the request is resolved (and the champion's App Home shows it gone,
    should they have pressed *Resolve* there)."""
    request_id, outcome = _submitted(view, "outcome")
    requests.resolve(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        outcome=outcome,
        now=unit.now,
        picks=read_picks((view.get("state") or {}).get("values") or {}),
    )
    unit.after_commit(ack)
    publish_home(unit, client)


def on_reassign(unit: Unit, ack: Ack, view: dict[str, Any], client: WebClient) -> None:
    """The reassign form: the request goes to the champion picked (and off the App Home of
    whoever handed it on)."""
    request_id, champion = _submitted(view, "champion")
    requests.reassign(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        to_champion=champion,
        now=unit.now,
    )
    unit.after_commit(ack)
    publish_home(unit, client)


def on_add_detail(unit: Unit, ack: Ack, view: dict[str, Any]) -> None:
    """The asker's extra detail, passed to whoever has the request."""
    request_id, detail = _submitted(view, "detail")
    requests.add_detail(
        session=unit.session,
        settings=unit.settings,
        request_id=request_id,
        user_id=unit.user_id or "",
        detail=detail,
    )
    unit.after_commit(ack)


def on_shortcut(unit: Unit, shortcut: dict[str, Any]) -> None:
    """The "Ask a champion" message shortcut: the message becomes a request."""
    text = to_plain(str((shortcut.get("message") or {}).get("text") or ""))
    req, _ = requests.create(
        session=unit.session,
        settings=unit.settings,
        asker_id=unit.user_id or "",
        text=text,
        now=unit.now,
    )
    if shortcut.get("response_url"):
        _tell(unit, shortcut, request_opened(req.id, from_message=True))
