"""Broadcasts: `/broadcast` and its form, preview and list; *Acknowledge*; *Edit*, *Cancel
broadcast*, *Who hasn't acknowledged* and *Remind them* for leads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.broadcasts import CPD_HOURS, SESSION_AT
from bot.domain.errors import FormDidNotOpen
from bot.services import broadcasts
from bot.services import national as national_service
from bot.services.broadcasts import Form
from bot.tenancy import Workspace
from bot.unit import Unit, listen
from bot.views import broadcasts as views
from bot.views import ids
from bot.views import national as national_views
from bot.views.replies import (
    ACK_RECORDED,
    BROADCAST_USAGE,
    STALE_FORM,
    STALE_LIST,
    STALE_PREVIEW,
    already_acknowledged,
)
from handlers import national, profiles
from handlers.home import publish_home
from handlers.values import StaleInput, button_id, field, metadata, number

log = logging.getLogger(__name__)
TITLE = "Broadcasts"


def register(app: App) -> None:
    """Register the broadcast listeners."""
    listen(app.command("/broadcast"), on_broadcast, title=TITLE)
    listen(app.view(ids.BROADCAST_FORM), on_form, errors_block=views.TITLE, title=TITLE)
    listen(app.view(ids.BROADCAST_PREVIEW), on_preview, title="Not sent")
    listen(app.action(ids.BROADCAST_ACK), on_acknowledge, title=TITLE)
    listen(app.action(ids.BROADCAST_EDIT), on_edit, title=TITLE)
    listen(app.action(ids.BROADCAST_CANCEL), on_cancel, title=TITLE)
    listen(app.action(ids.BROADCAST_PENDING), on_pending, title=TITLE)
    listen(app.view(ids.BROADCAST_REMIND), on_remind, title=TITLE)


def _tell(unit: Unit, body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    """After the commit: an ephemeral reply under the message, or a small modal on App Home."""

    def tell() -> None:
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=views.notice_modal(text))

    unit.after_commit(tell)


def _open_form(
    client: WebClient,
    trigger_id: str,
    user_id: str,
    *,
    values: views.FormValues | None = None,
    editing: int | None = None,
    sent: bool = False,
    every_force: bool = False,
) -> None:
    """Open the form at once (a trigger id lasts 3 seconds), then add the lead's time zone. If
    Slack could not open it, the lead is told so and asked to try again. A national lead's
    (`every_force`) also offers every force as the audience."""

    def form(zone: str | None = None) -> dict[str, Any]:
        return views.form_modal(
            values=values, zone=zone, editing=editing, sent=sent, national=every_force
        )

    try:
        opened = client.views_open(trigger_id=trigger_id, view=form())
    except SlackApiError as exc:
        log.warning("the broadcast form could not open: %s", exc.response.get("error"))
        raise FormDidNotOpen(None if editing else "/broadcast") from None
    zone = profiles.zone(client, user_id)
    view = opened.get("view") or {}
    target: dict[str, Any] = {"view_id": view.get("id")}
    if view.get("hash"):
        target["hash"] = view["hash"]  # never overwrite a form the lead has moved on from
    try:
        client.views_update(view=form(zone), **target)
    except SlackApiError as exc:
        # The submission looks the zone up again, so the form still works without it.
        log.info("could not add the time zone to the broadcast form: %s", exc.response.get("error"))


def field_of(view: dict[str, Any], block: str) -> dict[str, Any]:
    """A field of the broadcast form; some are absent (no send time once it has gone)."""
    return field(view, block, required=False)


def _parse_form(view: dict[str, Any], zone: str) -> Form:
    stamp = field_of(view, views.SEND_AT).get("selected_date_time")
    chosen = {
        str(option.get("value"))
        for option in field_of(view, views.OPTIONS).get("selected_options") or []
        if isinstance(option, dict)
    }
    session_stamp = field_of(view, SESSION_AT).get("selected_date_time")
    try:
        send_at = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
        session_at = datetime.fromtimestamp(int(session_stamp), UTC) if session_stamp else None
    except (TypeError, ValueError, OverflowError):
        raise StaleInput(STALE_FORM) from None
    return Form(
        category=(field_of(view, views.CATEGORY).get("selected_option") or {}).get("value"),
        title=str(field_of(view, views.TITLE).get("value") or ""),
        message=str(field_of(view, views.MESSAGE).get("value") or ""),
        links=str(field_of(view, views.LINKS).get("value") or ""),
        send_at=send_at,
        ask_ack=views.ACK_OPTION in chosen,
        dm_champions=views.DM_OPTION in chosen,
        time_zone=zone,
        session_at=session_at,
        cpd_hours=str(field_of(view, CPD_HOURS).get("value") or ""),
    )


def on_broadcast(unit: Unit, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """`/broadcast` (the form), `/broadcast list`, or how to use it."""
    user = unit.user_id or ""
    words = str(command.get("text") or "").split()
    sub = words[0].lower() if words else ""
    if sub == "national":  # national leads: every force at once (handlers/national.py)
        national.on_national(unit, command, respond, words)
        return
    broadcasts.check_may_broadcast(session=unit.session, settings=unit.settings, caller=unit.caller)
    if sub in ("", "new"):
        every_force = national_service.may(unit.caller)
        _open_form(client, str(command.get("trigger_id", "")), user, every_force=every_force)
    elif sub == "list":
        zone = profiles.zone(client, user)
        scheduled, recent = broadcasts.listing(session=unit.session, now=unit.now)
        reply = views.list_reply(scheduled, recent, zone=zone)
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    else:
        respond(text=BROADCAST_USAGE, response_type="ephemeral")


def on_form(unit: Unit, ack: Ack, view: dict[str, Any], client: WebClient) -> None:
    """The broadcast form: saved as a draft, and its preview pushed."""
    user, meta = unit.user_id or "", metadata(view)
    zone = views.zone_or_default(meta.get("zone") or profiles.zone(client, user))
    form = _parse_form(view, zone)
    editing = number(meta["edit"], stale=STALE_FORM) if meta.get("edit") else None
    audience = (field_of(view, views.AUDIENCE).get("selected_option") or {}).get("value")
    if audience == views.EVERY_FORCE and editing is None:
        _national_preview(unit, ack, form, zone)
        return
    preview = broadcasts.save_draft(
        session=unit.session,
        settings=unit.settings,
        author_id=user,
        caller=unit.caller,
        form=form,
        now=unit.now,
        edit_of=editing,
    )
    shown = views.preview_modal(
        draft_id=preview.draft.id,
        draft=preview.shown,
        links=preview.links,
        total=preview.total,
        acked=preview.acked,
        network_channel=str(unit.settings.network_channel),
        zone=zone,
        now=unit.now,
        editing=preview.editing,
    )
    unit.after_commit(lambda: ack(response_action="push", view=shown))


def _national_preview(unit: Unit, ack: Ack, form: Form, zone: str) -> None:
    """The form with "every force" chosen (national leads only): its preview."""
    preview, reach = national_service.save_draft(
        session=unit.session,
        db=unit.db,
        settings=unit.settings,
        author_id=unit.user_id or "",
        caller=unit.caller,
        form=form,
        now=unit.now,
    )
    shown = views.preview_modal(
        draft_id=preview.draft.id,
        draft=preview.shown,
        links=preview.links,
        total=preview.total,
        acked=preview.acked,
        network_channel=str(unit.settings.network_channel),
        zone=zone,
        now=unit.now,
        national=reach,
    )
    unit.after_commit(lambda: ack(response_action="push", view=shown))


def on_preview(unit: Unit, ack: Ack, view: dict[str, Any]) -> None:
    """*Send* on the preview: the broadcast goes out (or is scheduled); a national one to every
    force, and the counts shown."""
    meta = metadata(view)
    draft_id = number(meta.get("draft"), stale=STALE_PREVIEW)
    if meta.get("national"):
        acks = national_service.confirm(
            session=unit.session,
            db=unit.db,
            defaults=unit.defaults,
            draft_id=draft_id,
            user_id=unit.user_id or "",
            caller=unit.caller,
            author=unit.workspace or Workspace("-"),
            now=unit.now,
        )
        if acks is None:  # sent already: this was a repeat
            unit.after_commit(lambda: ack(response_action="clear"))
            return
        done = views.national_sent_modal(national_views.sent_reply(acks))
        unit.after_commit(lambda: ack(response_action="update", view=done))
        return
    broadcasts.confirm(
        session=unit.session,
        settings=unit.settings,
        draft_id=draft_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    unit.after_commit(lambda: ack(response_action="clear"))


def on_acknowledge(
    unit: Unit, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """*Acknowledge* under a broadcast."""
    if (body.get("container") or {}).get("type") == "view":
        return  # the button in a preview: nothing has been sent yet
    done = broadcasts.acknowledge(
        session=unit.session,
        settings=unit.settings,
        broadcast_id=button_id(action),
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    text = ACK_RECORDED if done.new else already_acknowledged(views.slack_time(done.at))
    _tell(unit, body, respond, client, text)


def on_edit(unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    """*Edit*: the form again, filled in with the broadcast."""
    b = broadcasts.editable(
        session=unit.session,
        settings=unit.settings,
        broadcast_id=button_id(action),
        caller=unit.caller,
    )
    values = views.form_values(b, broadcasts.links_of(b))
    sent = broadcasts.is_out(b, unit.now)
    trigger = str(body.get("trigger_id", ""))
    _open_form(client, trigger, unit.user_id or "", values=values, editing=b.id, sent=sent)


def on_cancel(
    unit: Unit, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    """*Cancel broadcast* on a scheduled one."""
    b = broadcasts.cancel(
        session=unit.session,
        settings=unit.settings,
        broadcast_id=button_id(action),
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    if (body.get("view") or {}).get("type") == "home":
        publish_home(unit, client)
    _tell(unit, body, respond, client, views.cancelled_text(b))


def on_pending(unit: Unit, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    """*Who hasn't acknowledged*: the list, with *Remind them*."""
    pending = broadcasts.not_acknowledged(
        session=unit.session,
        settings=unit.settings,
        broadcast_id=button_id(action),
        caller=unit.caller,
    )
    client.views_open(
        trigger_id=str(body.get("trigger_id", "")),
        view=views.pending_modal(
            pending.broadcast, pending.missing, acked=pending.acked, total=pending.total
        ),
    )


def on_remind(unit: Unit, ack: Ack, view: dict[str, Any]) -> None:
    """*Remind them*: one reminder to each champion who hasn't acknowledged."""
    broadcast_id = number(metadata(view).get("broadcast"), stale=STALE_LIST)
    sent = broadcasts.remind(
        session=unit.session,
        settings=unit.settings,
        broadcast_id=broadcast_id,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    unit.after_commit(lambda: ack(response_action="update", view=views.reminded_modal(sent)))
