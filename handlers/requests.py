"""Requests: Accept, Pass, Claim, Resolve, Release, Reassign, Cancel, Add detail, the consult's
feedback, and the "Ask a champion" message shortcut."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services import ServiceError, requests
from bot.views import ids
from bot.views import requests as views
from handlers.slack_text import to_plain

log = logging.getLogger(__name__)


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _ids(action: dict[str, Any]) -> tuple[int, int | None]:
    """`request_id` or `request_id:offer_id` from a button's value."""
    first, _, second = str(action.get("value", "")).partition(":")
    return int(first), int(second) if second else None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App, runtime: Runtime) -> None:
    """Register the request listeners."""

    def button(action_id: str, act: Callable[[str, int, int | None], str | None]) -> None:
        """A button whose work is one service call; refusals come back as an ephemeral line."""

        @app.action(action_id)
        def handler(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            ack()
            try:
                request_id, offer_id = _ids(action)
                message = act(_user(body), request_id, offer_id)
            except ValueError:
                message = "That button is out of date."
            except ServiceError as refused:
                message = str(refused)
            if message:
                _tell(respond, message)

    def claim(user: str, request_id: int, offer_id: int | None) -> None:
        with runtime.work() as s:
            requests.claim(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                champion_id=user,
                offer_id=offer_id,
                now=runtime.now(),
            )

    def pass_(user: str, request_id: int, offer_id: int | None) -> None:
        if offer_id is None:
            raise ValueError("no offer")
        with runtime.work() as s:
            requests.pass_offer(
                session=s,
                settings=runtime.settings,
                offer_id=offer_id,
                champion_id=user,
                now=runtime.now(),
            )

    def release(user: str, request_id: int, _offer: int | None) -> str:
        with runtime.work() as s:
            requests.release(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                user_id=user,
                now=runtime.now(),
            )
        return f"Request #{request_id} is back in the queue."

    def cancel(user: str, request_id: int, _offer: int | None) -> None:
        with runtime.work() as s:
            requests.cancel(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                user_id=user,
                now=runtime.now(),
            )

    button(ids.ACCEPT, claim)
    button(ids.CLAIM, claim)
    button(ids.PASS, pass_)
    button(ids.RELEASE, release)
    button(ids.CANCEL_REQUEST, cancel)

    def helped(value: bool) -> Callable[[str, int, int | None], str]:
        def act(user: str, request_id: int, _offer: int | None) -> str:
            with runtime.work() as s:
                requests.record_helped(session=s, request_id=request_id, user_id=user, helped=value)
            return (
                "Thanks: that helps the network show its value."
                if value
                else ("Thanks for saying so; the leads review every request that didn't help.")
            )

        return act

    button(ids.HELPED, helped(True))
    button(ids.NOT_HELPED, helped(False))

    def modal_button(
        action_id: str, view: Callable[[int], dict[str, Any]], check: Callable[[str, int], None]
    ) -> None:
        """A button that opens a modal at once (trigger ids die in 3 s), after a quick check."""

        @app.action(action_id)
        def handler(
            ack: Ack,
            body: dict[str, Any],
            action: dict[str, Any],
            client: WebClient,
            respond: Respond,
        ) -> None:
            ack()
            try:
                request_id, _ = _ids(action)
                check(_user(body), request_id)
            except ValueError:
                _tell(respond, "That button is out of date.")
                return
            except ServiceError as refused:
                _tell(respond, str(refused))
                return
            client.views_open(trigger_id=body["trigger_id"], view=view(request_id))

    def may_act(user: str, request_id: int) -> None:
        with runtime.db.session() as s:
            requests.check_may_act(session=s, request_id=request_id, user_id=user)

    def may_add(user: str, request_id: int) -> None:
        with runtime.db.session() as s:
            requests.check_may_add_detail(session=s, request_id=request_id, user_id=user)

    modal_button(ids.RESOLVE, views.resolve_modal, may_act)
    modal_button(ids.REASSIGN, views.reassign_modal, may_act)
    modal_button(ids.ADD_DETAIL, views.detail_modal, may_add)

    def submission(callback_id: str, block: str, act: Callable[[str, int, str], None]) -> None:
        @app.view(callback_id)
        def handler(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
            try:
                request_id = int(json.loads(view.get("private_metadata") or "{}")["request_id"])
                state = view["state"]["values"][block]["value"]
                value = state.get("value") or state.get("selected_user") or ""
            except (ValueError, KeyError, TypeError):
                ack(response_action="errors", errors={block: "This form is out of date."})
                return
            try:
                act(_user(body), request_id, str(value))
            except ServiceError as refused:
                ack(response_action="errors", errors={block: str(refused)[:150]})
                return
            ack()

    def resolve(user: str, request_id: int, outcome: str) -> None:
        with runtime.work() as s:
            requests.resolve(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                user_id=user,
                outcome=outcome,
                now=runtime.now(),
            )

    def reassign(user: str, request_id: int, champion: str) -> None:
        with runtime.work() as s:
            requests.reassign(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                user_id=user,
                to_champion=champion,
                now=runtime.now(),
            )

    def add_detail(user: str, request_id: int, detail: str) -> None:
        with runtime.work() as s:
            requests.add_detail(
                session=s,
                settings=runtime.settings,
                request_id=request_id,
                user_id=user,
                detail=detail,
            )

    submission(ids.RESOLVE_MODAL, "outcome", resolve)
    submission(ids.REASSIGN_MODAL, "champion", reassign)
    submission(ids.DETAIL_MODAL, "detail", add_detail)

    @app.shortcut(ids.SHORTCUT_ASK)
    def on_shortcut(ack: Ack, shortcut: dict[str, Any], respond: Respond) -> None:
        ack()
        user = _user(shortcut)
        text = to_plain(str((shortcut.get("message") or {}).get("text") or ""))
        try:
            with runtime.work() as s:
                req, _ = requests.create(
                    session=s,
                    settings=runtime.settings,
                    asker_id=user,
                    text=text,
                    now=runtime.now(),
                )
                message = (
                    f"I've sent that message to the champions as request #{req.id}. "
                    "I'll message you as soon as one has it."
                )
        except ServiceError as refused:
            message = str(refused)
        if shortcut.get("response_url"):
            _tell(respond, message)
