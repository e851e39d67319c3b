"""Times as people read them: Slack's date tokens on Slack surfaces, a named zone everywhere else.

On a Slack surface a time is a `<!date^…>` token, which each reader's client shows in their own
time zone; the fallback (what a client that cannot render the token, a notification or the
console shows) is the same moment in a named zone: the viewer's own where it is known, else the
network's default (Europe/London, so "06:39 GMT" in winter and "06:39 BST" in summer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.broadcasts import zone_or_default

__all__ = ["duration", "local", "plain_time", "slack_time", "zone_label"]


def local(at: datetime, zone: str | None = None) -> datetime:
    """`at` in `zone` (the default zone when None or unknown); naive times are taken as UTC."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone_or_default(zone)))


def zone_label(at: datetime, zone: str | None = None) -> str:
    """The zone's name as people say it at that moment: "GMT", "BST", "CET"; the zone's own name
    where it has no letters-only abbreviation (Asia/Dubai's is "+04", which names nothing)."""
    name = zone_or_default(zone)
    abbreviation = local(at, name).tzname() or ""
    return abbreviation if abbreviation.isalpha() else name


def plain_time(at: datetime, zone: str | None = None, *, with_date: bool = True) -> str:
    """`at` as plain text in a named zone: "Tue 1 Dec 2026 at 06:39 GMT", or "06:39 GMT"."""
    moment = local(at, zone)
    clock = f"{moment:%H:%M} {zone_label(at, zone)}"
    if not with_date:
        return clock
    return f"{moment:%a} {moment.day} {moment:%b %Y} at {clock}"


def slack_time(at: datetime, zone: str | None = None, *, with_date: bool = True) -> str:
    """`at` on a Slack surface (mrkdwn): a date token each reader's client shows in their own
    zone, with a fallback in `zone` that names it."""
    stamp = int(local(at, zone).timestamp())
    fmt = "{date_short_pretty} at {time}" if with_date else "{time}"
    return f"<!date^{stamp}^{fmt}|{plain_time(at, zone, with_date=with_date)}>"


def duration(seconds: float | None) -> str:
    """A span of time as every surface words it, so the figures read the same everywhere."""
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{round(seconds)} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.1f} min" if minutes < 10 else f"{round(minutes)} min"
    return f"{minutes / 60:.1f} h"
