"""CPD: `/champion cpd` (from `handlers.champions`), *Log CPD activity*, *Record a training
session*, their forms, and *I attended* on a training broadcast."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain import cpd as d
from bot.domain.cpd import ActivityForm, ActivityKind, CpdRecord
from bot.services import cpd
from bot.unit import Unit, listen
from bot.views import cpd as views
from bot.views import ids
from bot.views.blocks import Reply
from bot.views.replies import notice_modal
from handlers.home import publish_home
from handlers.values import button_id, field

TITLE = "CPD"


def register(app: App) -> None:
    """Register the CPD listeners."""
    listen(app.action(ids.CPD_LOG), on_log_button, title=TITLE)
    listen(app.action(ids.CPD_SESSION), on_session_button, title=TITLE)
    listen(app.action(ids.CPD_ATTENDED), on_attended, title=TITLE)
    listen(app.view(ids.CPD_ACTIVITY_MODAL), on_activity_form, errors_block=d.TITLE, title=TITLE)
    listen(app.view(ids.CPD_SESSION_MODAL), on_session_form, errors_block=d.ATTENDEES, title=TITLE)


def cpd_reply(unit: Unit) -> Reply:
    """`/champion cpd`: a champion's record, or for a lead where the champions stand."""
    found = cpd.overview(
        session=unit.session,
        settings=unit.settings,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    if isinstance(found, CpdRecord):
        return views.record_reply(found)
    return views.lead_reply(found, required=unit.settings.cpd_hours_per_year)


def on_log_button(unit: Unit, body: dict[str, Any], client: WebClient) -> None:
    """*Log CPD activity*: a quick check, then the form at once (trigger ids die in 3 s)."""
    cpd.check_may_log(caller=unit.caller)
    client.views_open(
        trigger_id=body["trigger_id"], view=views.activity_modal(today=cpd.today_of(unit.now))
    )


def on_session_button(unit: Unit, body: dict[str, Any], client: WebClient) -> None:
    """*Record a training session*: leads only, then the form."""
    cpd.check_may_record(caller=unit.caller)
    client.views_open(
        trigger_id=body["trigger_id"], view=views.session_modal(today=cpd.today_of(unit.now))
    )


def _day(state: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(state.get("selected_date") or ""))
    except ValueError:
        return None


def _form(view: dict[str, Any], *, note: bool) -> ActivityForm:
    """The activity's fields as typed; the rules check them."""
    ticked = field(view, d.KIND, required=False).get("selected_options") or []
    initial = any(isinstance(o, dict) and o.get("value") == views.INITIAL_OPTION for o in ticked)
    return ActivityForm(
        title=str(field(view, d.TITLE).get("value") or ""),
        held_on=_day(field(view, d.HELD_ON)),
        hours=str(field(view, d.HOURS).get("value") or ""),
        provider=str(field(view, d.PROVIDER, required=False).get("value") or ""),
        note=str(field(view, d.NOTE, required=False).get("value") or "") if note else "",
        kind=ActivityKind.INITIAL if initial else ActivityKind.CPD,
    )


def _done(unit: Unit, ack: Ack, client: WebClient, text: str) -> None:
    """The form gives way to what was logged, and App Home shows it."""
    unit.after_commit(
        lambda: ack(response_action="update", view=notice_modal(text, title="CPD logged"))
    )
    publish_home(unit, client)


def on_activity_form(unit: Unit, ack: Ack, view: dict[str, Any], client: WebClient) -> None:
    """A champion's activity form: logged once, however often it is sent."""
    user_id = unit.user_id or ""
    logged = cpd.log(
        session=unit.session,
        user_id=user_id,
        caller=unit.caller,
        form=_form(view, note=True),
        key=str(view.get("id") or "") or None,
        now=unit.now,
    )
    record = cpd.record_of(
        session=unit.session,
        settings=unit.settings,
        user_id=user_id,
        caller=unit.caller,
        now=unit.now,
    )
    _done(unit, ack, client, views.logged_notice(record, again=logged is None))


def on_session_form(unit: Unit, ack: Ack, view: dict[str, Any], client: WebClient) -> None:
    """A lead's training session: logged for every champion picked, each told by DM."""
    picked = field(view, d.ATTENDEES).get("selected_users") or []
    done = cpd.record_session(
        session=unit.session,
        settings=unit.settings,
        lead_id=unit.user_id or "",
        caller=unit.caller,
        form=_form(view, note=False),
        attendees=[str(u) for u in picked if isinstance(u, str)],
        key=str(view.get("id") or "") or None,
        now=unit.now,
    )
    _done(unit, ack, client, views.session_notice(done))


def on_attended(unit: Unit, action: dict[str, Any], respond: Respond) -> None:
    """*I attended* on a training broadcast: logged once, once the session has happened."""
    result = cpd.attend(
        session=unit.session,
        broadcast_id=button_id(action),
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
    )
    text = views.attended_reply(result)
    unit.after_commit(lambda: respond(text=text, response_type="ephemeral", replace_original=False))
