"""The CPD activity form's rules: each field checked, every problem reported by its field."""

from __future__ import annotations

import math
from datetime import date

from bot.domain import cpd as d
from bot.domain.cpd import ActivityForm
from bot.domain.errors import InvalidActivity

OLDEST_YEARS = 10  # an activity older than this is a typing mistake, not a record


def _hours(raw: str) -> tuple[float | None, str | None]:
    text = raw.strip().replace(",", ".")
    if not text:
        return None, "Give the hours, for example 1.5."
    try:
        hours = float(text)
    except ValueError:
        return None, "Give the hours as a number, for example 1.5."
    if not math.isfinite(hours) or hours <= 0:
        return None, "Give a number of hours more than 0, for example 1.5."
    if hours > d.MAX_HOURS:
        return None, (
            f"One activity is at most {d.MAX_HOURS:g} hours (a day). Log a course of several "
            "days as one activity per day."
        )
    return round(hours, 2), None


def check_form(form: ActivityForm, *, today: date) -> tuple[str, date, float, str, str | None]:
    """The form's values, cleaned; InvalidActivity with every problem by field otherwise."""
    errors: dict[str, str] = {}
    title = " ".join(form.title.split())
    if not title:
        errors[d.TITLE] = "Give the activity a title, for example: Paladin stalking CPD webinar."
    elif len(title) > d.MAX_TITLE:
        errors[d.TITLE] = f"Keep the title to {d.MAX_TITLE} characters (it is {len(title):,})."
    if form.held_on is None:
        errors[d.HELD_ON] = "Choose the date of the activity."
    elif form.held_on > today:
        errors[d.HELD_ON] = (
            "That date is in the future. Log an activity once it has happened; you can come "
            "back to log it then."
        )
    elif form.held_on < d.add_years(today, -OLDEST_YEARS):
        errors[d.HELD_ON] = f"Choose a date within the last {OLDEST_YEARS} years."
    hours, problem = _hours(form.hours)
    if problem:
        errors[d.HOURS] = problem
    provider = " ".join(form.provider.split())
    if len(provider) > d.MAX_PROVIDER:
        errors[d.PROVIDER] = f"Keep the provider to {d.MAX_PROVIDER} characters."
    note = form.note.strip()
    if len(note) > d.MAX_NOTE:
        errors[d.NOTE] = f"Keep the note to {d.MAX_NOTE} characters (it is {len(note):,})."
    if errors or hours is None or form.held_on is None:
        raise InvalidActivity(errors)
    return title, form.held_on, hours, provider, note or None
