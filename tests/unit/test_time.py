"""Times as people read them: Slack's date tokens and fallbacks that name their zone."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views.time import duration, plain_time, slack_time

WINTER = datetime(2026, 12, 1, 6, 39, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 6, 39, tzinfo=UTC)


def test_the_default_zone_is_london_named_as_people_say_it() -> None:
    assert plain_time(WINTER) == "Tue 1 Dec 2026 at 06:39 GMT"
    # Summer time: an hour on, and called BST, which "UTC" labels got wrong half the year.
    assert plain_time(SUMMER, with_date=False) == "07:39 BST"


def test_a_known_zone_is_used_and_named() -> None:
    assert plain_time(WINTER, "Asia/Kolkata") == "Tue 1 Dec 2026 at 12:09 IST"
    # Zones whose abbreviation is only an offset are named by the zone itself.
    assert plain_time(WINTER, "Asia/Dubai", with_date=False) == "10:39 Asia/Dubai"
    assert plain_time(WINTER, "Not/AZone", with_date=False) == "06:39 GMT"


def test_slack_token_carries_the_moment_and_a_named_fallback() -> None:
    stamp = int(WINTER.timestamp())
    assert slack_time(WINTER) == (
        f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|Tue 1 Dec 2026 at 06:39 GMT>"
    )
    assert slack_time(SUMMER, with_date=False) == (
        f"<!date^{int(SUMMER.timestamp())}^{{time}}|07:39 BST>"
    )
    # A naive time is read as UTC, never as the machine's local time.
    assert slack_time(WINTER.replace(tzinfo=None)) == slack_time(WINTER)


def test_durations_read_the_same_on_every_surface() -> None:
    assert duration(None) == "–"
    assert duration(30) == "30 s"
    assert duration(150) == "2.5 min"
    assert duration(1500) == "25 min"
    assert duration(3 * 3600) == "3.0 h"
