"""The console's reading of Slack markup and typed names, and its durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.console_clock import ConsoleClock, parse_duration
from bot.console_text import Markup, mentions

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
NAMES = {"UOLIVIA": "olivia", "CNETWORK": "network"}


def markup(zone: str = "Europe/London") -> Markup:
    return Markup(NAMES, zone=zone, clock=lambda: NOW)


def test_people_channels_links_emoji_bold_and_entities() -> None:
    text = (
        "*Request #1* from <@UOLIVIA> in <#CNETWORK> and <#CQUEUE|queue>: :rotating_light: "
        "_see_ <https://www.cps.gov.uk/x|CPS guidance> &amp; <https://gov.uk> &lt;b&gt; "
        "<!here> snake_case_name 2*3*4 :not_an_emoji:"
    )
    assert markup().plain(text) == (
        "Request #1 from @olivia in #network and #queue: 🚨 see CPS guidance "
        "(https://www.cps.gov.uk/x) & https://gov.uk <b> @here snake_case_name 2*3*4 "
        ":not_an_emoji:"
    )


def test_a_date_token_is_the_time_in_the_readers_zone() -> None:
    at = int(datetime(2026, 7, 1, 5, 40, tzinfo=UTC).timestamp())
    token = f"claim by <!date^{at}^{{time}}|05:40 UTC>"
    assert markup().plain(token) == "claim by 06:40"  # BST in July
    assert markup("Asia/Kolkata").plain(token) == "claim by 11:10"
    pretty = f"<!date^{at}^{{date_short_pretty}} at {{time}}|x>"
    assert markup().plain(pretty) == "today at 06:40"
    tomorrow = at + 86400
    assert markup().plain(f"<!date^{tomorrow}^{{date_short_pretty}}|x>") == "tomorrow"
    assert markup().plain(f"<!date^{at + 2 * 86400}^{{date_long}}|x>") == "Friday, July 3rd, 2026"


def test_typed_names_become_mentions_as_slack_converts_them() -> None:
    people = {"omar": "UOMAR", "chris": "UCHRIS"}
    assert mentions("ask @Omar and @chris, not @nobody or a@b.com", people) == (
        "ask <@UOMAR> and <@UCHRIS>, not @nobody or a@b.com"
    )
    assert mentions("<@UOMAR> already", people) == "<@UOMAR> already"


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("90 minutes", 5400)],
)
def test_durations(typed: str, seconds: int) -> None:
    assert parse_duration(typed) == timedelta(seconds=seconds)


@pytest.mark.parametrize("typed", ["", "10", "soon", "10m later", "0m", "10x"])
def test_not_durations(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(typed)


def test_the_clock_moves_on_by_what_it_is_told() -> None:
    clock = ConsoleClock()
    before = clock()
    after = clock.advance(timedelta(hours=2))
    assert timedelta(hours=2) <= after - before < timedelta(hours=2, seconds=5)
    assert clock() >= after


def test_a_table_is_read_out_row_by_row() -> None:
    table = {
        "type": "table",
        "rows": [
            [{"type": "raw_text", "text": "Figure"}, {"type": "raw_text", "text": "Nov 2026"}],
            [{"type": "raw_text", "text": "MARAC referral"}, {"type": "raw_text", "text": "12"}],
        ],
    }
    lines = list(markup().render([table], number=lambda e: ""))
    assert lines == ["  Figure | Nov 2026", "  MARAC referral | 12"]
