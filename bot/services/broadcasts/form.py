"""The broadcast form: what a lead typed, checked field by field and kept as a draft.

The problems are plain sentences keyed by the form's fields (Slack shows a modal's errors
as plain text).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.broadcasts import (
    CATEGORY,
    CPD_HOURS,
    LINKS,
    MAX_MESSAGE,
    MAX_TITLE,
    MESSAGE,
    SEND_AT,
    SESSION_AT,
    TITLE,
    Form,
    Link,
    Preview,
    zone_or_default,
)
from bot.domain.errors import InvalidBroadcast
from bot.models import Broadcast, BroadcastCategory, BroadcastStatus
from bot.services.broadcasts.access import champions, check_may_broadcast, counts, editable, is_out

MAX_LINKS = 3
MAX_URL = 1000
MAX_LABEL = 75
MAX_AHEAD = timedelta(days=366)
MAX_SESSION_HOURS = 24.0


def parse_links(raw: str) -> list[Link]:
    """Up to three lines of "https://address optional name"; InvalidBroadcast otherwise."""
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise InvalidBroadcast(
            {LINKS: f"Add up to {MAX_LINKS} links, one per line (there are {len(lines)})."}
        )
    links = []
    for line in lines:
        url, _, label = line.partition(" ")
        url, label = url.strip().strip("<>"), " ".join(label.split())
        parts = urlsplit(url) if len(url) <= MAX_URL else None
        host = (parts.hostname or "") if parts else ""
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or "." not in host
            or any(c in url for c in "<>|\"'")
        ):
            raise InvalidBroadcast(
                {
                    LINKS: f"“{url[:60]}” is not a web address. Each line should start with "
                    "one, like https://www.college.police.uk/…"
                }
            )
        if len(label) > MAX_LABEL:
            raise InvalidBroadcast({LINKS: f"Keep each link's name to {MAX_LABEL} characters."})
        links.append(Link(url, label))
    return links


def _session_hours(raw: str) -> float | None:
    try:
        hours = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return round(hours, 2) if math.isfinite(hours) and 0 < hours <= MAX_SESSION_HOURS else None


def session_problems(
    form: Form, category: BroadcastCategory | None, *, now: datetime
) -> dict[str, str]:
    """What is wrong with a training session's time and CPD hours, by field (both or neither;
    training and CPD broadcasts only)."""
    hours_typed = form.cpd_hours.strip()
    if form.session_at is None and not hours_typed:
        return {}
    if category is not None and category is not BroadcastCategory.TRAINING:
        field = SESSION_AT if form.session_at is not None else CPD_HOURS
        return {field: "A session time and CPD hours are for training and CPD broadcasts only."}
    problems: dict[str, str] = {}
    if form.session_at is None:
        problems[SESSION_AT] = "Give the time the session starts, with its CPD hours."
    elif abs(form.session_at - now) > MAX_AHEAD:
        problems[SESSION_AT] = "Choose a session time within a year of today."
    if not hours_typed:
        problems[CPD_HOURS] = "Give the CPD hours the session is worth, for example 1.5."
    elif _session_hours(hours_typed) is None:
        problems[CPD_HOURS] = (
            f"Give the CPD hours as a number more than 0 and at most {MAX_SESSION_HOURS:g}, "
            "for example 1.5."
        )
    return problems


def session_values(form: Form) -> tuple[datetime | None, float | None]:
    """A checked form's session time and CPD hours (None and None for no session)."""
    if form.session_at is None:
        return None, None
    return form.session_at, _session_hours(form.cpd_hours)


def _validate(
    form: Form, *, now: datetime, out: bool
) -> tuple[BroadcastCategory, str, str, list[Link]]:
    errors: dict[str, str] = {}
    category: BroadcastCategory | None = None
    try:
        category = BroadcastCategory(form.category or "")
    except ValueError:
        errors[CATEGORY] = "Choose a category."
    title = " ".join(form.title.split())
    if not title:
        errors[TITLE] = "Give the broadcast a title."
    elif len(title) > MAX_TITLE:
        errors[TITLE] = f"Keep the title to {MAX_TITLE} characters (it is {len(title):,})."
    message = form.message.strip()
    if not message:
        errors[MESSAGE] = "Write the message the network should read."
    elif len(message) > MAX_MESSAGE:
        errors[MESSAGE] = (
            f"Keep the message to {MAX_MESSAGE:,} characters (it is {len(message):,}); "
            "put the detail behind a link."
        )
    links: list[Link] = []
    try:
        links = parse_links(form.links)
    except InvalidBroadcast as bad:
        errors.update(bad.errors)
    if not out and form.send_at is not None:
        if form.send_at <= now:
            errors[SEND_AT] = (
                "That time has already passed. Choose a time in the future, or leave it empty "
                "to send now."
            )
        elif form.send_at > now + MAX_AHEAD:
            errors[SEND_AT] = "Choose a time within the next year."
    errors.update(session_problems(form, category, now=now))
    if errors or category is None:
        raise InvalidBroadcast(errors)
    return category, title, message, links


def save_draft(
    *,
    session: Session,
    settings: Settings,
    author_id: str,
    form: Form,
    now: datetime,
    edit_of: int | None = None,
) -> Preview:
    """Check the form and keep it as a draft for the preview; nothing is sent yet."""
    check_may_broadcast(session=session, settings=settings, user_id=author_id)
    original = None
    if edit_of is not None:
        original = editable(
            session=session, settings=settings, broadcast_id=edit_of, user_id=author_id
        )
    out = original is not None and is_out(original, now)
    category, title, message, links = _validate(form, now=now, out=out)
    draft = Broadcast(
        author_id=original.author_id if original else author_id,
        category=category,
        title=title,
        body=message,
        links=json.dumps([[link.url, link.label] for link in links]),
        send_at=original.send_at if original and out else form.send_at,
        ask_ack=form.ask_ack,
        dm_champions=original.dm_champions if original and out else form.dm_champions,
        status=BroadcastStatus.DRAFT,
        revision=1,
        edit_of=original.id if original else None,
        time_zone=zone_or_default(form.time_zone),
        created_at=now,
        edited_at=now if out else None,
    )
    draft.session_at, draft.cpd_hours = session_values(form)
    session.add(draft)
    session.flush()
    shown = draft
    acked, total = 0, len(champions(session))
    if original is not None:
        # What the post will look like: the original's id (its buttons), the draft's words.
        shown = Broadcast(
            **{
                column: getattr(draft, column)
                for column in (
                    "author_id",
                    "category",
                    "title",
                    "body",
                    "links",
                    "send_at",
                    "ask_ack",
                    "dm_champions",
                    "time_zone",
                    "edited_at",
                    "session_at",
                    "cpd_hours",
                )
            },
            id=original.id,
            status=original.status,
        )
        acked, total = counts(session, original.id)
    return Preview(draft, shown, links, acked, total, original)
