"""Broadcasts: `/broadcast` and its form, preview and list; *Acknowledge*; *Edit*, *Cancel
broadcast*, *Who hasn't acknowledged* and *Remind them* for leads."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import ServiceError, broadcasts
from bot.services.broadcasts import Form, InvalidBroadcast
from bot.views import broadcasts as views
from bot.views import ids
from handlers.home import publish_home

log = logging.getLogger(__name__)
USAGE = (
    "`/broadcast` writes a broadcast to the network; `/broadcast list` shows the scheduled "
    "ones, to change or cancel them, and the recent ones with who has acknowledged."
)


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _meta(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _zone(client: WebClient, user_id: str) -> str:
    """The person's time zone from their Slack profile (the default zone if Slack can't say)."""
    try:
        info = client.users_info(user=user_id)
    except SlackApiError:
        return views.DEFAULT_ZONE
    return views.zone_or_default(str((info.get("user") or {}).get("tz") or "") or None)


def _from_home(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def _tell(body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    """An ephemeral reply where there is a message to reply under; a small modal on App Home."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    elif body.get("trigger_id"):
        client.views_open(trigger_id=body["trigger_id"], view=views.notice_modal(text))


def _open_form(
    client: WebClient,
    trigger_id: str,
    user_id: str,
    *,
    values: views.FormValues | None = None,
    editing: int | None = None,
    sent: bool = False,
) -> None:
    """Open the form at once (a trigger id lasts 3 seconds), then add the lead's time zone."""
    opened = client.views_open(
        trigger_id=trigger_id, view=views.form_modal(values=values, editing=editing, sent=sent)
    )
    zone = _zone(client, user_id)
    view = opened.get("view") or {}
    target: dict[str, Any] = {"view_id": view.get("id")}
    if view.get("hash"):
        target["hash"] = view["hash"]  # never overwrite a form the lead has moved on from
    try:
        client.views_update(
            view=views.form_modal(values=values, zone=zone, editing=editing, sent=sent), **target
        )
    except SlackApiError as exc:
        # The submission looks the zone up again, so the form still works without it.
        log.info("could not add the time zone to the broadcast form: %s", exc.response.get("error"))


def _parse_form(values: dict[str, Any], zone: str) -> Form:
    def field(block: str) -> dict[str, Any]:
        state = (values.get(block) or {}).get("value") or {}
        return state if isinstance(state, dict) else {}

    stamp = field(views.SEND_AT).get("selected_date_time")
    chosen = {
        str(option.get("value"))
        for option in field(views.OPTIONS).get("selected_options") or []
        if isinstance(option, dict)
    }
    return Form(
        category=(field(views.CATEGORY).get("selected_option") or {}).get("value"),
        title=str(field(views.TITLE).get("value") or ""),
        message=str(field(views.MESSAGE).get("value") or ""),
        links=str(field(views.LINKS).get("value") or ""),
        send_at=datetime.fromtimestamp(int(stamp), UTC) if stamp else None,
        ask_ack=views.ACK_OPTION in chosen,
        dm_champions=views.DM_OPTION in chosen,
        time_zone=zone,
    )


def _errors_on(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by blocks the form has (anything else is shown on the title)."""
    present = {b.get("block_id") for b in view.get("blocks", [])}
    placed: dict[str, str] = {}
    for block, message in errors.items():
        key = block if block in present else views.TITLE
        placed[key] = (placed[key] + " " + message) if key in placed else message
    return placed


def register(app: App, runtime: Runtime) -> None:
    """Register the broadcast listeners."""

    def now() -> datetime:
        return runtime.now()

    @app.command("/broadcast")
    def on_broadcast(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = str(command.get("user_id", ""))
        words = str(command.get("text") or "").split()
        sub = words[0].lower() if words else ""
        try:
            with runtime.db.session() as s:
                broadcasts.check_may_broadcast(session=s, settings=runtime.settings, user_id=user)
        except ServiceError as refused:
            respond(text=str(refused), response_type="ephemeral")
            return
        if sub in ("", "new"):
            _open_form(client, str(command.get("trigger_id", "")), user)
        elif sub == "list":
            zone = _zone(client, user)
            with runtime.db.session() as s:
                scheduled, recent = broadcasts.listing(session=s, now=now())
                reply = views.list_reply(scheduled, recent, zone=zone)
            respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        else:
            respond(text=USAGE, response_type="ephemeral")

    @app.view(ids.BROADCAST_FORM)
    def on_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user, meta = _user(body), _meta(view)
        zone = views.zone_or_default(meta.get("zone") or _zone(client, user))
        try:
            form = _parse_form(view["state"]["values"], zone)
            editing = int(meta["edit"]) if meta.get("edit") else None
        except (KeyError, TypeError, ValueError):
            ack(
                response_action="errors",
                errors={views.TITLE: "This form is out of date; close it and start again."},
            )
            return
        try:
            with runtime.db.session() as s:
                preview = broadcasts.save_draft(
                    session=s,
                    settings=runtime.settings,
                    author_id=user,
                    form=form,
                    now=now(),
                    edit_of=editing,
                )
                shown = views.preview_modal(
                    draft_id=preview.draft.id,
                    draft=preview.shown,
                    links=preview.links,
                    total=preview.total,
                    acked=preview.acked,
                    network_channel=str(runtime.settings.network_channel),
                    zone=zone,
                    now=now(),
                    editing=preview.editing,
                )
        except InvalidBroadcast as invalid:
            ack(response_action="errors", errors=_errors_on(view, invalid.errors))
            return
        except ServiceError as refused:
            ack(response_action="errors", errors=_errors_on(view, {views.TITLE: str(refused)}))
            return
        ack(response_action="push", view=shown)

    @app.view(ids.BROADCAST_PREVIEW)
    def on_preview(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            draft_id = int(_meta(view)["draft"])
        except (KeyError, TypeError, ValueError):
            ack(response_action="update", view=views.notice_modal("This preview is out of date."))
            return
        try:
            with runtime.work_then() as (s, queued):
                broadcasts.confirm(
                    session=s,
                    settings=runtime.settings,
                    draft_id=draft_id,
                    user_id=_user(body),
                    now=now(),
                )
        except ServiceError as refused:
            ack(response_action="update", view=views.notice_modal(str(refused), title="Not sent"))
            return
        ack(response_action="clear")
        runtime.deliver(queued)  # after the reply: a broadcast to many champions takes a while

    @app.action(ids.BROADCAST_ACK)
    def on_acknowledge(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        if (body.get("container") or {}).get("type") == "view":
            return  # the button in a preview: nothing has been sent yet
        queued: list[int] = []
        try:
            broadcast_id = int(action.get("value", ""))
            with runtime.work_then() as (s, queued):
                done = broadcasts.acknowledge(
                    session=s,
                    settings=runtime.settings,
                    broadcast_id=broadcast_id,
                    user_id=_user(body),
                    now=now(),
                )
            message = (
                "Thanks: your acknowledgement is recorded."
                if done.new
                else f"You already acknowledged this on {views.slack_time(done.at, 'UTC')}."
            )
        except ValueError:
            message = "That button is out of date."
        except ServiceError as refused:
            message = str(refused)
        _tell(body, respond, client, message)
        runtime.deliver(queued)

    @app.action(ids.BROADCAST_EDIT)
    def on_edit(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = _user(body)
        try:
            with runtime.db.session() as s:
                b = broadcasts.editable(
                    session=s,
                    settings=runtime.settings,
                    broadcast_id=int(action.get("value", "")),
                    user_id=user,
                )
                values = views.form_values(b, broadcasts.links_of(b))
                sent = broadcasts.is_out(b, now())
        except ValueError:
            _tell(body, respond, client, "That button is out of date.")
            return
        except ServiceError as refused:
            _tell(body, respond, client, str(refused))
            return
        _open_form(
            client, str(body.get("trigger_id", "")), user, values=values, editing=b.id, sent=sent
        )

    @app.action(ids.BROADCAST_CANCEL)
    def on_cancel(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = _user(body)
        try:
            with runtime.work() as s:
                b = broadcasts.cancel(
                    session=s,
                    settings=runtime.settings,
                    broadcast_id=int(action.get("value", "")),
                    user_id=user,
                    now=now(),
                )
            message = views.cancelled_text(b)
        except ValueError:
            message = "That button is out of date."
        except ServiceError as refused:
            message = str(refused)
        if _from_home(body):
            publish_home(runtime, client, user)
        _tell(body, respond, client, message)

    @app.action(ids.BROADCAST_PENDING)
    def on_pending(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        try:
            with runtime.db.session() as s:
                pending = broadcasts.not_acknowledged(
                    session=s,
                    settings=runtime.settings,
                    broadcast_id=int(action.get("value", "")),
                    user_id=_user(body),
                )
        except ValueError:
            _tell(body, respond, client, "That button is out of date.")
            return
        except ServiceError as refused:
            _tell(body, respond, client, str(refused))
            return
        client.views_open(
            trigger_id=str(body.get("trigger_id", "")),
            view=views.pending_modal(
                pending.broadcast, pending.missing, acked=pending.acked, total=pending.total
            ),
        )

    @app.view(ids.BROADCAST_REMIND)
    def on_remind(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        queued: list[int] = []
        try:
            broadcast_id = int(_meta(view)["broadcast"])
            with runtime.work_then() as (s, queued):
                sent = broadcasts.remind(
                    session=s,
                    settings=runtime.settings,
                    broadcast_id=broadcast_id,
                    user_id=_user(body),
                    now=now(),
                )
        except (KeyError, TypeError, ValueError):
            ack(response_action="update", view=views.notice_modal("This list is out of date."))
            return
        except ServiceError as refused:
            ack(response_action="update", view=views.notice_modal(str(refused)))
            return
        ack(response_action="update", view=views.reminded_modal(sent))
        runtime.deliver(queued)
