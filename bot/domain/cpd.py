"""Champions' Continuing Professional Development: the form's fields, what was logged, and
where each champion stands against the network's yearly requirement.

A champion meets the requirement while their CPD hours in the last twelve months (the initial
course included) reach `CHAMPBOT_CPD_HOURS_PER_YEAR`; their next CPD is due the day the oldest
of the activities that make up those hours turns a year old.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ORM rows these values carry; never imported at run time
    from bot.models import CpdActivity

# The activity form's fields, by block id: the rules report problems under the same names.
TITLE, HELD_ON, HOURS, PROVIDER, NOTE, KIND, ATTENDEES = (
    "cpd_title",
    "cpd_held_on",
    "cpd_hours",
    "cpd_provider",
    "cpd_note",
    "cpd_kind",
    "cpd_attendees",
)
MAX_TITLE, MAX_PROVIDER, MAX_NOTE = 150, 120, 500
MAX_HOURS = 24.0  # one activity is at most a day's training
MAX_ATTENDEES = 100


class ActivityKind(enum.StrEnum):
    """The initial champion course, or CPD after it."""

    INITIAL = "initial"
    CPD = "cpd"


class ActivitySource(enum.StrEnum):
    """Who logged an activity: the champion, a lead for a session, or *I attended*."""

    SELF = "self"
    LEAD = "lead"
    BROADCAST = "broadcast"


@dataclass(frozen=True)
class ActivityForm:
    """What someone typed into the activity form, as plain values (hours as typed)."""

    title: str
    held_on: date | None
    hours: str
    provider: str = ""
    note: str = ""
    kind: ActivityKind = ActivityKind.CPD


@dataclass(frozen=True)
class Logged:
    """One activity as the rules see it: enough to say where a champion stands."""

    held_on: date
    hours: float
    kind: ActivityKind = ActivityKind.CPD
    provider: str = ""


class CpdState(enum.StrEnum):
    """Where a champion stands on CPD today."""

    MET = "met"  # the requirement is met and not due within the reminder period
    DUE_SOON = "due_soon"  # met now, but due within the reminder period
    BEHIND = "behind"  # fewer hours in the last twelve months than the requirement
    NONE = "none"  # nothing recorded at all


def add_years(day: date, years: int) -> date:
    """`day` moved on by whole years; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Standing:
    """One champion's CPD on `today`."""

    user_id: str
    today: date
    required: float
    hours_last_year: float
    due_on: date | None  # None: nothing is due (no requirement), or nothing recorded yet
    state: CpdState
    initial_on: date | None = None
    initial_provider: str = ""

    @property
    def compliant(self) -> bool:
        """Whether the requirement is met today."""
        return self.state in (CpdState.MET, CpdState.DUE_SOON)

    @property
    def days_left(self) -> int | None:
        """Days until the next CPD is due (negative: overdue); None when nothing is due."""
        return (self.due_on - self.today).days if self.due_on else None


def standing(
    user_id: str,
    logged: Iterable[Logged],
    *,
    today: date,
    required: float,
    reminder_days: int,
) -> Standing:
    """Where `user_id` stands today, from everything they have logged."""
    done = sorted((a for a in logged if a.held_on <= today), key=lambda a: a.held_on, reverse=True)
    initial = next((a for a in done if a.kind is ActivityKind.INITIAL), None)
    year_ago = add_years(today, -1)
    recent = [a for a in done if a.held_on > year_ago]
    hours = round(sum(a.hours for a in recent), 2)
    due: date | None = None
    if not done:
        state = CpdState.NONE
    elif required <= 0:
        state = CpdState.MET
    elif hours + 1e-9 < required:
        state, due = CpdState.BEHIND, today
    else:
        cumulative = 0.0
        for a in recent:  # newest first: the oldest activity still needed sets the due date
            cumulative += a.hours
            if cumulative + 1e-9 >= required:
                due = add_years(a.held_on, 1)
                break
        if due is None and recent:
            due = add_years(recent[-1].held_on, 1)
        soon = due is not None and (due - today) <= timedelta(days=reminder_days)
        state = CpdState.DUE_SOON if soon else CpdState.MET
    return Standing(
        user_id=user_id,
        today=today,
        required=required,
        hours_last_year=hours,
        due_on=due,
        state=state,
        initial_on=initial.held_on if initial else None,
        initial_provider=initial.provider if initial else "",
    )


@dataclass(frozen=True)
class CpdRecord:
    """A champion's CPD as they (and their leads) see it: the standing and every activity
    logged, newest first (ORM rows, for the views)."""

    standing: Standing
    activities: list[CpdActivity] = field(default_factory=list)


@dataclass(frozen=True)
class AttendResult:
    """*I attended*: logged now, already logged before, or the session has not happened yet."""

    logged: bool
    already: bool
    title: str
    held_on: date
    hours: float


@dataclass(frozen=True)
class SessionRecorded:
    """A lead's training session: the champions it was logged for, and any already logged."""

    title: str
    held_on: date
    hours: float
    logged_for: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
