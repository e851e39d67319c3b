"""Champions' CPD in Slack: their record (`/champion cpd`, App Home), the activity and training
session forms, where champions stand for leads, the reminder and *I attended*'s replies."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.domain import cpd as d
from bot.domain.cpd import AttendResult, CpdRecord, CpdState, SessionRecorded, Standing
from bot.models import CpdActivity
from bot.views import ids
from bot.views.blocks import Block, Reply, button, context, input_block, section, text_input
from bot.views.text import escape, truncate

INITIAL_OPTION = "initial"
NO_VICTIM_DETAILS = "This is your own training record: no case or victim details, please."


def day(on: date | None) -> str:
    """A day as people write it: "Tue 1 Dec 2026"."""
    return f"{on:%a} {on.day} {on:%b %Y}" if on else "not set"


def hours(value: float) -> str:
    """ "1.5 hours", "1 hour"."""
    return f"{value:g} hour" + ("" if value == 1 else "s")


def standing_line(s: Standing) -> str:
    """Hours in the last twelve months against the requirement, and when the next is due."""
    done = f"{s.hours_last_year:g} of {s.required:g} hours in the last 12 months"
    if s.state is CpdState.NONE:
        return "No CPD recorded yet: your CPD is due now."
    if s.state is CpdState.BEHIND:
        return f"{done}: your CPD is due now."
    if s.due_on is None:
        return done
    soon = " (soon)" if s.state is CpdState.DUE_SOON else ""
    return f"{done}. Next CPD due by *{day(s.due_on)}*{soon}."


def _initial_line(s: Standing) -> str:
    if s.initial_on is None:
        return (
            "Initial champion course: not recorded yet (log it with *Log CPD activity*, "
            "ticking _my initial champion course_)."
        )
    by = f", {escape(s.initial_provider)}" if s.initial_provider else ""
    return f"Initial champion course: {day(s.initial_on)}{by}."


def _activity_line(a: CpdActivity) -> str:
    bits = [day(a.held_on), f"*{escape(truncate(a.title, 100))}*", hours(a.hours)]
    if a.provider:
        bits.append(escape(truncate(a.provider, 60)))
    line = "• " + " · ".join(bits)
    if a.kind is d.ActivityKind.INITIAL:
        line += " _(initial course)_"
    if a.note:
        line += f"\n    _{escape(truncate(' '.join(a.note.split()), 200))}_"
    return line


def record_blocks(record: CpdRecord, *, heading: str = "Your CPD") -> list[Block]:
    """A champion's record: the initial course, hours against the requirement, the next due
    date, every activity (the latest 20), and *Log CPD activity*."""
    s = record.standing
    lines = [f"*{heading}*", _initial_line(s), standing_line(s)]
    blocks: list[Block] = [section("\n".join(lines))]
    shown = record.activities[:20]
    if shown:
        blocks.append(section(truncate("\n".join(_activity_line(a) for a in shown), 2900)))
        if len(record.activities) > len(shown):
            blocks.append(context(f"and {len(record.activities) - len(shown)} earlier."))
    else:
        blocks.append(context("No activities logged yet."))
    blocks.append(
        {
            "type": "actions",
            "block_id": "cpd",
            "elements": [button("Log CPD activity", ids.CPD_LOG, "log", style="primary")],
        }
    )
    return blocks


def record_reply(record: CpdRecord) -> Reply:
    """`/champion cpd`: the champion's own record."""
    return Reply(text="Your CPD: " + standing_line(record.standing), blocks=record_blocks(record))


STATE_WORDS = {
    CpdState.NONE: "nothing recorded",
    CpdState.BEHIND: "behind",
    CpdState.DUE_SOON: "due soon",
    CpdState.MET: "up to date",
}


def lead_blocks(standings: list[Standing], *, required: float) -> list[Block]:
    """For leads: how many champions meet the requirement, who is behind or due soon, and
    *Record a training session*."""
    met = sum(1 for s in standings if s.compliant)
    head = (
        f"*Champions' CPD* ({required:g} hours a year): {met} of {len(standings)} "
        "meet the requirement"
    )
    late = [s for s in standings if s.state is not CpdState.MET]
    lines = []
    for s in late[:30]:
        due = f", due by {day(s.due_on)}" if s.state is CpdState.DUE_SOON else ""
        lines.append(
            f"• <@{s.user_id}>: {STATE_WORDS[s.state]}, {s.hours_last_year:g} of "
            f"{s.required:g} hours{due}"
        )
    if len(late) > 30:
        lines.append(f"… and {len(late) - 30} more.")
    body = head + ("\n" + "\n".join(lines) if lines else "\nEvery champion is up to date.")
    return [
        section(truncate(body, 2900)),
        {
            "type": "actions",
            "block_id": "cpd-lead",
            "elements": [button("Record a training session", ids.CPD_SESSION, "session")],
        },
    ]


def lead_reply(standings: list[Standing], *, required: float) -> Reply:
    """`/champion cpd` for a lead: where the champions stand."""
    met = sum(1 for s in standings if s.compliant)
    return Reply(
        text=f"Champions' CPD: {met} of {len(standings)} meet the requirement",
        blocks=lead_blocks(standings, required=required),
    )


def _date_input(block: str, label: str, *, initial: date | None) -> Block:
    picker: Block = {"type": "datepicker"}
    if initial is not None:
        picker["initial_date"] = initial.isoformat()
    return input_block(block, label, picker)


def _common(today: date, *, kind_label: str) -> list[Block]:
    return [
        input_block(
            d.TITLE,
            "Title",
            text_input(
                multiline=False,
                max_length=d.MAX_TITLE,
                placeholder="e.g. Paladin webinar: stalking and coercive control",
            ),
        ),
        _date_input(d.HELD_ON, "Date", initial=today),
        input_block(
            d.HOURS,
            "Hours",
            {"type": "number_input", "is_decimal_allowed": True},
            hint="Up to 24 for one day, in hours: 1.5 for an hour and a half.",
        ),
        input_block(
            d.PROVIDER,
            "Provider",
            text_input(multiline=False, max_length=d.MAX_PROVIDER, placeholder="e.g. Paladin"),
            optional=True,
        ),
        input_block(
            d.KIND,
            "Initial course",
            {
                "type": "checkboxes",
                "options": [
                    {"text": {"type": "plain_text", "text": kind_label}, "value": INITIAL_OPTION}
                ],
            },
            optional=True,
        ),
    ]


def _modal(callback_id: str, title: str, submit: str, blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"form": callback_id}),
        "blocks": blocks,
    }


def activity_modal(*, today: date) -> dict[str, Any]:
    """A champion logs one CPD activity in a few fields."""
    blocks = _common(today, kind_label="This was my initial champion course")
    blocks.append(
        input_block(
            d.NOTE,
            "Note",
            text_input(multiline=True, max_length=d.MAX_NOTE),
            optional=True,
            hint=NO_VICTIM_DETAILS,
        )
    )
    return _modal(ids.CPD_ACTIVITY_MODAL, "Log CPD activity", "Log it", blocks)


def session_modal(*, today: date) -> dict[str, Any]:
    """A lead logs one training session for every champion who attended."""
    attendees: Block = {
        "type": "multi_users_select",
        "placeholder": {"type": "plain_text", "text": "Choose the champions who attended"},
        "max_selected_items": d.MAX_ATTENDEES,
    }
    blocks = [
        input_block(d.ATTENDEES, "Champions who attended", attendees),
        *_common(today, kind_label="This was the champions' initial course"),
    ]
    return _modal(ids.CPD_SESSION_MODAL, "Record training", "Record it", blocks)


def logged_notice(record: CpdRecord, *, again: bool) -> str:
    """Said in place of the form once an activity is logged."""
    first = "That activity was already logged." if again else ":white_check_mark: Logged."
    return f"{first} {standing_line(record.standing)}"


def session_notice(done: SessionRecorded) -> str:
    """Said in place of the lead's form once a session is recorded."""
    who = ", ".join(f"<@{u}>" for u in done.logged_for[:30])
    text = (
        f":white_check_mark: *{escape(truncate(done.title, 100))}* ({day(done.held_on)}, "
        f"{hours(done.hours)}) is logged for {len(done.logged_for)} "
        f"champion{'s' if len(done.logged_for) != 1 else ''}" + (f": {who}." if who else ".")
    )
    if done.already:
        text += f" Already logged from this form for {len(done.already)}."
    return text


def session_logged_dm(a: CpdActivity, *, by: str) -> Reply:
    """A champion hears that a lead logged a session on their CPD record."""
    line = (
        f":mortar_board: <@{by}> logged *{escape(truncate(a.title, 100))}* on "
        f"{day(a.held_on)} ({hours(a.hours)}) on your CPD record."
    )
    return Reply(
        text=f"A training session was logged on your CPD record: {truncate(a.title, 100)}",
        blocks=[section(line), context("`/champion cpd` shows your whole record.")],
    )


def reminder_dm(s: Standing, *, network_name: str) -> Reply:
    """The one reminder before a champion's CPD falls due."""
    line = (
        f":bell: Your {escape(network_name)} CPD is due by *{day(s.due_on)}*: "
        f"{s.hours_last_year:g} of {s.required:g} hours in the last 12 months count now, and "
        "some of them will be a year old by then. Book or log a CPD activity before then."
    )
    return Reply(
        text=f"Your CPD is due by {day(s.due_on)}",
        blocks=[
            section(line),
            {
                "type": "actions",
                "block_id": "cpd-remind",
                "elements": [button("Log CPD activity", ids.CPD_LOG, "log", style="primary")],
            },
        ],
    )


def attended_reply(result: AttendResult) -> str:
    """What *I attended* says to the champion who pressed it."""
    what = f"*{escape(truncate(result.title, 100))}* ({day(result.held_on)}, {hours(result.hours)})"
    if result.already:
        return f"You have already logged {what} on your CPD record."
    return f":white_check_mark: {what} is logged on your CPD record. `/champion cpd` shows it."


def attended_button(broadcast_id: int) -> Block:
    """*I attended*, on a training broadcast about a session."""
    return {
        "type": "actions",
        "block_id": "attended",
        "elements": [button("I attended", ids.CPD_ATTENDED, str(broadcast_id))],
    }
